"""HDF5: files written by h5py (Debian's python3-h5py) read by cylon, from Python and with
`cylon convert`, and files written by cylon read back by h5py; values compared exactly with
the NumPy arrays h5py wrote or read (the independent side). Bad input: a clear error naming
the file and dataset, exit status 1 from the command, and no file or key half-written."""
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import pycylon as pc
from conftest import child_env

if os.environ.get("CYLON_HAVE_HDF5") == "0":  # set by the build: configured without HDF5
    pytest.skip("this build has no HDF5 (CYLON_HDF5=OFF or no libhdf5-dev)",
                allow_module_level=True)

try:
    import h5py
except ImportError as e:  # fail, never skip: the message says how to get it
    raise ImportError("the HDF5 tests need h5py: run scripts/install-deps (python3-h5py)") from e

CYLON = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(pc.__file__))), "cylon")
VSTR = h5py.string_dtype()  # variable-length UTF-8

# Every numeric type h5py writes, with its extremes: (name, NumPy dtype, cylon type).
NUMERIC = [("i8", "i1", "int8"), ("i16", "<i2", "int16"), ("i32", "<i4", "int32"),
           ("i64", "<i8", "int64"), ("u8", "u1", "uint8"), ("u16", "<u2", "uint16"),
           ("u32", "<u4", "uint32"), ("u64", "<u8", "uint64"), ("f32", "<f4", "float32"),
           ("f64", "<f8", "float64"), ("be32", ">i4", "int32"), ("bef64", ">f8", "float64")]
ROWS = 5


def numeric_values(dtype):
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return np.array([info.min, info.max, 0, 1, info.max // 3], dtype=dt)
    return np.array([np.finfo(dt).min, np.finfo(dt).max, -0.0, np.inf, 0.1], dtype=dt)


STRINGS = ["", "a", "héllo wörld", "日本語", "x" * 40]
FIXED = [b"", b"ab", b"abcdef", b"z", b"0123456789"]
BOOLS = [True, False, True, True, False]
# Within pandas' nanosecond range (1677-2262), as pycylon hands temporal columns to pandas.
DAYS = [0, -1, 19000, -25567, 100000]  # 1970-01-01, 1969-12-31, 2022-01-08, 1900, 2243
MICROS = [0, -1, 1_600_000_000_123_456, 9_000_000_000_000_000, -9_000_000_000_000_000]


def cli(*args):
    """Run the cylon command (leaks checked when it is an ASan build)."""
    env = child_env()
    env["ASAN_OPTIONS"] = "detect_leaks=1:detect_stack_use_after_return=1"
    return subprocess.run([CYLON, *args], capture_output=True, text=True, env=env)


def expected_columns():
    """The table every h5py file below holds: name -> (values, cylon type)."""
    cols = {n: (numeric_values(d), t) for n, d, t in NUMERIC}
    cols["b"] = (np.array(BOOLS), "bool")
    cols["s"] = (np.array(STRINGS, dtype=object), "utf8")
    cols["fs"] = (np.array([v.decode() for v in FIXED], dtype=object), "utf8")
    cols["d"] = (np.array(DAYS, dtype="i4"), "date32")
    cols["ts"] = (np.array(MICROS, dtype="i8"), "timestamp[us]")
    return cols


def write_group(f, key, rows=ROWS):
    g = f.create_group(key)
    for n, d, _ in NUMERIC:
        g.create_dataset(n, data=numeric_values(d)[:rows], chunks=(2,) if rows else None)
    g["b"] = np.array(BOOLS[:rows], dtype=bool)
    g["s"] = np.array(STRINGS[:rows], dtype=VSTR)
    g["fs"] = np.array(FIXED[:rows], dtype="S10")
    g["d"] = np.array(DAYS[:rows], dtype="i4")
    g["d"].attrs["cylon_type"] = "date32"
    g["ts"] = np.array(MICROS[:rows], dtype="i8")
    g["ts"].attrs["cylon_type"] = "timestamp[us]"
    g.attrs["columns"] = np.array(list(expected_columns()), dtype=VSTR)
    return g


def write_compound(f, key, rows=ROWS):
    fields = [(n, d) for n, d, _ in NUMERIC] + [("b", "?"), ("s", VSTR), ("fs", "S10"),
                                                ("d", "<i4"), ("ts", "<i8")]
    rec = np.zeros(rows, dtype=fields)
    for n, d, _ in NUMERIC:
        rec[n] = numeric_values(d)[:rows]
    rec["b"], rec["s"], rec["fs"] = BOOLS[:rows], STRINGS[:rows], FIXED[:rows]
    rec["d"], rec["ts"] = DAYS[:rows], MICROS[:rows]
    ds = f.create_dataset(key, data=rec, chunks=(2,) if rows else None)
    ds.attrs["cylon_type:d"] = "date32"
    ds.attrs["cylon_type:ts"] = "timestamp[us]"


def cylon_values(df, name):
    """A column's values as NumPy, temporal types as their integer counts."""
    t = df.types[name]
    col = df.to_pandas()[name]
    if t == "date32":
        return (col.values.astype("datetime64[D]").astype("i8")).astype("i4")
    if t.startswith("timestamp"):
        return col.values.astype("datetime64[us]").astype("i8")
    return col.values


def check_table(df, rows=ROWS):
    want = expected_columns()
    assert df.columns == list(want)
    assert len(df) == rows
    for name, (values, ctype) in want.items():
        assert df.types[name] == ctype, name
        got = cylon_values(df, name)
        exp = values[:rows]
        if exp.dtype.kind == "f":
            assert got.dtype == exp.dtype.newbyteorder("=")
            assert np.array_equal(got, exp) and np.array_equal(np.signbit(got), np.signbit(exp))
        else:
            assert list(got) == list(exp), name


@pytest.fixture
def h5file(tmp_path):
    path = tmp_path / "h5py.h5"
    with h5py.File(path, "w") as f:
        write_group(f, "table")
        write_compound(f, "records")
        write_group(f, "empty/cols", rows=0)
        write_compound(f, "empty/records", rows=0)
        g = f.create_group("nulls")
        g["x"] = np.array([1, 2, 3], dtype="i8")
        g["s"] = np.array(["a", "", "c"], dtype=VSTR)
        g["_validity/x"] = np.array([True, False, True])
        g["_validity/s"] = np.array([1, 0, 1], dtype="u1")
        f["single"] = np.arange(4, dtype="u2")
        f.create_group("void")
    return path


def test_read_every_type_per_column(h5file):
    check_table(pc.read_hdf(h5file))  # /table by default
    check_table(pc.read_hdf(h5file, key="/table"))
    check_table(pc.read_hdf(str(h5file) + ":/table"))


def test_read_every_type_compound(h5file):
    check_table(pc.read_hdf(h5file, key="records"))


def test_read_empty_datasets(h5file):
    check_table(pc.read_hdf(h5file, key="/empty/cols"), rows=0)
    check_table(pc.read_hdf(h5file, key="/empty/records"), rows=0)


def test_read_nulls_and_plain_dataset(h5file):
    df = pc.read_hdf(h5file, key="/nulls")
    assert df.columns == ["s", "x"]  # name order when the group has no "columns" attribute
    p = df.to_pandas()
    assert list(p["s"]) == ["a", None, "c"]
    assert p["x"].isna().tolist() == [False, True, False]
    assert p["x"][0] == 1 and p["x"][2] == 3
    single = pc.read_hdf(h5file, key="/single")
    assert single.columns == ["single"] and single.types == {"single": "uint16"}
    assert list(single.to_pandas()["single"]) == [0, 1, 2, 3]


def test_read_in_small_chunks_via_cli(h5file, tmp_path):
    """`cylon convert` to CSV, every type, compared with the values h5py wrote."""
    for key in ("/table", "/records"):
        out = tmp_path / ("x%s.csv" % key.replace("/", "_"))
        r = cli("convert", "%s:%s" % (h5file, key), str(out))
        assert r.returncode == 0, r.stderr
        got = pd.read_csv(out, keep_default_na=False, dtype=str)
        want = expected_columns()
        assert list(got.columns) == list(want)
        for n, d, _ in NUMERIC:
            vals = numeric_values(d)
            if vals.dtype.kind == "f":
                assert [np.dtype(d).type(v) for v in got[n]] == list(vals), n
            else:
                assert [int(v) for v in got[n]] == [int(v) for v in vals], n
        assert list(got["b"]) == [str(b).lower() for b in BOOLS]
        assert list(got["s"]) == STRINGS and list(got["fs"]) == [v.decode() for v in FIXED]
        assert list(got["d"]) == [str(np.datetime64(v, "D")) for v in DAYS]


def test_convert_roundtrip_parquet(h5file, tmp_path):
    pq, back = tmp_path / "t.parquet", tmp_path / "back.h5"
    for args in (("convert", str(h5file), str(pq)), ("convert", str(pq), str(back))):
        r = cli(*args)
        assert r.returncode == 0, r.stderr
    check_table(pc.read_hdf(back))
    r = cli("schema", str(back) + ":/table")
    assert r.returncode == 0 and "timestamp[us]" in r.stdout and "uint64" in r.stdout


@pytest.mark.parametrize("layout", ["columns", "compound"])
@pytest.mark.parametrize("fixed", [False, True])
def test_cylon_writes_h5py_reads(tmp_path, layout, fixed):
    src = {n: numeric_values(d).astype(np.dtype(d).newbyteorder("=")) for n, d, _ in NUMERIC}
    src["b"] = np.array(BOOLS)
    src["s"] = STRINGS
    df = pc.DataFrame(src)
    path = tmp_path / "cy.h5"
    df.to_hdf(path, "grp/t", mode="w", layout=layout, fixed_strings=fixed)
    with h5py.File(path, "r") as f:
        obj = f["grp/t"]
        for n, d, _ in NUMERIC:
            got = obj[n][()] if layout == "columns" else obj[()][n]
            assert got.dtype == np.dtype(d).newbyteorder("<"), n
            assert np.array_equal(got, src[n]) and np.array_equal(np.signbit(got),
                                                                  np.signbit(src[n])), n
        b = obj["b"][()] if layout == "columns" else obj[()]["b"]
        assert b.dtype == bool and list(b) == BOOLS
        s = obj["s"] if layout == "columns" else None
        raw = s[()] if s is not None else obj[()]["s"]
        assert [v.decode() if isinstance(v, bytes) else v for v in raw] == STRINGS
        if layout == "columns":
            assert list(obj.attrs["columns"]) == list(src)
            assert h5py.check_string_dtype(s.dtype).length == (40 if fixed else None)
    back = pc.read_hdf(path, key="/grp/t")
    assert back.columns == list(src)
    assert list(back.to_pandas()["s"]) == STRINGS


def test_nulls_and_temporal_roundtrip(tmp_path):
    pdf = pd.DataFrame({"x": pd.array([1, None, 3], dtype="Int64"),
                        "s": ["a", None, "c"],
                        "t": pd.to_datetime(["2020-01-01 00:00:01", None, "1960-06-01"])})
    df = pc.DataFrame(pdf)
    path = tmp_path / "n.h5"
    df.to_hdf(path, "t", mode="w")
    with h5py.File(path, "r") as f:
        assert list(f["t/_validity/x"][()]) == [True, False, True]
        assert list(f["t/_validity/s"][()]) == [True, False, True]
        assert f["t/t"].attrs["cylon_type"] == "timestamp[ns]"
        assert f["t/t"][0] == 1577836801 * 10**9
    back = pc.read_hdf(path, "t").to_pandas()
    assert back["x"].isna().tolist() == [False, True, False]
    assert list(back["s"]) == ["a", None, "c"]
    assert back["t"].isna().tolist() == [False, True, False]
    assert back["t"][2] == pd.Timestamp("1960-06-01")


def test_append_adds_and_replaces_keys(tmp_path):
    path = tmp_path / "a.h5"
    with h5py.File(path, "w") as f:
        f["keep"] = np.arange(3)
        f["old/x"] = np.arange(5)
    pc.DataFrame({"x": [7, 8]}).to_hdf(path, "old")  # mode="a": replaces /old
    pc.DataFrame({"y": [1.5]}).to_hdf(path, "/new/deep", layout="compound")
    with h5py.File(path, "r") as f:
        assert sorted(f.keys()) == ["keep", "new", "old"]
        assert list(f["keep"][()]) == [0, 1, 2]
        assert list(f["old/x"][()]) == [7, 8]
        assert f["new/deep"][()]["y"][0] == 1.5


def test_errors_name_file_and_dataset(h5file, tmp_path):
    with pytest.raises(pc.CylonError, match="missing.h5: No such file"):
        pc.read_hdf(tmp_path / "missing.h5")
    with pytest.raises(pc.CylonError, match=r"h5py.h5:/nope: no such group or dataset .*"
                                            r"/records, /single, /table"):
        pc.read_hdf(h5file, key="/nope")
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["t/c"] = np.array([1 + 2j])
        f["t/m"] = np.zeros((2, 2))
        f["e"] = np.array([0, 1], dtype=h5py.enum_dtype({"R": 0, "G": 1}, basetype="i1"))
    with pytest.raises(pc.CylonNotSupportedError, match=r"bad.h5:/t/c: column 'c' has the "
                                                        r"HDF5 type class 'compound'"):
        pc.read_hdf(tmp_path / "bad.h5", key="/t")
    with pytest.raises(pc.CylonError, match=r"bad.h5:/e: column 'e' is an HDF5 enum"):
        pc.read_hdf(tmp_path / "bad.h5", key="/e")
    data = h5file.read_bytes()
    (tmp_path / "trunc.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(pc.CylonError, match="trunc.h5: cannot open as HDF5: truncated file"):
        pc.read_hdf(tmp_path / "trunc.h5")
    (tmp_path / "text.h5").write_text("a,b\n1,2\n")
    with pytest.raises(pc.CylonError, match="text.h5: not an HDF5 file"):
        pc.read_hdf(tmp_path / "text.h5")


def test_failed_writes_leave_nothing(tmp_path):
    nulls = pc.DataFrame({"x": [1, None]})
    path = tmp_path / "w.h5"
    with pytest.raises(pc.CylonError, match=r"w.h5:/t: column 'x' has nulls, which the "
                                            r"compound layout cannot keep"):
        nulls.to_hdf(path, "t", mode="w", layout="compound")
    assert os.listdir(tmp_path) == []
    # Appending: the failed key is absent, the others untouched, no temporary left.
    with h5py.File(path, "w") as f:
        f["keep"] = np.arange(2)
    with pytest.raises(pc.CylonError, match="has nulls"):
        nulls.to_hdf(path, "t", layout="compound")
    with h5py.File(path, "r") as f:
        assert list(f.keys()) == ["keep"]
    assert os.listdir(tmp_path) == ["w.h5"]


def test_cli_bad_input_exits_1_and_writes_nothing(h5file, tmp_path):
    data = h5file.read_bytes()
    (tmp_path / "trunc.h5").write_bytes(data[:3000])
    out = tmp_path / "out.parquet"
    cases = [(str(tmp_path / "missing.h5"), "missing.h5: No such file"),
             (str(h5file) + ":/nope", "h5py.h5:/nope: no such group or dataset"),
             (str(tmp_path / "trunc.h5"), "trunc.h5: cannot open as HDF5: truncated file"),
             (str(h5file) + ":/void", "h5py.h5:/void: the group holds no datasets"),
             (str(h5file) + ":/empty", "h5py.h5:/empty/records: column 'records' has the "
                                       "HDF5 type class 'compound'")]
    for src, message in cases:
        r = cli("convert", src, str(out))
        assert r.returncode == 1, (src, r.stderr)
        assert message in r.stderr and "HDF5-DIAG" not in r.stderr, r.stderr
        assert not out.exists()
    # A table the compound layout cannot hold: no HDF5 file appears.
    csv = tmp_path / "n.csv"
    csv.write_text("x,y\n1,a\n,b\n")
    r = cli("convert", str(csv), str(tmp_path / "o.h5"), "--h5-layout", "compound")
    assert r.returncode == 1 and "has nulls" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["h5py.h5", "n.csv", "trunc.h5"]


def test_plan_reads_and_writes_hdf5(h5file, tmp_path):
    """A plan's read and write steps take FILE.h5:/KEY, on one worker and on two (the rank
    without a share takes the schema from the file)."""
    out = tmp_path / "plan.h5"
    plan = tmp_path / "plan.json"
    plan.write_text('{"steps": [{"id": "a", "op": "read", "path": "%s:/records"},'
                    '{"id": "s", "op": "sort", "input": "a", "by": ["i64"], "desc": true},'
                    '{"op": "write", "input": "s", "path": "%s:/sorted"}]}' % (h5file, out))
    for workers in ("1", "2"):
        r = cli("run", str(plan), "--workers", workers)
        assert r.returncode == 0, r.stderr
        with h5py.File(out, "r") as f:
            got = f["sorted/i64"][()]
        assert list(got) == sorted(numeric_values("<i8"), reverse=True)
