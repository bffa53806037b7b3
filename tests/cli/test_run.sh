#!/usr/bin/env bash
# test_run.sh - `cylon run PLAN.json` end to end: the example plans of examples/plans/ on
# data from `cylon gen`, each output checked against DuckDB running the same query in SQL.
#
#   tests/cli/test_run.sh PATH/TO/cylon [PATH/TO/tests/oracle/duck.mjs] [PATH/TO/examples/plans]
#
# What it covers:
# - pipeline.json (read, join, group-by, sort, write, head as the output): the written file
#   has DuckDB's rows in DuckDB's order; the printed box shows the top rows.
# - filter.json (filter with a date literal, with_column, top_k): the ten rows, in order.
# - sets.json (select, intersect, except, union, aggregate): both written key sets as
#   multisets, and the printed summary's count, min and max.
# - clean.json (fill_null, drop_null, cast, project with renames, unique keep first, sort):
#   the written file, row by row.
# - relative paths resolve against the plan's directory: the plans are copied next to
#   their data and run from other working directories;
# - the step lines on standard error (one per step, then "done"), nothing of them on
#   standard output, --quiet, --verbose, --check (which writes nothing);
# - failures: an invalid plan (exit 1, the step, key, line and column named, nothing read
#   or written), a step failing at run time (exit 1, the step named, no output file and no
#   temporary left), a missing plan file (exit 1), bad usage (exit 2).
#
# Every check runs even after a failure; the script exits 1 when any failed. DuckDB comes
# from tests/oracle (scripts/install-deps); without node or DuckDB the test fails, it is
# never skipped. Work happens in a temporary directory removed on exit.
set -euo pipefail

CYLON=${1:?usage: test_run.sh PATH/TO/cylon [PATH/TO/duck.mjs] [PATH/TO/examples/plans]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DUCK=${2:-$here/../oracle/duck.mjs}
PLANS=${3:-$here/../../examples/plans}
CYLON=$(cd "$(dirname "$CYLON")" && pwd)/$(basename "$CYLON")
DUCK=$(cd "$(dirname "$DUCK")" && pwd)/$(basename "$DUCK")
PLANS=$(cd "$PLANS" && pwd)
ROWS=${ROWS:-30000}
export LC_ALL=C

work=$(mktemp -d "${TMPDIR:-/tmp}/cylon-run-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=run_lib.sh
source "$here/run_lib.sh"

# ---- data and plans -------------------------------------------------------------------

echo "== setup: $ROWS rows per table (${SECONDS}s)" >&2
mkdir -p plans/data elsewhere
cp "$PLANS"/*.json plans/
cy gen --rows "$ROWS" --unique 0.5 --seed 1 --columns k:int64,v:int64 -o plans/data/a.csv
expect_rc 0 "gen a.csv"
cy gen --rows "$ROWS" --unique 0.5 --seed 2 --nulls 0.01 \
  --columns k:int64,x:float64,s:string,d:date -o plans/data/b.csv
expect_rc 0 "gen b.csv"
A="read_csv('$work/plans/data/a.csv')"
B="read_csv('$work/plans/data/b.csv')"
out() { echo "read_csv('$work/plans/out/$1')"; }

# ---- pipeline.json ----------------------------------------------------------------------

echo "== pipeline.json (${SECONDS}s)" >&2
cy run plans/pipeline.json # relative to the working directory, paths relative to the plan
expect_rc 0 "run pipeline.json"
check "pipeline.csv written next to the plan" test -s plans/out/pipeline.csv
want_pipeline="SELECT k, sum(v) AS v_sum, round(avg(v), 4) AS v_mean, count(v) AS v_count,
  max(x) AS x_max FROM $A AS a JOIN $B AS b USING (k) GROUP BY k"
same_order "pipeline.csv: the group-by in the sorted order" \
  "SELECT k, v_sum, round(v_mean, 4), v_count, x_max FROM $(out pipeline.csv)" \
  "$want_pipeline ORDER BY v_sum DESC, k"
box_rows "$work/out" >"$work/box.txt"
duck "$want_pipeline ORDER BY v_sum DESC, k LIMIT 10" | cut -f1,2 >"$work/top.txt" || true
check "the printed result is the top 10 (k, v_sum)" \
  cmp -s <(cut -f1,2 "$work/box.txt") "$work/top.txt"
out_has "10 rows  5 columns" "pipeline result box"
err_has "[1/7] a (read)" "pipeline step line"
err_has "[3/7] joined (join)" "pipeline step line"
err_has "[6/7] (write)" "pipeline write line"
err_has "done: 7 steps in" "pipeline done line"
check "one stderr line per step plus done" test "$(wc -l <"$work/err")" -eq 8
checks=$((checks + 1))
if grep -q '^\[' "$work/out"; then fail "step lines on standard output"; fi

# ---- filter.json --------------------------------------------------------------------------

echo "== filter.json (${SECONDS}s)" >&2
CY_DIR=$work/elsewhere cy run ../plans/filter.json
expect_rc 0 "run filter.json from another directory"
same_order "filter.csv: filter, computed score, top 10" \
  "SELECT * FROM $(out filter.csv)" \
  "SELECT k, x, s, d, x * 2 + k AS score FROM $B
   WHERE x >= 500 AND s IS NOT NULL AND d >= DATE '2020-01-01' ORDER BY score DESC LIMIT 10"
out_has "10 rows  5 columns" "filter result box"

# ---- sets.json ----------------------------------------------------------------------------

echo "== sets.json (${SECONDS}s)" >&2
CY_DIR=/ cy run "$work/plans/sets.json"
expect_rc 0 "run sets.json by absolute path from /"
same_rows "keys_both.csv is the intersection" "SELECT k FROM $(out keys_both.csv)" \
  "SELECT k FROM $A INTERSECT SELECT k FROM $B"
same_rows "keys_only_a.csv is the difference" "SELECT k FROM $(out keys_only_a.csv)" \
  "SELECT k FROM $A EXCEPT SELECT k FROM $B"
summary=$(box_rows "$work/out")
want=$(duck "SELECT count(*), min(k), max(k) FROM (SELECT k FROM $A UNION SELECT k FROM $B)")
check "sets summary: distinct keys, min and max ($summary vs $want)" test "$summary" = "$want"

# ---- clean.json ---------------------------------------------------------------------------

echo "== clean.json (${SECONDS}s)" >&2
cy run --quiet plans/clean.json
expect_rc 0 "run clean.json --quiet"
check "--quiet: nothing on stderr" test ! -s "$work/err"
check "a plan ending in a write prints nothing" test ! -s "$work/out"
same_order "clean.csv: filled, dated, first per key, sorted" \
  "SELECT * FROM $(out clean.csv)" \
  "SET threads = 1;
   WITH b AS (SELECT *, row_number() OVER () AS rn FROM $B),
   f AS (SELECT k, d, coalesce(s, 'unknown') AS s, coalesce(x, 0) AS x, rn FROM b
         WHERE d IS NOT NULL)
   SELECT k AS key, arg_min(d, rn) AS day, arg_min(s, rn) AS label, arg_min(x, rn) AS amount
   FROM f GROUP BY k ORDER BY key"
check "clean.csv header has the new names" test "$(head -n 1 plans/out/clean.csv)" = "key,day,label,amount"

# ---- options ------------------------------------------------------------------------------

echo "== options (${SECONDS}s)" >&2
rm -rf plans/out
cy run --check plans/pipeline.json
expect_rc 0 "--check"
out_has "plans/pipeline.json: 7 steps, valid" "--check"
check "--check writes nothing" test ! -e plans/out
cy run -v -n 3 plans/filter.json
expect_rc 0 "--verbose"
err_has "      columns (k: int64, x: float64, s: utf8, d: date32, score: float64)" "--verbose columns"
err_has "      memory " "--verbose memory"
out_has "10 rows (3 shown)  5 columns" "-n 3"

# ---- failures -----------------------------------------------------------------------------

echo "== failures (${SECONDS}s)" >&2
rm -rf plans/out
cat >plans/bad.json <<'EOF'
{"steps": [
  {"id": "a", "op": "read", "path": "data/a.csv"},
  {"id": "g", "op": "groupby", "input": "a", "by": ["k"],
   "aggs": {"v": ["sum", "summ"]}},
  {"op": "write", "input": "g", "path": "out/bad.csv"}
]}
EOF
cy run plans/bad.json
expect_rc 1 "an invalid plan"
err_has 'cylon run: plans/bad.json: steps[1] "g" (groupby): "aggs": unknown aggregate "summ" (did you mean "sum"?) (line 4, column 26)' "invalid plan message"
check "an invalid plan runs nothing" test ! -e plans/out
check "an invalid plan prints no step line" bash -c "! grep -q '^\[' '$work/err'"

cat >plans/fails.json <<'EOF'
{"steps": [
  {"id": "a", "op": "read", "path": "data/a.csv"},
  {"id": "b", "op": "read", "path": "data/b.csv"},
  {"id": "u", "op": "union_all", "inputs": ["a", "b"]},
  {"op": "write", "input": "u", "path": "out/never.csv"}
]}
EOF
cy run plans/fails.json
expect_rc 1 "a failing step"
err_has 'cylon run: steps[2] "u" (union_all): ' "failing step named"
err_has "(k: int64, v: int64)" "both schemas named"
check "a failed plan writes no file, and no temporary" bash -c "! ls plans/out 2>/dev/null | grep -q ."

mkdir -p plans/out && echo "old" >plans/out/keep.csv
cat >plans/blocked.json <<'EOF'
{"steps": [
  {"id": "a", "op": "read", "path": "data/a.csv"},
  {"op": "write", "input": "a", "path": "out/keep.csv/inside.csv"}
]}
EOF
cy run plans/blocked.json
expect_rc 1 "a write that cannot happen"
err_has "steps[1] (write): " "failing write named"
check "the existing file is untouched" test "$(cat plans/out/keep.csv)" = "old"

cy run plans/missing.json
expect_rc 1 "a missing plan"
err_has "cannot open the plan plans/missing.json" "missing plan message"
cy run
expect_rc 2 "no plan"
cy run plans/pipeline.json --bogus
expect_rc 2 "an unknown option"
cy run plans/pipeline.json --workers 0
expect_rc 2 "--workers 0"
err_has "bad --workers '0'" "--workers message"
cy run plans/pipeline.json --workers 2 --platform mpi
expect_rc 2 "--workers with --platform mpi"
cy run plans/pipeline.json --job j1
expect_rc 2 "--job without workers"
cy run plans/pipeline.json -n many
expect_rc 2 "-n many"
cy run --help
expect_rc 0 "--help"
out_has "usage: cylon run PLAN.json" "--help"

echo "test_run: $checks checks, $failures failed (${SECONDS}s)" >&2
((failures == 0))
