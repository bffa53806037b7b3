"""dist_cases.py - the distributed DataFrame operators on every rank, pandas as the oracle.

run_all(env, seed) is called by every rank of a world (local workers, mpirun, Redis). Each
rank builds the same whole data (conftest.make_data, plus a right-hand table and a second
frame for the set operations) and keeps an uneven share of it: shares grow with the rank,
and one rank's share is empty (the last one's of the left table, rank 0's of the right).
Every operator runs with env=env, the result is gathered on rank 0 (to_pandas(env=env))
and compared there with pandas on the whole data. Returns the number of checks made on
rank 0 (0 elsewhere); a mismatch raises AssertionError.
"""
import numpy as np
import pandas as pd

import pycylon
from conftest import make_data, normalize


def share_bounds(n, rank, world, empty_rank):
    """Rows [lo, hi) of rank: weights 1, 2, 3 ... with empty_rank's weight 0 (in a world
    of more than one)."""
    w = [0 if (world > 1 and r == empty_rank) else r + 1 for r in range(world)]
    total = sum(w)
    cuts = [n * sum(w[:r]) // total for r in range(world + 1)]
    return cuts[rank], cuts[rank + 1]


def whole_data(seed):
    left = make_data(n=600, seed=seed)
    rng = np.random.default_rng(seed + 1)
    m = 80
    right = {"k": rng.integers(0, 60, m), "k2": rng.integers(0, 3, m),
             "w": np.array(["w%d" % x for x in rng.integers(0, 9, m)], dtype=object)}
    right["w"][rng.random(m) < 0.15] = None
    other = make_data(n=300, seed=seed + 2)
    return left, right, other


def local_share(data, env, empty_rank):
    n = len(next(iter(data.values())))
    lo, hi = share_bounds(n, env.rank, env.world_size, empty_rank)
    return pycylon.DataFrame({k: v[lo:hi] for k, v in data.items()})


def same(got, want, sort=True):
    """got (pandas, from the gathered result) holds want's rows (as multisets unless
    sort is False, when the order counts too)."""
    g, w = normalize(got, sort), normalize(want, sort)
    assert list(g.columns) == [str(c) for c in w.columns], (list(g.columns), list(w.columns))
    w.columns = g.columns
    pd.testing.assert_frame_equal(g, w, check_dtype=False, rtol=1e-9)


def distinct_rows(pdf):
    """Distinct rows as a set of tuples (NaN as None, so nulls compare equal)."""
    return {tuple(None if (isinstance(v, float) and v != v) else v for v in row)
            for row in pdf.itertuples(index=False, name=None)}


def run_all(env, seed=7):
    left, right, other = whole_data(seed)
    last = env.world_size - 1
    df = local_share(left, env, empty_rank=last)
    rdf = local_share(right, env, empty_rank=0)
    odf = local_share(other, env, empty_rank=last)
    pl, pr, po = pd.DataFrame(left), pd.DataFrame(right), pd.DataFrame(other)
    root = env.rank == 0
    checks = 0

    def check(result, want, sort=True):
        nonlocal checks
        got = result.to_pandas(env=env)  # collective: every rank calls it
        if root:
            same(got, want, sort)
            checks += 1
        else:
            assert len(got) == 0 and list(got.columns) == result.columns

    # merge: inner / left / outer on one key, inner on two, both algorithms
    for how in ("inner", "left", "outer"):
        check(df.merge(rdf, on="k", how=how, env=env), pl.merge(pr, on="k", how=how))
    check(df.merge(rdf, on=["k", "k2"], algorithm="sort", env=env),
          pl.merge(pr, on=["k", "k2"]))
    check(df.merge(rdf, on="k", env=env, strategy="shuffle"), pl.merge(pr, on="k"))

    # sort: the gathered partitions in rank order are the sorted table
    s = df.sort_values(["k", "i"], ascending=[True, False], env=env).to_pandas(env=env)
    if root:
        want = pl.sort_values(["k", "i"], ascending=[True, False], kind="mergesort")
        assert s["k"].tolist() == want["k"].tolist()
        assert s["i"].tolist() == want["i"].tolist()
        same(s, want)
        checks += 1

    # groupby: groups sorted by key across ranks, as pandas gives them
    spec = {"v": ["sum", "mean", "count", "min"], "i": ["sum", "max"], "s": "count"}
    want = pl.groupby("k").agg(spec)
    want.columns = ["%s_%s" % c if isinstance(spec[c[0]], list) else c[0]
                    for c in want.columns]
    check(df.groupby("k", env=env).agg(spec), want.reset_index(), sort=False)
    check(df.groupby(["k2", "s"], env=env).agg({"i": "sum"}),
          pl.groupby(["k2", "s"]).agg({"i": "sum"}).reset_index(), sort=False)
    check(df.groupby("s", env=env).size(),
          pl.groupby("s").size().rename("size").reset_index(), sort=False)

    # aggregate of everything: the same one row on every rank
    a = df.agg({"v": "sum", "i": "max"}, env=env).to_pandas()
    assert a["i"].tolist() == [pl["i"].max()]
    assert abs(a["v"].tolist()[0] - pl["v"].sum()) < 1e-6

    # drop_duplicates: first / last in the global order (rank order, then row order)
    for keep in ("first", "last"):
        check(df.drop_duplicates(["k", "k2"], keep=keep, env=env),
              pl.drop_duplicates(["k", "k2"], keep=keep))
    check(df[["k2", "s"]].drop_duplicates(env=env), pl[["k2", "s"]].drop_duplicates())

    # set operations on (k2, s): distinct rows, nulls equal
    a_cols, b_cols = df[["k2", "s"]], odf[["k2", "s"]]
    ra, rb = distinct_rows(pl[["k2", "s"]]), distinct_rows(po[["k2", "s"]])
    for op, rows in (("union", ra | rb), ("intersect", ra & rb), ("difference", ra - rb)):
        got = getattr(a_cols, op)(b_cols, env=env).to_pandas(env=env)
        if root:
            assert len(got) == len(rows), (op, len(got), len(rows))
            assert distinct_rows(got) == rows, op
            checks += 1

    # whole-table helpers
    assert df.global_len(env) == len(pl)
    g = df.gather(env)
    assert len(g) == (len(pl) if root else 0)
    assert len(df.allgather(env)) == len(pl)
    assert df.equals(df.rebalance(env), ordered=True, env=env)
    assert df.shuffle("k", env=env).global_len(env) == len(pl)
    env.barrier()
    return checks
