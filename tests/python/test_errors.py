"""Errors as Python exceptions carrying cylon's message, and no leaks under repeated calls:
Python reference counts, Python heap (tracemalloc) and cylon's own buffer accounting."""
import gc
import sys
import tracemalloc

import numpy as np
import pytest

import pycylon as pc


def test_exception_classes():
    assert issubclass(pc.CylonError, RuntimeError)
    assert issubclass(pc.CylonValueError, pc.CylonError)
    assert issubclass(pc.CylonValueError, ValueError)
    assert issubclass(pc.CylonNotSupportedError, NotImplementedError)
    assert issubclass(pc.CylonMemoryError, MemoryError)


def test_errors_carry_the_c_message_and_status(tmp_path):
    with pytest.raises(pc.CylonError) as e:
        pc.read_csv(tmp_path / "missing.csv")
    assert "missing.csv" in str(e.value) and e.value.status == "ENOENT"
    df = pc.DataFrame({"a": [1, 2], "s": ["x", "y"]})
    with pytest.raises(pc.CylonValueError) as e:
        df.groupby("a").agg({"s": "mean"})
    assert "'s'" in str(e.value) and e.value.status == "EINVAL"
    with pytest.raises(pc.CylonError, match="'nope'"):
        df.sort_values("nope")
    with pytest.raises(pc.CylonValueError):
        df.union(pc.DataFrame({"b": [1]}))
    with pytest.raises(ValueError, match="mask"):
        df[np.array([True])]


def _ops(df, other):
    df.merge(other, on="k")
    df.sort_values(["k", "v"], ascending=[True, False])
    df.groupby("k").agg({"v": ["sum", "mean"], "s": "count"})
    df.drop_duplicates("k")
    df[df["k"] > 3]
    df.union(df)
    pc.concat([df, df])
    df.to_pandas()
    df["k"].to_numpy()
    np.from_dlpack(df["k"])
    df.__arrow_c_stream__()
    pc.DataFrame(df.__arrow_c_array__.__self__)
    pc.DataFrame(df)
    try:
        df.merge(other, on="missing")
    except pc.CylonError:
        pass


def test_no_reference_leaks():
    k = np.arange(200, dtype=np.int64) % 17
    v = np.linspace(0, 1, 200)
    df = pc.DataFrame({"k": k, "v": v, "s": ["x%d" % (i % 5) for i in range(200)]})
    other = pc.DataFrame({"k": np.arange(10, dtype=np.int64), "w": np.arange(10.0)})
    for _ in range(3):
        _ops(df, other)
    gc.collect()
    before = (sys.getrefcount(k), sys.getrefcount(v), sys.getrefcount(df),
              sys.getrefcount(other), sys.getrefcount(pc.CylonError), sys.getrefcount(None))
    for _ in range(50):
        _ops(df, other)
    gc.collect()
    after = (sys.getrefcount(k), sys.getrefcount(v), sys.getrefcount(df),
             sys.getrefcount(other), sys.getrefcount(pc.CylonError), sys.getrefcount(None))
    assert after[:5] == before[:5]
    assert abs(after[5] - before[5]) < 50  # None is shared with everything else


def test_no_memory_growth_under_repeated_calls():
    df = pc.DataFrame({"k": np.arange(5000) % 100, "v": np.arange(5000.0),
                       "s": ["s%d" % (i % 50) for i in range(5000)]})
    other = pc.DataFrame({"k": np.arange(100), "w": np.arange(100.0)})
    for _ in range(5):
        _ops(df, other)
    gc.collect()
    cylon_before = pc.memory_current()
    tracemalloc.start()
    for _ in range(5):
        _ops(df, other)
    gc.collect()
    first, _ = tracemalloc.get_traced_memory()
    for _ in range(40):
        _ops(df, other)
    gc.collect()
    last, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert last - first < 64 * 1024, "Python heap grew by %d bytes" % (last - first)
    assert pc.memory_current() == cylon_before  # every cylon buffer came back


def test_wrapped_numpy_array_is_released():
    a = np.arange(1000, dtype=np.int64)
    base = sys.getrefcount(a)
    df = pc.DataFrame({"a": a})
    assert sys.getrefcount(a) == base + 1  # the column holds the array
    view = df["a"].to_numpy()
    del df
    gc.collect()
    assert sys.getrefcount(a) == base + 1  # the view keeps the column, which keeps a
    del view
    gc.collect()
    assert sys.getrefcount(a) == base


def test_low_level_table_takes_any_sequence():
    """Names and aggregates may come as generators: the strings stay alive while used."""
    df = pc.DataFrame({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
    t = df.table
    assert t.select(n for n in ["v", "k"]).names == ["v", "k"]
    g = t.groupby((n for n in ["k"]), (a for a in [("v", "sum", "total")]))
    assert sorted(zip(g.column_to_numpy(0).tolist(), g.column_to_numpy(1).tolist())) == \
        [(1, 4.0), (2, 2.0)]
    with pytest.raises(TypeError, match="str"):
        t.select([1])
    with pytest.raises(TypeError):
        t.groupby(["k"], [("v",)])
