"""conftest.py - shared data and helpers for the pycylon tests.

pandas is the oracle: every test builds the same data as a pycylon DataFrame and a pandas
DataFrame, runs the same operation on both and compares the results (as multisets where
cylon leaves row order unspecified).
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import pandas as pd
    import pytest
except ImportError as e:  # fail, never skip: the message says how to get them
    raise ImportError("pycylon tests need pytest, NumPy and pandas: run scripts/install-deps"
                      " (%s)" % e) from e

import pycylon  # noqa: F401  (fails with the reason when the extension is not built)


def child_env():
    """The environment for helper processes (node): without the sanitizer runtime the
    ASan build preloads into python."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def normalize(pdf, sort=True):
    """Missing values as None in object columns, rows sorted by all columns (when the
    order is unspecified), a fresh index."""
    pdf = pdf.copy()
    for c in pdf.columns:
        if pdf[c].dtype == object:
            pdf[c] = pdf[c].where(pdf[c].notna(), None)
    if sort and len(pdf.columns):
        pdf = pdf.sort_values(list(pdf.columns), na_position="last", kind="mergesort")
    return pdf.reset_index(drop=True)


def assert_same(cdf, pdf, sort=True, check_dtype=True):
    """A pycylon DataFrame holds what a pandas DataFrame holds."""
    got = normalize(cdf.to_pandas(), sort)
    want = normalize(pdf, sort)
    assert list(got.columns) == [str(c) for c in want.columns]
    want.columns = got.columns
    pd.testing.assert_frame_equal(got, want, check_dtype=check_dtype, rtol=1e-9)


def make_data(n=2000, seed=7, nulls=True):
    """Columns of every common kind: int keys with repeats, floats and strings with
    nulls (pandas: NaN / None), bools."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 50, n)
    k2 = rng.integers(0, 3, n)
    v = rng.normal(size=n).round(3)
    i = rng.integers(-1000, 1000, n)
    s = np.array(["s%d" % x for x in rng.integers(0, 20, n)], dtype=object)
    b = rng.random(n) < 0.5
    if nulls:
        v[rng.random(n) < 0.1] = np.nan
        s[rng.random(n) < 0.1] = None
    return {"k": k, "k2": k2, "v": v, "i": i, "s": s, "b": b}


@pytest.fixture
def data():
    return make_data()


@pytest.fixture
def frames(data):
    """The same data as (pycylon, pandas)."""
    return pycylon.DataFrame(data), pd.DataFrame(data)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """s3rver (npm, from tests/oracle/node_modules) on a free loopback port with a bucket
    named cylon; sets the AWS_* variables cylon reads. Stopped at the end."""
    src = os.environ.get("CYLON_SOURCE_DIR",
                         os.path.join(os.path.dirname(__file__), "..", ".."))
    modules = os.path.join(src, "tests", "oracle", "node_modules", "s3rver")
    if not os.path.isdir(modules):
        pytest.fail("s3rver is missing from tests/oracle/node_modules: run "
                    "scripts/install-deps")
    script = (
        "const S3rver = require(%r);"
        "const s = new S3rver({port: 0, address: '127.0.0.1', silent: true, directory: %r,"
        " configureBuckets: [{name: 'cylon'}]});"
        "s.run().then(a => { console.log(a.port); });"
        "process.stdin.on('end', () => s.close().then(() => process.exit(0)));"
        "process.stdin.resume();"
    ) % (modules, str(tmp_path_factory.mktemp("s3")))
    proc = subprocess.Popen(["node", "-e", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=child_env())
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        pytest.fail("s3rver did not start")
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:%s" % port, "AWS_ACCESS_KEY_ID": "S3RVER",
           "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_REGION": "us-east-1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield "s3://cylon"
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    print("s3rver stopped", file=sys.stderr)


def pytest_configure(config):
    # tests that start processes (mpirun, redis-server, python3 -m pycylon): their own
    # ctest, python/dist_backends, labelled slow
    config.addinivalue_line("markers", "slow: starts processes; run by python/dist_backends")
