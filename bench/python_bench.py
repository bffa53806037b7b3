#!/usr/bin/env python3
"""python_bench.py - pycylon against pandas on the same data in one run: merge and groupby.

    PYTHONPATH=build/python python3 bench/python_bench.py [--rows N] [--repeat R]

Builds N rows (default 10,000,000) of int64 keys and float64 values in NumPy, hands the
same arrays to pandas and to pycylon (zero-copy), and times the best of R runs of
  merge    an inner join of the table with a second table of N/10 rows on an int64 key
           (about 1 match per row), pycylon DataFrame.merge vs pandas.merge;
  groupby  sum and mean of a float64 column by an int64 key of N/100 distinct values,
           groupby(...).agg(...) on both (pandas sort=True, as pycylon returns it).
Prints the times, rows out and pandas/pycylon ratios (above 1: pycylon is faster). The
outputs are checked for equal row counts (tests/python check the values).
"""
import argparse
import time

import numpy as np
import pandas as pd

import pycylon as pc


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.rows
    rng = np.random.default_rng(42)
    left = {"k": rng.integers(0, n // 10, n), "g": rng.integers(0, max(1, n // 100), n),
            "v": rng.random(n)}
    right = {"k": rng.permutation(n // 10).astype(np.int64), "w": rng.random(n // 10)}
    pl, pr = pd.DataFrame(left), pd.DataFrame(right)
    cl, cr = pc.DataFrame(left), pc.DataFrame(right)
    print("rows %d, cylon threads %d, pandas %s, numpy %s" % (n, pc.num_threads(),
                                                             pd.__version__, np.__version__))
    cases = [
        ("merge", lambda: pl.merge(pr, on="k"), lambda: cl.merge(cr, on="k")),
        ("groupby", lambda: pl.groupby("g", as_index=False).agg({"v": ["sum", "mean"]}),
         lambda: cl.groupby("g").agg({"v": ["sum", "mean"]})),
    ]
    print("%-8s %12s %12s %10s %8s" % ("op", "pandas s", "pycylon s", "rows out", "ratio"))
    for name, pandas_fn, cylon_fn in cases:
        tp, outp = best(pandas_fn, args.repeat)
        tc, outc = best(cylon_fn, args.repeat)
        if len(outp) != len(outc):
            raise SystemExit("%s: pandas gave %d rows, pycylon %d" % (name, len(outp),
                                                                     len(outc)))
        print("%-8s %12.3f %12.3f %10d %7.1fx" % (name, tp, tc, len(outc), tp / tc))


if __name__ == "__main__":
    main()
