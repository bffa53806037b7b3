#!/usr/bin/env bash
# test_run_dist.sh - `cylon run PLAN.json --workers N`: plans on several workers (the
# launcher, the embedded bootstrap, tcp, the distributed operators), every output checked
# against DuckDB running the same query in SQL on the same data.
#
#   tests/cli/test_run_dist.sh PATH/TO/cylon [PATH/TO/duck.mjs] [PATH/TO/examples/plans]
#
# What it covers, at 1, 2, 3, 4 and 7 workers (WORKERS overrides the list):
# - the example plans (examples/plans/): pipeline.json (join, group-by, sort, a single-file
#   write gathered to rank 0, head as the printed result), filter.json (filter,
#   with_column, top_k), sets.json (intersect, except, union, aggregate), clean.json
#   (fill_null, drop_null, cast, project, unique keep first, sort);
# - a plan of the row-position and gather ops on a dataset of part files (each rank reads
#   its share; some ranks get none at 7 workers): sort then head, tail and slice by global
#   position, top_k, unique keep last, group-by and union_all written as one part per
#   worker (a path ending in '/'), a cross join, a scalar aggregate as the printed result;
# - rank 0's step lines and summary ("on N workers (tcp)");
# - failures: an invalid plan fails before any worker starts; a step failing on one rank
#   fails every rank (each prints an error, the failing rank named) with exit status 1; a
#   worker killed mid-run (SIGKILL) makes the run fail with an error naming that rank,
#   without waiting for the communicator's deadline.
#
# Every check runs even after a failure; the script exits 1 when any failed. DuckDB comes
# from tests/oracle (scripts/install-deps); without node or DuckDB the test fails.
set -euo pipefail

CYLON=${1:?usage: test_run_dist.sh PATH/TO/cylon [PATH/TO/duck.mjs] [PATH/TO/examples/plans]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DUCK=${2:-$here/../oracle/duck.mjs}
PLANS=${3:-$here/../../examples/plans}
CYLON=$(cd "$(dirname "$CYLON")" && pwd)/$(basename "$CYLON")
DUCK=$(cd "$(dirname "$DUCK")" && pwd)/$(basename "$DUCK")
PLANS=$(cd "$PLANS" && pwd)
ROWS=${ROWS:-20000}
WORKERS=${WORKERS:-1 2 3 4 7}
export LC_ALL=C

work=$(mktemp -d "${TMPDIR:-/tmp}/cylon-run-dist-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=run_lib.sh
source "$here/run_lib.sh"

# ---- data and plans -------------------------------------------------------------------

echo "== setup: $ROWS rows per table (${SECONDS}s)" >&2
mkdir -p plans/data/a_parts
cp "$PLANS"/*.json plans/
cy gen --rows "$ROWS" --unique 0.5 --seed 1 --columns k:int64,v:int64 -o plans/data/a.csv
expect_rc 0 "gen a.csv"
cy gen --rows "$ROWS" --unique 0.5 --seed 2 --nulls 0.01 \
  --columns k:int64,x:float64,s:string,d:date -o plans/data/b.csv
expect_rc 0 "gen b.csv"
for i in 0 1 2 3 4; do # five parts of different sizes
  cy gen --rows $((ROWS / 5 + i * 100)) --unique 0.3 --seed $((10 + i)) \
    --columns k:int64,v:int64 -o plans/data/a_parts/part-$i.csv
  expect_rc 0 "gen a_parts/part-$i.csv"
done
A="read_csv('$work/plans/data/a.csv')"
B="read_csv('$work/plans/data/b.csv')"
# The parts in name order, each in file order, with each row's global position.
P="(SELECT *, row_number() OVER () AS rn FROM read_csv('$work/plans/data/a_parts/*.csv'))"
out() { echo "read_csv('$work/plans/out/$1')"; }
# A directory of parts (some may hold only a header), read with the given column types.
parts() { echo "read_csv('$work/plans/out/$1/*.csv', header = true, columns = $2)"; }

cat >plans/positions.json <<'EOF'
{"steps": [
  {"id": "a", "op": "read", "path": "data/a_parts/"},
  {"id": "odd", "op": "filter", "input": "a", "where": "v >= 300000000"},
  {"id": "s", "op": "sort", "input": "odd", "by": ["k", "v"]},
  {"id": "h", "op": "head", "input": "s", "n": 25},
  {"op": "write", "input": "h", "path": "out/head.csv"},
  {"id": "t", "op": "tail", "input": "s", "n": 25},
  {"op": "write", "input": "t", "path": "out/tail.csv"},
  {"id": "sl", "op": "slice", "input": "s", "offset": 1000, "length": 30},
  {"op": "write", "input": "sl", "path": "out/slice.csv"},
  {"id": "tk", "op": "top_k", "input": "a", "by": [{"column": "v", "desc": true}, "k"], "k": 15},
  {"op": "write", "input": "tk", "path": "out/topk.csv"},
  {"id": "u", "op": "unique", "input": "a", "columns": ["k"], "keep": "last"},
  {"op": "write", "input": "u", "path": "out/unique/"},
  {"id": "g", "op": "groupby", "input": "a", "by": ["k"], "aggs": {"v": ["count", "min"]}},
  {"op": "write", "input": "g", "path": "out/groups/"},
  {"id": "both", "op": "union_all", "inputs": ["h", "t"]},
  {"op": "write", "input": "both", "path": "out/both/"},
  {"id": "few", "op": "head", "input": "a", "n": 4},
  {"id": "vs", "op": "select", "input": "few", "columns": {"w": "v"}},
  {"id": "x", "op": "cross_join", "left": "h", "right": "vs"},
  {"op": "write", "input": "x", "path": "out/cross.csv"},
  {"id": "total", "op": "aggregate", "input": "a", "output": true,
   "aggs": [{"op": "count_all", "name": "n"}, {"column": "v", "op": "sum"},
            {"column": "k", "op": "max"}]}
]}
EOF

want_pipeline="SELECT k, sum(v) AS v_sum, round(avg(v), 4) AS v_mean, count(v) AS v_count,
  max(x) AS x_max FROM $A AS a JOIN $B AS b USING (k) GROUP BY k"
SORTED="(SELECT k, v FROM $P WHERE v >= 300000000 ORDER BY k, v)"

for w in $WORKERS; do
  echo "== $w worker(s) (${SECONDS}s)" >&2
  rm -rf plans/out

  cy run plans/pipeline.json --workers "$w"
  expect_rc 0 "[$w] run pipeline.json"
  same_order "[$w] pipeline.csv: the group-by in the sorted order" \
    "SELECT k, v_sum, round(v_mean, 4), v_count, x_max FROM $(out pipeline.csv)" \
    "$want_pipeline ORDER BY v_sum DESC, k"
  box_rows "$work/out" >"$work/box.txt"
  duck "$want_pipeline ORDER BY v_sum DESC, k LIMIT 10" | cut -f1,2 >"$work/top.txt" || true
  check "[$w] the printed result is the top 10 (k, v_sum)" \
    cmp -s <(cut -f1,2 "$work/box.txt") "$work/top.txt"
  out_has "10 rows  5 columns" "[$w] pipeline result box"
  err_has "[rank 0] [3/7] joined (join)" "[$w] rank 0's step line"
  err_has "[rank 0] done: 7 steps in" "[$w] rank 0's summary"
  err_has "on $w worker" "[$w] the summary names the workers"
  checks=$((checks + 1))
  if grep -q '^\[rank [1-9]' "$work/err"; then fail "[$w] step lines from ranks other than 0"; fi

  cy run plans/filter.json --workers "$w" --progress ranks
  expect_rc 0 "[$w] run filter.json"
  same_order "[$w] filter.csv: filter, computed score, top 10" \
    "SELECT * FROM $(out filter.csv)" \
    "SELECT k, x, s, d, x * 2 + k AS score FROM $B
     WHERE x >= 500 AND s IS NOT NULL AND d >= DATE '2020-01-01' ORDER BY score DESC LIMIT 10"
  err_has "[rank $((w - 1))] [1/5] b (read)" "[$w] --progress ranks: the last rank's lines"

  cy run plans/sets.json --workers "$w" -q
  expect_rc 0 "[$w] run sets.json"
  same_rows "[$w] keys_both.csv is the intersection" "SELECT k FROM $(out keys_both.csv)" \
    "SELECT k FROM $A INTERSECT SELECT k FROM $B"
  same_rows "[$w] keys_only_a.csv is the difference" "SELECT k FROM $(out keys_only_a.csv)" \
    "SELECT k FROM $A EXCEPT SELECT k FROM $B"
  summary=$(box_rows "$work/out")
  want=$(duck "SELECT count(*), min(k), max(k) FROM (SELECT k FROM $A UNION SELECT k FROM $B)" || true)
  check "[$w] sets summary: distinct keys, min and max ($summary vs $want)" \
    test "$summary" = "$want"

  cy run plans/clean.json --workers "$w" -q
  expect_rc 0 "[$w] run clean.json"
  same_order "[$w] clean.csv: filled, dated, first per key, sorted" \
    "SELECT * FROM $(out clean.csv)" \
    "SET threads = 1;
     WITH b AS (SELECT *, row_number() OVER () AS rn FROM $B),
     f AS (SELECT k, d, coalesce(s, 'unknown') AS s, coalesce(x, 0) AS x, rn FROM b
           WHERE d IS NOT NULL)
     SELECT k AS key, arg_min(d, rn) AS day, arg_min(s, rn) AS label, arg_min(x, rn) AS amount
     FROM f GROUP BY k ORDER BY key"

  cy run plans/positions.json --workers "$w"
  expect_rc 0 "[$w] run positions.json"
  same_order "[$w] head of the sorted parts" "SELECT * FROM $(out head.csv)" \
    "SELECT * FROM $SORTED LIMIT 25"
  same_order "[$w] tail of the sorted parts" "SELECT * FROM $(out tail.csv)" \
    "SELECT * FROM (SELECT * FROM $SORTED ORDER BY k DESC, v DESC LIMIT 25) ORDER BY k, v"
  same_order "[$w] slice of the sorted parts" "SELECT * FROM $(out slice.csv)" \
    "SELECT * FROM $SORTED LIMIT 30 OFFSET 1000"
  same_order "[$w] top_k of the parts" "SELECT * FROM $(out topk.csv)" \
    "SELECT k, v FROM $P ORDER BY v DESC, k LIMIT 15"
  check "[$w] a part per worker with rows in out/unique/" \
    test "$(ls plans/out/unique | grep -c '^part-.*\.csv$')" -le "$w"
  DUCK_PRE="SET threads = 1; " same_rows "[$w] unique keep last (parts)" \
    "SELECT * FROM $(parts unique "{'k': 'BIGINT', 'v': 'BIGINT'}")" \
    "SELECT k, arg_max(v, rn) AS v FROM $P GROUP BY k"
  same_rows "[$w] group-by (parts)" \
    "SELECT * FROM $(parts groups "{'k': 'BIGINT', 'v_count': 'BIGINT', 'v_min': 'BIGINT'}")" \
    "SELECT k, count(v), min(v) FROM $P GROUP BY k"
  same_rows "[$w] union_all of head and tail (parts)" \
    "SELECT * FROM $(parts both "{'k': 'BIGINT', 'v': 'BIGINT'}")" \
    "(SELECT * FROM $SORTED LIMIT 25) UNION ALL
     (SELECT * FROM $SORTED ORDER BY k DESC, v DESC LIMIT 25)"
  DUCK_PRE="SET threads = 1; " same_rows "[$w] cross join" "SELECT * FROM $(out cross.csv)" \
    "SELECT h.k, h.v, f.v AS w FROM (SELECT * FROM $SORTED LIMIT 25) AS h,
     (SELECT v FROM $P ORDER BY rn LIMIT 4) AS f"
  total=$(box_rows "$work/out")
  want=$(duck "SELECT count(*), sum(v), max(k) FROM $P" || true)
  check "[$w] the printed aggregate ($total vs $want)" test "$total" = "$want"
done

# ---- failures ---------------------------------------------------------------------------

echo "== failures (${SECONDS}s)" >&2
rm -rf plans/out
cat >plans/bad.json <<'EOF'
{"steps": [
  {"id": "a", "op": "read", "path": "data/a.csv"},
  {"id": "g", "op": "groupby", "input": "a", "by": ["k"], "aggs": {"v": ["summ"]}}
]}
EOF
cy run plans/bad.json --workers 3
expect_rc 1 "an invalid plan on 3 workers"
err_has 'cylon run: plans/bad.json: steps[1] "g" (groupby): "aggs": unknown aggregate "summ"' \
  "invalid plan message"
checks=$((checks + 1))
if grep -q '^\[rank' "$work/err"; then fail "an invalid plan started workers"; fi

# One rank reads all of b.csv (one file), the others none: the cast fails on that rank
# only, and the others must fail too rather than wait for it.
cat >plans/fails.json <<'EOF'
{"steps": [
  {"id": "b", "op": "read", "path": "data/b.csv"},
  {"id": "c", "op": "cast", "input": "b", "columns": {"s": "int64"}},
  {"id": "s", "op": "sort", "input": "c", "by": ["k"]},
  {"op": "write", "input": "s", "path": "out/never.csv"}
]}
EOF
cy run plans/fails.json --workers 3
expect_rc 1 "a step failing on one rank"
err_has '] cylon run: steps[1] "c" (cast): ' "the failing step, on the rank that read b.csv"
for r in 0 1 2; do
  err_has "[rank $r] cylon run: " "rank $r fails"
done
err_has ' aborted: steps[1] "c" (cast)' "the others name the failing rank and its error"
err_has "cylon run: rank " "the launcher's summary of the failure"
check "a failed run writes no file" test ! -e plans/out/never.csv

# A worker killed mid-run: wait until rank 0 has finished the first step, then SIGKILL
# rank 1; the run must end (well before the 60 s deadline) naming rank 1.
echo "== a killed worker (${SECONDS}s)" >&2
cy gen --rows 2000000 --unique 0.5 --seed 3 --columns k:int64,v:int64 -o plans/data/big_a.csv
cy gen --rows 2000000 --unique 0.5 --seed 4 --columns k:int64,x:float64,s:string,d:date \
  -o plans/data/big_b.csv
sed 's#data/a.csv#data/big_a.csv#; s#data/b.csv#data/big_b.csv#' plans/pipeline.json \
  >plans/big.json
"$CYLON" run plans/big.json --workers 3 >"$work/out" 2>"$work/err" &
launcher=$!
rank1=""
for _ in $(seq 600); do # up to 60 s for the first step line
  if grep -q '^\[rank 0\] \[1/7\]' "$work/err"; then
    for pid in $(pgrep -P "$launcher" || true); do
      if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'CYLON_RANK=1'; then
        rank1=$pid
      fi
    done
    break
  fi
  sleep 0.1
done
checks=$((checks + 1))
if [[ -z $rank1 ]]; then
  fail "could not find rank 1 mid-run: $(head -c 800 "$work/err")"
else
  kill -KILL "$rank1"
fi
RC=0
wait "$launcher" || RC=$?
expect_rc 1 "a run with a killed worker"
err_has "cylon run: rank 1 was killed by signal 9" "the killed rank named by the launcher"
err_has "] cylon run: lost rank 1" "the other ranks name the lost rank"
checks=$((checks + 1))
if grep -q '^\[rank 0\] done' "$work/err"; then fail "the run finished before the kill"; fi

echo "test_run_dist: $checks checks, $failures failed (${SECONDS}s)" >&2
((failures == 0))
