"""dist.py - running pycylon on many processes: CylonEnv, its configs, and local workers.

A CylonEnv is this process's place in a world of ranks (one cylon communicator). Every
rank holds its own partition of each DataFrame; the distributed operators are the
DataFrame's own methods given env= (df.merge(other, on="k", env=env), sort_values,
groupby(...).agg, drop_duplicates, union / intersect / difference), called by every rank
in the same order; df.to_pandas(env=env) gathers the whole result on rank 0.

How the ranks find each other is the config:

    CylonEnv()                        LocalConfig: workers started by pycylon.launch or
                                      `python3 -m pycylon -n N script.py` (the CYLON_*
                                      variables); alone, a world of one
    CylonEnv(MPIConfig())             under `mpirun -np N python3 script.py` (OpenMPI)
    CylonEnv(RedisConfig("redis://127.0.0.1:6379", job="j1", world_size=4))
                                      ranks anywhere that reach one Redis server

Nothing waits forever: bootstrap and every wait for a peer end after `timeout` seconds
with a CylonError naming the rank that did not answer, and a failure on one rank fails
the others too.
"""
import os
import pickle
import sys
import tempfile
import traceback

from . import _cylon
from ._cylon import CylonError


class LocalConfig:
    """Ranks on this machine started by a launcher (pycylon.launch, `python3 -m pycylon -n
    N`, cy_launch), which sets CYLON_RANK, CYLON_WORLD_SIZE, CYLON_BOOTSTRAP_ADDR and
    CYLON_JOB; without them a world of one. backend: "tcp" (default) or "redis" (with
    CYLON_REDIS set)."""

    def __init__(self, backend="tcp", bootstrap="env", bind_host=None):
        self.backend = backend
        self.bootstrap = bootstrap
        self.bind_host = bind_host

    def options(self):
        return dict(backend=self.backend, bootstrap=self.bootstrap, bind_host=self.bind_host)

    def __repr__(self):
        return "LocalConfig(backend=%r)" % self.backend


class MPIConfig:
    """Ranks started by mpirun (OpenMPI): rank and world from MPI_COMM_WORLD, messages over
    MPI. Only in builds where CMake found MPI; else opening fails saying so."""

    def options(self):
        return dict(backend="mpi", bootstrap="env")

    def __repr__(self):
        return "MPIConfig()"


class RedisConfig:
    """Ranks that find each other through a Redis server: each takes the next rank of the
    job's counter, endpoints are exchanged through the job's keys (deleted at the end).
    world_size ranks must open it with the same job (world_size 0 or job None: from
    CYLON_WORLD_SIZE / CYLON_JOB). backend "tcp" (default: direct connections) or "redis"
    (messages through Redis too, where ranks cannot connect to each other)."""

    def __init__(self, url, job=None, world_size=0, backend="tcp", bind_host=None):
        if not str(url).startswith("redis://"):
            host_port = str(url)
            url = "redis://" + host_port
        self.url = str(url)
        self.job = job
        self.world_size = int(world_size)
        self.backend = backend
        self.bind_host = bind_host

    def options(self):
        return dict(backend=self.backend, bootstrap=self.url, job=self.job,
                    world_size=self.world_size, bind_host=self.bind_host)

    def __repr__(self):
        return "RedisConfig(%r, job=%r, world_size=%d, backend=%r)" % (
            self.url, self.job, self.world_size, self.backend)


class CylonEnv:
    """This process's rank in a world of ranks (see the module's doc for the configs).

    env.rank, env.world_size, env.backend, env.is_distributed; env.barrier();
    env.finalize() (or a with block) leaves the world. Pass it to DataFrame operators as
    env=env; every rank must call them in the same order."""

    def __init__(self, config=None, timeout=60.0, distributed=True):
        self.config = config if config is not None else LocalConfig()
        opts = {k: v for k, v in self.config.options().items() if v is not None}
        self._comm = _cylon.Comm(timeout=float(timeout), **opts)

    @property
    def comm(self):
        """The underlying pycylon._cylon.Comm."""
        return self._comm

    @property
    def rank(self):
        return self._comm.rank

    @property
    def world_size(self):
        return self._comm.world_size

    @property
    def backend(self):
        return self._comm.backend

    @property
    def is_distributed(self):
        return self._comm.world_size > 1

    @property
    def finalized(self):
        return self._comm.closed

    def barrier(self):
        """Wait until every rank has arrived."""
        self._comm.barrier()

    def finalize(self):
        """Leave the world (waits, within the timeout, for the others' goodbyes)."""
        self._comm.close()

    close = finalize

    def abort(self, why="aborted"):
        """Fail the world on purpose: every rank's pending and next calls fail with why."""
        self._comm.abort(str(why))

    def traffic(self):
        """(bytes sent, bytes received) to and from other ranks so far."""
        return self._comm.traffic()

    def share(self, data):
        """This rank's even share of a whole table every rank holds (rows r*N/P to
        (r+1)*N/P): the way to split data that each rank can read whole."""
        from .frame import DataFrame
        df = data if isinstance(data, DataFrame) else DataFrame(data)
        n, r, p = len(df), self.rank, self.world_size
        return df[r * n // p:(r + 1) * n // p]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finalize()
        return False

    def __repr__(self):
        if self._comm.closed:
            return "CylonEnv(%r, finalized)" % (self.config,)
        return "CylonEnv(%r, rank=%d, world_size=%d, backend=%r)" % (
            self.config, self.rank, self.world_size, self.backend)


def _comm_of(env):
    """The communicator of env (a CylonEnv or a Comm)."""
    if isinstance(env, CylonEnv):
        return env.comm
    if isinstance(env, _cylon.Comm):
        return env
    raise TypeError("env must be a pycylon.CylonEnv, not %s" % type(env).__name__)


def launch(fn, workers, args=(), kwargs=None, timeout=60.0, grace=3.0, config=None):
    """Run fn(env, *args, **kwargs) on `workers` local ranks (forks of this process) and
    return the list of their results, by rank. Each worker's env is a CylonEnv of the
    world (LocalConfig, tcp; config=LocalConfig(backend=...) to change), finalized when
    fn returns. Results travel back pickled. When a worker fails, the others are stopped
    and a CylonError names the rank and carries its traceback."""
    kwargs = kwargs or {}
    config = config or LocalConfig(bootstrap="embedded")
    with tempfile.TemporaryDirectory(prefix="pycylon-launch-") as tmp:

        def run():
            rank, outcome, env = -1, None, None
            try:
                env = CylonEnv(config, timeout=timeout)
                rank = env.rank
                outcome = ("ok", fn(env, *args, **kwargs))
                env.finalize()
            except BaseException as e:  # the worker's own error, for the parent to show
                outcome = ("error", "".join(traceback.format_exception(e)))
                if env is not None and not env.finalized:
                    # the others fail at once, with the cause, instead of waiting for us
                    env.abort("rank %d: %s" % (rank, traceback.format_exception_only(e)[-1]
                                               .strip()))
                    env.finalize()
            try:
                with open(os.path.join(tmp, "%d.pickle" % rank), "wb") as f:
                    pickle.dump(outcome, f)
            except Exception:
                traceback.print_exc()
                return 1
            return 0 if outcome[0] == "ok" else 1

        try:
            _cylon.launch(run, int(workers), float(timeout), float(grace))
        except CylonError as e:
            details = []
            for r in range(-1, int(workers)):
                got = _read_outcome(tmp, r)
                if got and got[0] == "error":
                    details.append("--- rank %d ---\n%s" % (r, got[1]) if r >= 0 else got[1])
            err = CylonError("\n".join([str(e)] + details))
            err.status = getattr(e, "status", "EIO")
            raise err from None
        results = []
        for r in range(int(workers)):
            got = _read_outcome(tmp, r)
            if got is None:
                raise CylonError("launch: rank %d left no result" % r)
            results.append(got[1])
        return results


def _read_outcome(tmp, rank):
    try:
        with open(os.path.join(tmp, "%d.pickle" % rank), "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


def launch_script(argv, workers, timeout=60.0, grace=3.0):
    """Run a Python script on `workers` local ranks: each is `python3 argv...` with the
    CYLON_* variables set (the script opens CylonEnv()). Returns their exit codes (all 0);
    a failing rank makes it raise CylonError naming the rank."""
    argv = [str(a) for a in argv]
    return _cylon.launch_program([sys.executable] + argv, int(workers), float(timeout),
                                 float(grace))
