"""dist_worker.py - one rank of the distributed tests (dist_cases.run_all) as a process.

    python3 dist_worker.py local                      under python3 -m pycylon -n N
    python3 dist_worker.py mpi                        under mpirun -np N
    python3 dist_worker.py redis URL JOB WORLD_SIZE   N of these, with a redis-server

Rank 0 prints "dist_worker: N checks on W ranks" when every check passed; any failure
is an exception, hence exit status 1.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pycylon  # noqa: E402
import dist_cases  # noqa: E402


def main(argv):
    mode = argv[1]
    if mode == "mpi":
        config = pycylon.MPIConfig()
    elif mode == "redis":
        config = pycylon.RedisConfig(argv[2], job=argv[3], world_size=int(argv[4]))
    elif mode == "local":
        config = pycylon.LocalConfig()
    else:
        raise SystemExit("unknown mode %r (local, mpi, redis)" % mode)
    with pycylon.CylonEnv(config, timeout=60) as env:
        assert env.backend == ("mpi" if mode == "mpi" else "tcp"), env.backend
        checks = dist_cases.run_all(env)
        if env.rank == 0:
            print("dist_worker: %d checks on %d ranks" % (checks, env.world_size), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
