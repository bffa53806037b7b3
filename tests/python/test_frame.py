"""Construction, conversion, zero-copy and selection, against pandas on the same data."""
import numpy as np
import pandas as pd
import pytest

import pycylon as pc
from conftest import assert_same


def test_from_dict_of_lists_matches_pandas():
    d = {"a": [1, 2, None, 4], "b": [1.5, None, 2.5, 3.0], "s": ["x", None, "z", "w"],
         "t": [True, False, True, True]}
    df = pc.DataFrame(d)
    assert df.types == {"a": "int64", "b": "float64", "s": "utf8", "t": "bool"}
    assert df.shape == (4, 4) and len(df) == 4 and df.columns == ["a", "b", "s", "t"]
    assert_same(df, pd.DataFrame(d), sort=False)
    assert df.dtypes == dict(pd.DataFrame(d).dtypes)


def test_from_numpy_is_zero_copy_and_keeps_the_array_alive():
    a = np.arange(1000, dtype=np.int64)
    f = np.linspace(0, 1, 1000)
    u = np.arange(1000, dtype=np.uint16)
    df = pc.DataFrame({"a": a, "f": f, "u": u})
    for name, arr in (("a", a), ("f", f), ("u", u)):
        assert df.table.column_address(name) == arr.ctypes.data
    addr = a.ctypes.data
    del a  # the column holds the only reference now
    out = df["a"].to_numpy()
    assert out.ctypes.data == addr  # and back without a copy
    assert not out.flags.writeable
    assert (out == np.arange(1000)).all()
    assert df.dtypes == {"a": np.int64, "f": np.float64, "u": np.uint16}


def test_to_numpy_keeps_the_column_alive():
    out = pc.DataFrame({"a": np.arange(10, dtype=np.int32) * 3})["a"].to_numpy()
    # the DataFrame is gone; the array's base holds the column
    assert out.tolist() == list(range(0, 30, 3)) and out.dtype == np.int32


def test_numpy_strided_and_byteswapped_are_copied_correctly():
    base = np.arange(20, dtype=np.int64)
    strided = base[::2]
    swapped = np.arange(10, dtype=">i4")  # big-endian: not cylon's byte order
    df = pc.DataFrame({"s": strided, "w": swapped})
    assert df["s"].to_list() == strided.tolist()
    assert df["w"].to_list() == list(range(10)) and df.types["w"] == "int32"
    assert df.table.column_address("s") != strided.ctypes.data


def test_float_nan_becomes_null_without_copying_values():
    f = np.array([1.0, np.nan, 3.0])
    df = pc.DataFrame({"f": f})
    assert df["f"].null_count == 1
    assert df.table.column_address("f") == f.ctypes.data
    assert_same(df, pd.DataFrame({"f": f}), sort=False)


def test_from_pandas_and_back(frames):
    cdf, pdf = frames
    back = pc.DataFrame(pdf)
    assert_same(back, pdf, sort=False)
    assert back.dtypes == dict(pdf.dtypes)
    # pandas' int64 column arrives without a copy
    assert back.table.column_address("k") == pdf["k"].to_numpy().ctypes.data


def test_from_pandas_extension_dtypes():
    pdf = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"),
                        "s": pd.array(["x", None, "z"], dtype="string")})
    df = pc.DataFrame(pdf)
    assert df.types == {"a": "int64", "s": "utf8"}
    assert df["a"].to_list() == [1, None, 3]
    assert df["s"].to_list() == ["x", None, "z"]


def test_datetime64_roundtrip():
    t = np.array(["2020-01-01T00:00:00", "NaT", "2021-06-30T12:34:56.789"],
                 dtype="datetime64[ns]")
    df = pc.DataFrame({"t": t})
    assert df.types == {"t": "timestamp[ns]"}
    assert df["t"].null_count == 1
    out = df["t"].to_numpy()
    assert out.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(out, t)


def test_to_numpy_2d(frames):
    cdf, pdf = frames
    got = cdf[["k", "i", "v"]].to_numpy()
    want = pdf[["k", "i", "v"]].to_numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    one = cdf[["k"]].to_numpy()
    assert one.shape == (len(cdf), 1)
    assert one.ctypes.data == cdf.table.column_address("k")  # one column: a view


def test_2d_numpy_constructor():
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    df = pc.DataFrame(a, columns=["x", "y", "z"])
    assert_same(df, pd.DataFrame(a, columns=["x", "y", "z"]), sort=False)
    np.testing.assert_array_equal(df.to_numpy(), a)


def test_getitem_column_list_mask_slice(frames):
    cdf, pdf = frames
    assert cdf["v"].to_pandas().equals(pdf["v"])
    assert_same(cdf[["s", "k"]], pdf[["s", "k"]], sort=False)
    assert_same(cdf[cdf["k"] > 25], pdf[pdf["k"] > 25], sort=False)
    assert_same(cdf[(cdf["k"] > 10) & (cdf["i"] <= 0)], pdf[(pdf["k"] > 10) & (pdf["i"] <= 0)],
                sort=False)
    assert_same(cdf[(cdf["k"] == 3) | ~(cdf["b"] == True)],  # noqa: E712
                pdf[(pdf["k"] == 3) | ~(pdf["b"] == True)], sort=False)  # noqa: E712
    assert_same(cdf[cdf["s"] == "s3"], pdf[pdf["s"] == "s3"], sort=False)
    assert_same(cdf[cdf["k"].isin([1, 2, 3])], pdf[pdf["k"].isin([1, 2, 3])], sort=False)
    mask = (pdf["v"] > 0).to_numpy()
    assert_same(cdf[mask], pdf[mask], sort=False)
    assert_same(cdf[10:20], pdf[10:20], sort=False)
    assert_same(cdf.head(7), pdf.head(7), sort=False)
    assert_same(cdf.tail(3), pdf.tail(3), sort=False)
    with pytest.raises(KeyError):
        cdf["nope"]
    with pytest.raises(KeyError):
        cdf[["k", "nope"]]


def test_series_aggregates_match_pandas(frames):
    cdf, pdf = frames
    for op in ("sum", "mean", "min", "max", "count", "std", "nunique"):
        got, want = getattr(cdf["v"], op)(), getattr(pdf["v"], op)()
        assert got == pytest.approx(want), op
    assert sorted(cdf["k"].unique().tolist()) == sorted(pdf["k"].unique().tolist())
    assert cdf["s"].isna().to_list() == pdf["s"].isna().tolist()


def test_to_dict_records():
    d = {"a": [1, 2], "s": ["x", None]}
    assert pc.DataFrame(d).to_dict() == d
    assert pc.DataFrame(d).to_dict("records") == pd.DataFrame(d).to_dict("records")


def test_bad_constructor_input_is_a_clear_error():
    with pytest.raises(TypeError, match="mixes values"):
        pc.DataFrame({"a": [1, "x"]})
    with pytest.raises(TypeError, match="row 1"):
        pc.DataFrame({"a": [1, object()]})
    with pytest.raises(pc.CylonValueError, match="has 1 rows"):
        pc.DataFrame({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="1-D"):
        pc.DataFrame({"a": np.zeros((2, 2))})
    with pytest.raises(OverflowError):
        pc.DataFrame({"a": [2 ** 70]})


def test_assignment_and_arithmetic_match_pandas(frames):
    cdf, pdf = frames
    cdf2, pdf2 = pc.DataFrame(cdf), pdf.copy()
    cdf2["w"] = cdf2["v"] * 2 + cdf2["i"]
    pdf2["w"] = pdf2["v"] * 2 + pdf2["i"]
    cdf2["one"] = 1
    pdf2["one"] = 1
    cdf2["k"] = cdf2["k"] - 1  # replaces in place
    pdf2["k"] = pdf2["k"] - 1
    cdf2["r"] = 10 / cdf2["i"]
    pdf2["r"] = (10 / pdf2["i"]).replace([np.inf, -np.inf], np.nan)  # x / 0 is null
    cdf2["lst"] = list(range(len(cdf2)))
    pdf2["lst"] = list(range(len(pdf2)))
    assert_same(cdf2, pdf2, sort=False, check_dtype=False)
    assert cdf.columns == list(pdf.columns)  # the original is unchanged
    assigned = cdf.assign(z=lambda d: d["i"] * d["k"], c=3)
    assert_same(assigned, pdf.assign(z=pdf["i"] * pdf["k"], c=3), sort=False)
    assert_same(cdf.drop(["s", "b"]), pdf.drop(columns=["s", "b"]), sort=False)
    with pytest.raises(ValueError, match="rows"):
        cdf2["bad"] = [1, 2]
