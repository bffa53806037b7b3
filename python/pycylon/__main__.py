"""python3 -m pycylon -n N script.py [args...]: run a script on N local ranks.

Each rank is `python3 script.py args...` with CYLON_RANK, CYLON_WORLD_SIZE,
CYLON_BOOTSTRAP_ADDR and CYLON_JOB set (the script opens pycylon.CylonEnv() to join),
started and watched by cylon's launcher: their standard error comes through prefixed
"[rank r]", and when one fails the others are stopped and the exit status is 1.
"""
import argparse
import sys

from . import CylonError
from .dist import launch_script


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m pycylon",
                                description="Run a pycylon script on N local ranks.")
    p.add_argument("-n", "--workers", type=int, required=True, help="ranks to start")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds every rank has to join (default 60)")
    p.add_argument("script", help="the Python script each rank runs")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    a = p.parse_args(argv)
    try:
        launch_script([a.script] + a.args, a.workers, timeout=a.timeout)
    except (CylonError, ValueError) as e:
        print("pycylon: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
