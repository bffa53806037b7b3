"""Operators against pandas on the same data: merge, sort_values, groupby, drop_duplicates,
concat and set operations."""
import numpy as np
import pandas as pd
import pytest

import pycylon as pc
from conftest import assert_same, make_data


def right_side(seed=11, n=300):
    rng = np.random.default_rng(seed)
    return {"k": rng.integers(0, 60, n), "w": rng.normal(size=n).round(3),
            "s": np.array(["r%d" % x for x in rng.integers(0, 9, n)], dtype=object)}


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
@pytest.mark.parametrize("algorithm", ["hash", "sort"])
def test_merge_on(frames, how, algorithm):
    cdf, pdf = frames
    r = right_side()
    got = cdf.merge(pc.DataFrame(r), on="k", how=how, algorithm=algorithm)
    want = pdf.merge(pd.DataFrame(r), on="k", how=how)
    assert got.columns == list(want.columns)  # suffixes _x/_y on the clashing "s"
    assert_same(got, want, check_dtype=False)


@pytest.mark.parametrize("how", ["inner", "left", "outer"])
def test_merge_left_on_right_on_and_suffixes(frames, how):
    cdf, pdf = frames
    r = right_side()
    r["key"] = r.pop("k")
    r["k2"] = np.arange(len(r["key"])) % 3
    got = cdf.merge(pc.DataFrame(r), left_on=["k", "k2"], right_on=["key", "k2"], how=how,
                    suffixes=("_left", "_right"))
    want = pdf.merge(pd.DataFrame(r), left_on=["k", "k2"], right_on=["key", "k2"], how=how,
                     suffixes=("_left", "_right"))
    assert got.columns == list(want.columns)
    assert_same(got, want, check_dtype=False)


def test_merge_on_string_keys(frames):
    cdf, pdf = frames
    r = {"s": ["s1", "s2", "s3", "zz"], "x": [1, 2, 3, 4]}
    # pandas matches its missing keys with each other; SQL (and cylon) never match nulls
    got = cdf.merge(pc.DataFrame(r), on="s")
    want = pdf[pdf["s"].notna()].merge(pd.DataFrame(r), on="s")
    assert_same(got, want)


def test_merge_errors_name_the_cause(frames):
    cdf, _ = frames
    with pytest.raises(pc.CylonError, match="nope"):
        cdf.merge(cdf, on="nope")
    with pytest.raises(ValueError, match="how"):
        cdf.merge(cdf, on="k", how="sideways")
    with pytest.raises(ValueError, match="algorithm"):
        cdf.merge(cdf, on="k", algorithm="magic")


@pytest.mark.parametrize("by,ascending", [("k", True), (["k", "v"], [True, False]),
                                          (["s", "i"], False), ("v", True)])
def test_sort_values(frames, by, ascending):
    cdf, pdf = frames
    got = cdf.sort_values(by, ascending=ascending)
    want = pdf.sort_values(by, ascending=ascending, kind="mergesort", na_position="last")
    assert_same(got, want, sort=False)


def test_groupby_agg(frames):
    cdf, pdf = frames
    spec = {"v": "sum", "i": "mean", "s": "count"}
    assert_same(cdf.groupby("k").agg(spec), pdf.groupby("k", as_index=False).agg(spec),
                sort=False)
    spec = {"v": ["sum", "min", "max", "std"], "i": ["count", "nunique", "median"]}
    got = cdf.groupby(["k", "k2"]).agg(spec)
    want = pdf.groupby(["k", "k2"]).agg(spec)
    want.columns = ["%s_%s" % c for c in want.columns]
    assert_same(got, want.reset_index(), sort=False)


@pytest.mark.parametrize("op", ["sum", "mean", "min", "max", "count", "nunique", "first",
                                "last", "var"])
def test_groupby_shorthands(frames, op):
    cdf, pdf = frames
    cols = ["k", "v", "i"]
    got = getattr(cdf[cols].groupby("k"), op)()
    want = getattr(pdf[cols].groupby("k"), op)().reset_index()
    assert_same(got, want, sort=False, check_dtype=False)


def test_groupby_null_keys_dropped_like_pandas(frames):
    cdf, pdf = frames
    assert_same(cdf.groupby("s").agg({"v": "sum"}),
                pdf.groupby("s", as_index=False).agg({"v": "sum"}), sort=False)
    size = cdf.groupby("k2").size()
    assert_same(size, pdf.groupby("k2").size().reset_index(name="size"), sort=False,
                check_dtype=False)


def test_groupby_bad_aggregate(frames):
    cdf, _ = frames
    with pytest.raises(pc.CylonValueError, match="sum"):
        cdf.groupby("k").agg({"s": "sum"})
    with pytest.raises(pc.CylonError, match="frobnicate"):
        cdf.groupby("k").agg({"v": "frobnicate"})


@pytest.mark.parametrize("subset", [None, "k", ["k", "k2"], ["s"]])
@pytest.mark.parametrize("keep", ["first", "last"])
def test_drop_duplicates(frames, subset, keep):
    cdf, pdf = frames
    assert_same(cdf.drop_duplicates(subset, keep=keep),
                pdf.drop_duplicates(subset, keep=keep), sort=False)


def test_concat():
    parts = [make_data(100, seed=s) for s in (1, 2, 3)]
    got = pc.concat([pc.DataFrame(p) for p in parts])
    want = pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True)
    assert_same(got, want, sort=False)
    with pytest.raises(pc.CylonValueError, match="schema"):
        pc.concat([pc.DataFrame({"a": [1]}), pc.DataFrame({"b": [1]})])


def test_set_operations():
    a = pd.DataFrame(make_data(400, seed=1, nulls=False))[["k", "k2"]]
    b = pd.DataFrame(make_data(400, seed=2, nulls=False))[["k", "k2"]]
    ca, cb = pc.DataFrame(a), pc.DataFrame(b)
    union = pd.concat([a, b]).drop_duplicates()
    inter = a.merge(b, on=["k", "k2"]).drop_duplicates()
    diff = a.merge(b.drop_duplicates(), on=["k", "k2"], how="left", indicator=True)
    diff = diff[diff["_merge"] == "left_only"][["k", "k2"]].drop_duplicates()
    assert_same(ca.union(cb), union)
    assert_same(ca.intersect(cb), inter)
    assert_same(ca.difference(cb), diff)


def test_operators_do_not_change_their_inputs(frames):
    cdf, pdf = frames
    before = cdf.to_pandas()
    cdf.sort_values("v")
    cdf.merge(cdf, on="k")
    cdf.groupby("k").sum()
    pd.testing.assert_frame_equal(cdf.to_pandas(), before)


def test_operators_from_many_threads(frames):
    """The GIL is released while cylon works: threads run operators on shared frames, and
    frames over NumPy memory die on other threads, without crashing or changing results."""
    import threading
    cdf, pdf = frames
    r = right_side()
    want_merge = pdf.merge(pd.DataFrame(r), on="k")
    want_group = pdf.groupby("k", as_index=False).agg({"v": "sum"})
    errors = []

    def work():
        try:
            for _ in range(5):
                assert_same(cdf.merge(pc.DataFrame(r), on="k"), want_merge,
                            check_dtype=False)
                assert_same(cdf.groupby("k").agg({"v": "sum"}), want_group, sort=False)
                tmp = pc.DataFrame({"a": np.arange(1000)})
                del tmp
        except Exception as e:  # reported on the main thread
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
