"""test_dist.py - pycylon on many ranks: CylonEnv, launch, and the distributed operators.

Every world runs dist_cases.run_all: each rank holds an uneven share of the same data (one
share empty), runs merge, sort_values, groupby(...).agg, drop_duplicates and the set
operations with env=env, and rank 0 compares the gathered result with pandas on the whole
data. Worlds: forked local workers (pycylon.launch) of 1, 2 and 3 ranks here; the tests
marked slow (their own ctest, python/dist_backends) start processes: `python3 -m pycylon
-n 2`, `mpirun -np 2/3` with the mpi backend, and 3 ranks meeting through a redis-server
the test starts on a free loopback port.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest

import pycylon
import dist_cases
from conftest import child_env

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "dist_worker.py")


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_local_workers_match_pandas(workers):
    checks = pycylon.launch(dist_cases.run_all, workers, timeout=60)
    assert checks[0] == 15 and checks[1:] == [0] * (workers - 1)


def test_env_alone_is_a_world_of_one():
    with pycylon.CylonEnv() as env:
        assert (env.rank, env.world_size, env.backend) == (0, 1, "tcp")
        assert not env.is_distributed
        env.barrier()
        df = pycylon.DataFrame({"k": [3, 1, 2, 1], "s": ["c", None, "b", "a"]})
        got = df.sort_values("k", env=env).to_pandas(env=env)  # the local operators
        assert got.equals(df.sort_values("k").to_pandas())
    assert env.finalized
    with pytest.raises(ValueError, match="closed"):
        env.barrier()
    df = pycylon.DataFrame({"k": [1]})
    with pytest.raises(ValueError, match="closed"):
        df.merge(df, on="k", env=env)


def test_launch_returns_results_by_rank():
    def fn(env, base):
        env.barrier()
        return (env.rank, env.world_size, base + env.rank)
    assert pycylon.launch(fn, 3, args=(10,)) == [(0, 3, 10), (1, 3, 11), (2, 3, 12)]


def test_a_failing_rank_fails_the_launch_with_its_cause():
    def fn(env):
        if env.rank == 1:
            raise KeyError("no column 'x' on rank 1")
        env.barrier()  # the others learn of the failure here instead of waiting
    t0 = time.monotonic()
    with pytest.raises(pycylon.CylonError) as e:
        pycylon.launch(fn, 3, timeout=30)
    msg = str(e.value)
    assert "--- rank 1 ---" in msg and "no column 'x' on rank 1" in msg
    assert time.monotonic() - t0 < 25  # the abort ended it, not the deadline


def test_a_schema_mismatch_between_ranks_fails_on_every_rank():
    def fn(env):
        k = [1, 2] if env.rank == 0 else ["a", "b"]  # int64 on rank 0, strings elsewhere
        df = pycylon.DataFrame({"k": k})
        try:
            df.merge(df, on="k", env=env)
        except pycylon.CylonError as e:
            return str(e)
        return None
    msgs = pycylon.launch(fn, 2, timeout=30)
    assert all(m is not None and "rank" in m for m in msgs), msgs


def test_bad_arguments():
    with pytest.raises(ValueError):
        pycylon.launch(lambda env: 0, 0)
    with pytest.raises(pycylon.CylonError, match="embedded"):
        pycylon.CylonEnv(pycylon.LocalConfig(bootstrap="embedded"))
    with pytest.raises(TypeError, match="CylonEnv"):
        pycylon.DataFrame({"k": [1]}).sort_values("k", env=object())
    with pycylon.CylonEnv() as env:
        with pytest.raises(ValueError, match="root 1"):
            pycylon.DataFrame({"k": [1]}).gather(env, root=1)


# ---- processes: python3 -m pycylon, mpirun, redis (slow: their own ctest) ----

def run_ranks(cmds, timeout=120, env=None):
    """Start the commands, wait for all; fail with their output when one fails."""
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env or os.environ) for c in cmds]
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("ranks did not finish in %d s" % timeout)
        outs.append(out)
        assert p.returncode == 0, "exit status %d:\n%s" % (p.returncode, "\n".join(outs))
    return outs


@pytest.mark.slow
def test_python_m_pycylon_runs_a_script_on_2_ranks():
    out = run_ranks([[sys.executable, "-m", "pycylon", "-n", "2", WORKER, "local"]])[0]
    assert "dist_worker: 15 checks on 2 ranks" in out


@pytest.mark.slow
@pytest.mark.parametrize("np_", [2, 3])
def test_mpirun_with_the_mpi_backend(np_):
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        pytest.fail("mpirun is not installed: scripts/install-deps installs openmpi-bin")
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    out = run_ranks([[mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(np_),
                      "--mca", "btl", "self,vader,tcp", "--mca",
                      "btl_vader_single_copy_mechanism", "none",
                      sys.executable, WORKER, "mpi"]], env=env)[0]
    assert "dist_worker: 15 checks on %d ranks" % np_ in out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    """A redis-server of this test on a free loopback port, stopped at the end."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: scripts/install-deps installs it")
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--loglevel", "warning"],
                                stdout=subprocess.DEVNULL, env=child_env())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("redis-server did not start")
    yield "redis://127.0.0.1:%d" % port
    proc.terminate()
    proc.wait(timeout=10)


def redis_keys(url):
    """The keys left in the server (the bootstrap deletes its job's keys at the end)."""
    host, port = url[len("redis://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
        return int(s.recv(64).decode().strip().lstrip(":"))


@pytest.mark.slow
@pytest.mark.parametrize("world", [3])
def test_redis_bootstrap(redis_url, world):
    job = "pytest-%s" % uuid.uuid4().hex[:8]
    cmds = [[sys.executable, WORKER, "redis", redis_url, job, str(world)]
            for _ in range(world)]
    outs = run_ranks(cmds)
    assert sum("dist_worker: 15 checks on %d ranks" % world in o for o in outs) == 1
    assert redis_keys(redis_url) == 0
