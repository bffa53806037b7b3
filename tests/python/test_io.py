"""Files: CSV against pandas' own reader and writer, Parquet written by pycylon and read
by DuckDB (tests/oracle/duck.mjs), and both on s3:// through s3rver on loopback."""
import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import pycylon as pc
from conftest import assert_same, child_env, make_data

SRC = os.environ.get("CYLON_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def duckdb_rows(sql):
    out = subprocess.run(["node", os.path.join(SRC, "tests", "oracle", "duck.mjs"), "--sql",
                          sql], capture_output=True, text=True, check=True,
                         env=child_env()).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def pdf():
    d = make_data(500)
    return pd.DataFrame(d)


def test_read_csv_matches_pandas(tmp_path, pdf):
    path = tmp_path / "t.csv"
    pdf.to_csv(path, index=False)
    got = pc.read_csv(path)
    want = pd.read_csv(path)
    assert got.columns == list(want.columns)
    assert got.dtypes == dict(want.dtypes)
    assert_same(got, want, sort=False)


def test_read_csv_options(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\tNA\n2\tx\n")
    got = pc.read_csv(path, sep="\t", na_values=["NA"], dtype={"a": "int32"})
    want = pd.read_csv(path, sep="\t", na_values=["NA"], dtype={"a": "int32"})
    assert got.types == {"a": "int32", "b": "utf8"}
    assert_same(got, want, sort=False)
    nohead = pc.read_csv(path, sep="\t", header=None)
    assert len(nohead) == 3


def test_to_csv_read_by_pandas(tmp_path, pdf):
    path = tmp_path / "out.csv"
    pc.DataFrame(pdf).to_csv(path)
    assert_same(pc.DataFrame(pd.read_csv(path)), pdf, sort=False)


def test_parquet_roundtrip_and_duckdb_reads_it(tmp_path, pdf):
    path = tmp_path / "t.parquet"
    pc.DataFrame(pdf).to_parquet(path)
    back = pc.read_parquet(path)
    assert back.types == pc.DataFrame(pdf).types
    assert_same(back, pdf, sort=False)
    assert_same(pc.read_parquet(path, columns=["s", "k"]), pdf[["s", "k"]], sort=False)
    rows = duckdb_rows("select k, v, s, b from read_parquet('%s')" % path)
    duck = pd.DataFrame(rows, columns=["k", "v", "s", "b"])
    duck["k"] = duck["k"].astype(np.int64)
    duck["v"] = duck["v"].astype(np.float64)
    assert_same(pc.DataFrame(duck), pdf[["k", "v", "s", "b"]], sort=False)


@pytest.mark.parametrize("compression", ["none", "zstd", "gzip"])
def test_parquet_compression(tmp_path, pdf, compression):
    path = tmp_path / "c.parquet"
    pc.DataFrame(pdf).to_parquet(path, compression=compression)
    assert_same(pc.read_parquet(path), pdf, sort=False)


def test_feather_roundtrip(tmp_path, pdf):
    path = tmp_path / "t.arrow"
    pc.DataFrame(pdf).to_feather(path)
    assert_same(pc.read_file(path), pdf, sort=False)


def test_io_errors_carry_cylons_message(tmp_path):
    with pytest.raises(pc.CylonError, match="nope.csv"):
        pc.read_csv(tmp_path / "nope.csv")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(pc.CylonError, match="bad.parquet"):
        pc.read_parquet(bad)
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\nx\n")
    with pytest.raises(pc.CylonValueError, match="line 3"):
        pc.read_csv(csv, dtype={"a": "int64"})


def test_s3_csv_and_parquet(s3_server, pdf):
    df = pc.DataFrame(pdf)
    df.to_parquet(s3_server + "/py/t.parquet")
    assert_same(pc.read_parquet(s3_server + "/py/t.parquet"), pdf, sort=False)
    df.to_csv(s3_server + "/py/t.csv")
    assert_same(pc.read_csv(s3_server + "/py/t.csv"), pdf, sort=False)
    with pytest.raises(pc.CylonError, match="missing.parquet"):
        pc.read_parquet(s3_server + "/py/missing.parquet")
