#!/usr/bin/env bash
# test_cli.sh - the `cylon` command line, end to end, checked against DuckDB.
#
#   tests/cli/test_cli.sh PATH/TO/cylon [PATH/TO/tests/oracle/duck.mjs]
#
# What it covers:
# - gen: the same arguments give byte-identical files, whatever CYLON_NUM_THREADS is;
#   another seed gives another file; exact row counts (also across the generator's 65536-row
#   chunks, and for the 2k / 1_000 / 1e3 spellings); the key column's distinct count is the
#   expectation for uniform draws in [0, F*N), F*N*(1-exp(-1/F)), within 2%, and its values
#   stay in that range; --nulls P gives about P nulls in every column but the key; DuckDB
#   infers the promised types (BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP, BOOLEAN) and its
#   aggregates agree with the generator's promises (value ranges, dates within
#   2000-01-01..2027-05-19, strings of 4 to 12 lowercase letters, about half true);
#   `-o -` writes the same bytes to standard output.
# - head: the printed rows are DuckDB's first and last rows of the same file, cell by cell;
#   -n sets how many are shown; the row count line; the timing line on stderr only.
# - schema: names and types (the same as DuckDB's, mapped to cylon's names); --types.
# - convert: to '|' and back gives the original bytes; DuckDB reads the '|' file with the
#   same values as the original; a tab delimiter too.
# - convert between CSV, Parquet and Arrow IPC, every pair (and the IPC stream form, every
#   Parquet codec we write, a file DuckDB wrote in 10 row groups): DuckDB reads each Parquet
#   copy, and each IPC copy converted back to CSV, as the original's rows in order; the
#   types DuckDB reads from our Parquet files; back to CSV gives the original bytes.
# - schema and head on Parquet: types as DuckDB reads them; the first and last rows are
#   DuckDB's, for one row group, 100 row groups (--row-group-rows) and DuckDB's own file;
#   empty files (ours and DuckDB's): the schema, 0 rows.
# - corrupt Parquet and IPC files (cut in half, not Parquet at all, a damaged page): exit 1,
#   the file and the cause named, no output left and an existing target untouched.
# - errors: a missing file (exit 1, the path named), a malformed CSV (exit 1, "line N"),
#   unknown command or option and missing arguments (exit 2), --help (exit 0, usage on
#   stdout), unwritable outputs (exit 1, no file and no temporary left, an existing target
#   untouched), option values that are not numbers (an error, not a silent default).
#
# Every check runs even after a failure; the script exits 1 when any failed. DuckDB comes
# from tests/oracle (scripts/install-deps); without node or DuckDB the test fails, it is
# never skipped. Work happens in a temporary directory removed on exit. VERBOSE=1 prints
# the DuckDB aggregates the checks look at.
set -euo pipefail

CYLON=${1:?usage: test_cli.sh PATH/TO/cylon [PATH/TO/duck.mjs]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DUCK=${2:-$here/../oracle/duck.mjs}
CYLON=$(cd "$(dirname "$CYLON")" && pwd)/$(basename "$CYLON")
DUCK=$(cd "$(dirname "$DUCK")" && pwd)/$(basename "$DUCK")
export LC_ALL=C

work=$(mktemp -d "${TMPDIR:-/tmp}/cylon-cli-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# check DESCRIPTION COMMAND...: the command must succeed.
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if ! "$@"; then fail "$what"; fi
}

# ---- running cylon and DuckDB --------------------------------------------------------

# cy ARGS...: run cylon; sets RC and leaves its output in $work/out and $work/err. A
# sanitizer report is a failure whatever the exit status.
RC=0
cy() {
  RC=0
  "$CYLON" "$@" >"$work/out" 2>"$work/err" || RC=$?
  if grep -qE 'Sanitizer|runtime error:' "$work/err"; then
    fail "sanitizer report from: cylon $*"
    cat "$work/err" >&2
  fi
}
# cy_ok ARGS...: run cylon, which must succeed (RC says whether it did).
cy_ok() {
  cy "$@"
  checks=$((checks + 1))
  if ((RC != 0)); then
    fail "cylon $* exited with $RC: $(head -c 2000 "$work/err" | cat -v)"
  fi
}
# expect_rc WANT WHAT: the last cy call exited with WANT.
expect_rc() {
  checks=$((checks + 1))
  if ((RC != $1)); then
    fail "$2: exit status $RC, expected $1; stderr: $(head -c 600 "$work/err" | cat -v)"
  fi
}
# err_has TEXT WHAT: the last cy call's stderr contains TEXT (fixed string).
err_has() {
  checks=$((checks + 1))
  grep -qF -- "$1" "$work/err" || fail "$2: stderr lacks '$1': $(head -c 600 "$work/err" | cat -v)"
}

if ! command -v node >/dev/null 2>&1; then
  echo "test_cli: node (Node.js >= 18) not found: run scripts/install-deps" >&2
  exit 1
fi
if [[ ! -f $DUCK ]]; then
  echo "test_cli: DuckDB oracle $DUCK not found" >&2
  exit 1
fi

# duck_rows SQL: DuckDB's rows, one line each, values joined by tabs, NULL for null (the
# canonical values of duck.mjs; cast to VARCHAR in the SQL to get DuckDB's own text).
duck_rows() {
  DUCK_MJS=$DUCK DUCK_SQL=$1 node --input-type=module -e '
    const { queryTable, close } = await import(process.env.DUCK_MJS);
    try {
      const { rows } = await queryTable(process.env.DUCK_SQL);
      for (const r of rows) console.log(r.map((v) => (v === null ? "NULL" : String(v))).join("\t"));
    } finally { close(); }'
}
# duck_kv SQL: the single row of DuckDB's result as NAME=VALUE lines.
# shellcheck disable=SC2016 # ${...} in the node code is JavaScript
duck_kv() {
  DUCK_MJS=$DUCK DUCK_SQL=$1 node --input-type=module -e '
    const { queryTable, close } = await import(process.env.DUCK_MJS);
    try {
      const { names, rows } = await queryTable(process.env.DUCK_SQL);
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
      names.forEach((n, i) => console.log(`${n}=${rows[0][i] === null ? "NULL" : rows[0][i]}`));
    } finally { close(); }'
}
# duck_types FILE [READ_CSV_OPTIONS]: "name type" lines, DuckDB's inference over the file.
# shellcheck disable=SC2016
duck_types() {
  DUCK_MJS=$DUCK DUCK_SQL="SELECT * FROM read_csv('$1', sample_size=-1${2:+, $2}) LIMIT 0" \
    node --input-type=module -e '
    const { queryTable, close } = await import(process.env.DUCK_MJS);
    try {
      const { names, types } = await queryTable(process.env.DUCK_SQL);
      names.forEach((n, i) => console.log(`${n} ${types[i]}`));
    } finally { close(); }'
}

# The DuckDB result as an associative array: load_kv SQL (fills KV).
declare -A KV
load_kv() {
  KV=()
  local line
  local out
  if ! out=$(duck_kv "$1" 2>&1); then
    fail "DuckDB query failed: $1: $out"
    return 0
  fi
  while IFS= read -r line; do KV[${line%%=*}]=${line#*=}; done <<<"$out"
  [[ -z ${VERBOSE:-} ]] || echo "DuckDB: $(tr "\n" " " <<<"$out")" >&2
}

# The files under the work directory, to see that a failed command left nothing behind.
snapshot() { (cd "$work" && find . | sort); }

# awk_true EXPR: a floating point condition, e.g. awk_true "0.24 < 0.25".
awk_true() { awk "BEGIN { exit !($1) }"; }

# The cells of a box printed by `cylon head`: one line per row of the box (names, types,
# then data rows), cells trimmed and joined by tabs; the '·' gap line is left out.
box_cells() {
  awk -F'│' 'NF > 2 && $0 !~ /·/ {
    line = ""
    for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); line = line (i > 2 ? "\t" : "") c }
    print line }' "$1"
}

# ---- gen: reproducibility ----------------------------------------------------------

ALL=k:int64,v:int64,i:int32,x:float64,s:string,d:date,t:timestamp,b:bool

echo "== gen: reproducibility (${SECONDS}s)" >&2
cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o r1.csv
cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o r2.csv
check "same arguments give the same bytes" cmp -s r1.csv r2.csv
check "gen prints nothing on stdout when writing a file" test ! -s "$work/out"
check "gen reports on stderr" grep -q '^generated 150,000 rows x 8 columns' "$work/err"
CYLON_NUM_THREADS=1 cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o t1.csv
CYLON_NUM_THREADS=2 cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o t2.csv
CYLON_NUM_THREADS=5 cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o t5.csv
check "CYLON_NUM_THREADS=1 and 2 give the same bytes" cmp -s t1.csv t2.csv
check "CYLON_NUM_THREADS=1 and 5 give the same bytes" cmp -s t1.csv t5.csv
check "threads do not change the default-thread output" cmp -s t1.csv r1.csv
cy_ok gen --rows 150000 --seed 8 --unique 0.5 --nulls 0.1 --columns "$ALL" -o r3.csv
check "another seed gives another file" bash -c '! cmp -s r1.csv r3.csv'
# Each column changes with the seed, not only some of them.
for col in 1 2 3 4 5 6 7 8; do
  check "column $col differs between seeds 7 and 8" \
    bash -c "! cmp -s <(cut -d, -f$col r1.csv) <(cut -d, -f$col r3.csv)"
done
check "the header is the column names" test "$(head -n 1 r1.csv)" = "k,v,i,x,s,d,t,b"
cy_ok gen --rows 150000 --seed 7 --unique 0.5 --nulls 0.1 --columns "$ALL" -o -
check "-o - writes the same bytes to standard output" cmp -s "$work/out" r1.csv
# The header line alone says nothing about the rows: the unique factor must change them.
cy_ok gen --rows 1000 --seed 7 --unique 0.5 -o u1.csv
cy_ok gen --rows 1000 --seed 7 --unique 2 -o u2.csv
check "another unique factor gives another file" bash -c '! cmp -s u1.csv u2.csv'

# ---- gen: row counts ----------------------------------------------------------------

echo "== gen: row counts (${SECONDS}s)" >&2
for spec in 0:0 1:1 7:7 65535:65535 65536:65536 65537:65537 200000:200000 2k:2000 \
  1_000:1000 1e3:1000; do
  arg=${spec%%:*} want=${spec#*:}
  cy_ok gen --rows "$arg" --seed 3 --columns k:int64,s:string,b:bool -o rows.csv
  ((RC == 0)) || continue
  lines=$(wc -l <rows.csv)
  checks=$((checks + 1))
  ((lines == want + 1)) || fail "gen --rows $arg wrote $((lines - 1)) rows, expected $want"
done

# ---- gen: statistics, checked by DuckDB ------------------------------------------------

# The expected number of distinct keys among N uniform draws from K = ceil(F*N) values:
# K (1 - (1 - 1/K)^N), about F*N*(1-exp(-1/F)).
expected_distinct() {
  awk -v f="$1" -v n="$2" 'BEGIN { printf "%.3f", f * n * (1 - exp(-1 / f)) }'
}

echo "== gen: key distribution (DuckDB) (${SECONDS}s)" >&2
N=100000
for F in 0.1 0.9 3; do
  cy_ok gen --rows $N --unique $F --seed 5 --columns k:int64,v:int64 -o uniq.csv
  ((RC == 0)) || continue
  load_kv "SELECT count(*) AS n, count(DISTINCT k) AS nd, min(k) AS lo, max(k) AS hi,
                  count(k) AS nk FROM read_csv('$work/uniq.csv', sample_size=-1)"
  want=$(expected_distinct "$F" $N)
  keys=$(awk -v f=$F -v n=$N 'BEGIN { k = f * n; printf "%d", (k == int(k)) ? k : int(k) + 1 }')
  check "F=$F: $N rows (DuckDB counted ${KV[n]-?})" test "${KV[n]-}" = "$N"
  check "F=$F: no null keys" test "${KV[nk]-}" = "$N"
  check "F=$F: distinct keys ${KV[nd]-?} within 2% of $want" \
    awk_true "${KV[nd]-0} >= 0.98 * $want && ${KV[nd]-0} <= 1.02 * $want"
  check "F=$F: keys within [0, $keys): min ${KV[lo]-?}, max ${KV[hi]-?}" \
    awk_true "${KV[lo]-(-1)} >= 0 && ${KV[hi]-1e30} < $keys"
  check "F=$F: keys span the range: max ${KV[hi]-?} >= 0.99 * $keys" \
    awk_true "${KV[hi]-0} >= 0.99 * $keys && ${KV[lo]-1e30} <= 0.01 * $keys"
done

echo "== gen: nulls, types and value ranges (DuckDB) (${SECONDS}s)" >&2
cy_ok gen --rows $N --unique 0.9 --seed 9 --nulls 0.25 --columns "$ALL" -o all.csv
types=$(duck_types "$work/all.csv" 2>&1) || fail "DuckDB could not describe all.csv: $types"
want_types=$'k BIGINT\nv BIGINT\ni BIGINT\nx DOUBLE\ns VARCHAR\nd DATE\nt TIMESTAMP\nb BOOLEAN'
check "DuckDB infers the promised types: got [$(tr "\n" " " <<<"$types")]" test "$types" = "$want_types"
load_kv "SELECT count(*) AS n, count(k) AS nk,
  count(v) / count(*) AS fv, count(i) / count(*) AS fi, count(x) / count(*) AS fx,
  count(s) / count(*) AS fs, count(d) / count(*) AS fd, count(t) / count(*) AS ft,
  count(b) / count(*) AS fb,
  count(DISTINCT k) AS nd, min(k) AS klo, max(k) AS khi,
  min(v) >= 0 AND max(v) < 1000000000 AS v_range,
  min(i) >= 0 AND max(i) < 1000000 AS i_range,
  min(x) >= 0 AND max(x) < 1000 AS x_range,
  max(abs(x * 1e6 - round(x * 1e6))) < 1e-3 AS x_six_decimals,
  bool_and(regexp_full_match(s, '[a-z]{4,12}')) AS s_letters,
  min(length(s)) AS s_min, max(length(s)) AS s_max,
  min(d) >= DATE '2000-01-01' AND max(d) <= DATE '2027-05-19' AS d_range,
  min(d) <= DATE '2000-01-10' AND max(d) >= DATE '2027-05-10' AS d_span,
  min(t) >= TIMESTAMP '2000-01-01' AND max(t) < TIMESTAMP '2027-05-20' AS t_range,
  min(t) <= TIMESTAMP '2000-01-10' AND max(t) >= TIMESTAMP '2027-05-10' AS t_span,
  avg(b::INT) AS b_true
  FROM read_csv('$work/all.csv', sample_size=-1)"
check "all.csv: $N rows" test "${KV[n]-}" = "$N"
check "all.csv: the key has no nulls" test "${KV[nk]-}" = "$N"
for c in v i x s d t b; do
  f=${KV[f$c]-0}
  check "column $c: non-null fraction $f within 0.75 +- 0.01 (--nulls 0.25)" \
    awk_true "$f >= 0.74 && $f <= 0.76"
done
want=$(expected_distinct 0.9 $N)
check "all.csv: distinct keys ${KV[nd]-?} within 2% of $want" \
  awk_true "${KV[nd]-0} >= 0.98 * $want && ${KV[nd]-0} <= 1.02 * $want"
check "all.csv: keys in [0, 90000): ${KV[klo]-?}..${KV[khi]-?}" \
  awk_true "${KV[klo]-(-1)} >= 0 && ${KV[khi]-1e30} < 90000"
for flag in v_range i_range x_range x_six_decimals s_letters d_range d_span t_range t_span; do
  check "all.csv: $flag" test "${KV[$flag]-}" = "true"
done
check "strings of 4 to 12 letters: ${KV[s_min]-?}..${KV[s_max]-?}" \
  test "${KV[s_min]-}:${KV[s_max]-}" = "4:12"
check "about half the bools are true: ${KV[b_true]-?}" \
  awk_true "${KV[b_true]-0} >= 0.49 && ${KV[b_true]-0} <= 0.51"

# Without --nulls nothing is null.
cy_ok gen --rows 20000 --seed 9 --columns "$ALL" -o nonull.csv
load_kv "SELECT count(*) AS n, count(v) + count(i) + count(x) + count(s) + count(d) + count(t)
  + count(b) AS nn FROM read_csv('$work/nonull.csv', sample_size=-1)"
check "no --nulls: no nulls (${KV[nn]-?} of 140000 values)" test "${KV[nn]-}" = 140000

# ---- head ----------------------------------------------------------------------------

echo "== head (${SECONDS}s)" >&2
cy_ok gen --rows 20 --seed 11 --nulls 0.2 --columns k:int64,x:float64,s:string,d:date,t:timestamp,b:bool -o small.csv
cast="SELECT k::VARCHAR, x::VARCHAR, s, d::VARCHAR, t::VARCHAR, b::VARCHAR"
duck_rows "$cast FROM read_csv('$work/small.csv', sample_size=-1)" >small.duck ||
  fail "DuckDB could not read small.csv"
check "DuckDB read 20 rows of small.csv" test "$(wc -l <small.duck)" = 20

cy_ok head small.csv -w 200
box_cells "$work/out" >cells
check "head: the names line" test "$(sed -n 1p cells)" = $'k\tx\ts\td\tt\tb'
check "head: the types line" test "$(sed -n 2p cells)" = $'int64\tfloat64\tutf8\tdate32\ttimestamp[us]\tbool'
check "head: 10 rows shown by default" test "$(tail -n +3 cells | wc -l)" = 10
check "head: the first 5 and last 5 rows are DuckDB's" \
  cmp -s <(tail -n +3 cells) <(sed -n '1,5p;16,20p' small.duck)
check "head: the row count" grep -q '^20 rows' "$work/out"
check "head: the timing line is on stderr" grep -q '^read small.csv: 20 rows x 6 columns' "$work/err"
check "head: no timing on stdout" bash -c "! grep -qE 'MB/s|peak memory|^read ' '$work/out'"

cy_ok head small.csv -n 4 -w 200
box_cells "$work/out" >cells
check "head -n 4: rows 1, 2, 19 and 20, as DuckDB reads them" \
  cmp -s <(tail -n +3 cells) <(sed -n '1,2p;19,20p' small.duck)
cy_ok head small.csv --rows 100 -w 200
box_cells "$work/out" >cells
check "head --rows 100 of 20: all 20 rows, in order" cmp -s <(tail -n +3 cells) small.duck
cy_ok head small.csv -n 1 -w 200
box_cells "$work/out" >cells
check "head -n 1: one row" test "$(tail -n +3 cells | wc -l)" = 1

# A large file: the count line has thousands separators and the first and last rows
# are the file's.
cy_ok head all.csv -w 200
box_cells "$work/out" >cells
check "head all.csv: the row count" grep -q "^100000 rows" "$work/out"
# DuckDB keeps the file's order for a plain scan (preserve_insertion_order), so LIMIT and
# OFFSET pick the file's first and last rows.
all_cast="SELECT k::VARCHAR, v::VARCHAR, i::VARCHAR, x::VARCHAR, s, d::VARCHAR, t::VARCHAR,
  b::VARCHAR FROM read_csv('$work/all.csv', sample_size=-1)"
{ duck_rows "$all_cast LIMIT 2" && duck_rows "$all_cast OFFSET 99998"; } >all.duck ||
  fail "DuckDB could not read all.csv"
check "head all.csv: first and last rows are DuckDB's" \
  cmp -s <(tail -n +3 cells | sed -n '1,2p;9,10p') all.duck
cy_ok head all.csv --types k:int32,s:string -n 2 -w 200
box_cells "$work/out" >cells
check "head --types: k is int32" test "$(sed -n 2p cells | cut -f1)" = int32

# ---- schema --------------------------------------------------------------------------

echo "== schema (${SECONDS}s)" >&2
# DuckDB type name -> cylon type name.
to_cylon() {
  sed -e 's/ BIGINT$/ int64/' -e 's/ DOUBLE$/ float64/' -e 's/ VARCHAR$/ utf8/' \
    -e 's/ DATE$/ date32/' -e 's/ TIMESTAMP$/ timestamp[us]/' -e 's/ BOOLEAN$/ bool/'
}
schema_pairs() { tail -n +2 "$work/out" | awk '{ print $1, $2 }'; }
cy_ok schema all.csv
check "schema: a header line" test "$(head -n 1 "$work/out" | awk '{print $1, $2}')" = "column type"
want=$'k int64\nv int64\ni int64\nx float64\ns utf8\nd date32\nt timestamp[us]\nb bool'
check "schema: names and types [$(schema_pairs | tr '\n' ' ')]" test "$(schema_pairs)" = "$want"
check "schema: the same types as DuckDB's" test "$(schema_pairs)" = "$(to_cylon <<<"$types")"
cy_ok schema all.csv --types k:int32
check "schema --types k:int32" test "$(schema_pairs)" = "${want/k int64/k int32}"
cy_ok schema all.csv --types x:string,d:utf8 --types b:string
got=$(schema_pairs | tr '\n' ' ')
check "schema --types x:string,d:utf8 --types b:string [$got]" \
  test "$got" = "k int64 v int64 i int64 x utf8 s utf8 d utf8 t timestamp[us] b utf8 "
cy schema all.csv --types k:nosuchtype
expect_rc 2 "schema --types with an unknown type"
err_has "nosuchtype" "schema --types with an unknown type"

# ---- convert ---------------------------------------------------------------------------

echo "== convert (${SECONDS}s)" >&2
# A file in the writer's own form (minimal quoting, "" for the empty string, nothing for
# null, shortest floats), so that reading and writing it gives the same bytes.
printf '%s\n' 'id,s,x,d,t' \
  '1,"a,b",0.1,2020-01-01,2020-01-01 10:00:00' \
  '2,"say ""hi""",-2.5,,2020-01-01 10:00:00.5' \
  '3,"",1e+300,1969-12-31,' \
  '4,,nan,2000-02-29,1969-12-31 23:59:59.999999' \
  '5,x|y,,1970-01-01,1970-01-01 00:00:00' \
  '6,"line' 'break",-0.0,1900-03-01,2100-12-31 23:59:59' \
  "7,tab"$'\t'"in,inf,9999-12-31,2000-02-29 12:00:00" \
  '8,ünï ✓,-1.5e-07,0001-01-01,0001-01-01 00:00:00' >h.csv
for spec in h.csv:8 all.csv:100000; do
  src=${spec%%:*} rows=${spec#*:}
  cy_ok convert "$src" p.csv --out-delimiter '|'
  ((RC == 0)) || continue
  check "convert $src to '|': the header uses '|'" test "$(head -n 1 p.csv | tr -cd '|' | wc -c)" -ge 4
  cy_ok convert p.csv back.csv --delimiter '|'
  ((RC == 0)) || continue
  check "convert $src to '|' and back gives the same bytes" cmp -s "$src" back.csv
  # DuckDB reads both with the same types, and the rows of each are the rows of the other
  # (EXCEPT ALL counts duplicates and takes NULL and NaN as equal to themselves).
  read_opts="sample_size=-1, allow_quoted_nulls=false, quote='\"', escape='\"'"
  ta=$(duck_types "$work/$src" "delim=',', $read_opts" 2>&1) || fail "DuckDB could not read $src: $ta"
  tb=$(duck_types "$work/p.csv" "delim='|', $read_opts" 2>&1) || fail "DuckDB could not read p.csv: $tb"
  check "DuckDB reads the '|' file of $src with the same types" test "$ta" = "$tb"
  ra="read_csv('$work/$src', delim=',', $read_opts)"
  rb="read_csv('$work/p.csv', delim='|', $read_opts)"
  load_kv "SELECT (SELECT count(*) FROM $ra) AS na, (SELECT count(*) FROM $rb) AS nb,
    (SELECT count(*) FROM (FROM $ra EXCEPT ALL FROM $rb)) AS only_a,
    (SELECT count(*) FROM (FROM $rb EXCEPT ALL FROM $ra)) AS only_b"
  check "DuckDB reads the '|' file of $src with the same values: ${KV[na]-?} and ${KV[nb]-?} rows, ${KV[only_a]-?} and ${KV[only_b]-?} unmatched" \
    test "${KV[na]-}:${KV[nb]-}:${KV[only_a]-}:${KV[only_b]-}" = "$rows:$rows:0:0"
done
# h.csv value by value, in order, and against what it holds by hand.
cy_ok convert h.csv p.csv --out-delimiter '|'
check "convert prints nothing on stdout when writing a file" test ! -s "$work/out"
check "convert reports on stderr" grep -q '^converted 8 rows' "$work/err"
a=$(duck_rows "SELECT * FROM read_csv('$work/h.csv', delim=',', $read_opts)" 2>&1) ||
  fail "DuckDB could not read h.csv: $a"
b=$(duck_rows "SELECT * FROM read_csv('$work/p.csv', delim='|', $read_opts)" 2>&1) ||
  fail "DuckDB could not read p.csv: $b"
check "DuckDB reads h.csv and its '|' copy row by row the same" test "$a" = "$b"
check "DuckDB's first row of the '|' copy" test "$(head -n 1 <<<"$b")" = \
  $'1\ta,b\t0.1\t2020-01-01\t2020-01-01 10:00:00'
check "DuckDB's third row of the '|' copy: an empty string, not null" \
  test "$(sed -n 3p <<<"$b")" = $'3\t\t1e+300\t1969-12-31\tNULL'
# Spot checks of the '|' file made from h.csv by hand: "a,b" needs no quotes any more,
# "x|y" does.
check "convert: a comma needs no quotes with '|'" grep -qxF '1|a,b|0.1|2020-01-01|2020-01-01 10:00:00' p.csv
check "convert: a '|' is quoted" grep -qxF '5|"x|y"||1970-01-01|1970-01-01 00:00:00' p.csv
# Tabs: 'tab' and '\t' both name the tab.
cy_ok convert h.csv tab.tsv --out-delimiter tab
cy_ok convert tab.tsv back.csv --delimiter '\t'
check "convert to tab-separated and back gives the same bytes" cmp -s h.csv back.csv
check "convert: the tab-separated header" test "$(head -n 1 tab.tsv)" = $'id\ts\tx\td\tt'
cy convert h.csv two.csv --out-delimiter '||'
expect_rc 2 "convert --out-delimiter with two characters"
check "convert with a bad delimiter writes nothing" test ! -e two.csv

# ---- convert between CSV, Parquet and Arrow IPC ------------------------------------------

echo "== convert: CSV, Parquet, Arrow IPC (${SECONDS}s)" >&2
# duck_exec SQL: run a statement in DuckDB (COPY ... TO, for files DuckDB writes).
duck_exec() {
  DUCK_MJS=$DUCK DUCK_SQL=$1 node --input-type=module -e '
    const { run, close } = await import(process.env.DUCK_MJS);
    try { await run(process.env.DUCK_SQL); } finally { close(); }'
}
# duck_schema SOURCE: "name type" lines of what DuckDB reads from SOURCE, in cylon's names.
# shellcheck disable=SC2016
duck_schema() {
  DUCK_MJS=$DUCK DUCK_SQL="SELECT * FROM $1 LIMIT 0" node --input-type=module -e '
    const { queryTable, close } = await import(process.env.DUCK_MJS);
    try {
      const { names, types } = await queryTable(process.env.DUCK_SQL);
      names.forEach((n, i) => console.log(`${n} ${types[i]}`));
    } finally { close(); }' | to_cylon | sed -e 's/ INTEGER$/ int32/'
}
# DuckDB's rows of all.csv (100,000 rows of every type, a quarter null), in file order, as
# text: what every copy of it must read back as.
all_cols="k::VARCHAR, v::VARCHAR, i::VARCHAR, x::VARCHAR, s, d::VARCHAR, t::VARCHAR, b::VARCHAR"
duck_rows "SELECT $all_cols FROM read_csv('$work/all.csv', sample_size=-1)" >all.rows ||
  fail "DuckDB could not read all.csv"
check "DuckDB read 100000 rows of all.csv" test "$(wc -l <all.rows)" = 100000
# same_rows WHAT SOURCE: DuckDB reads SOURCE (a read_csv or read_parquet call) as all.rows,
# row by row in order.
same_rows() {
  duck_rows "SELECT $all_cols FROM $2" >copy.rows || fail "DuckDB could not read $2"
  check "$1: DuckDB reads the same $(wc -l <all.rows) rows, in order" cmp -s all.rows copy.rows
}
csv_of() { echo "read_csv('$work/$1', sample_size=-1)"; }
pq_of() { echo "read_parquet('$work/$1')"; }
# Every pair of formats. i is written as int32 (--types) so that Parquet holds an INT32.
cy_ok convert all.csv a.parquet --types i:int32
same_rows "CSV -> Parquet" "$(pq_of a.parquet)"
want_schema=$'k int64\nv int64\ni int32\nx float64\ns utf8\nd date32\nt timestamp[us]\nb bool'
check "CSV -> Parquet: DuckDB reads the types written" \
  test "$(duck_schema "$(pq_of a.parquet)")" = "$want_schema"
cy_ok convert all.csv a.arrow --types i:int32
cy_ok convert a.arrow a_arrow.csv
same_rows "CSV -> IPC -> CSV" "$(csv_of a_arrow.csv)"
check "CSV -> IPC -> CSV gives the original bytes" cmp -s all.csv a_arrow.csv
cy_ok convert a.parquet pa.arrow
cy_ok schema pa.arrow
check "Parquet -> IPC keeps the types [$(schema_pairs | tr '\n' ' ')]" test "$(schema_pairs)" = "$want_schema"
cy_ok convert pa.arrow pa.csv
same_rows "Parquet -> IPC (-> CSV)" "$(csv_of pa.csv)"
cy_ok convert a.arrow ap.parquet --compression zstd
same_rows "IPC -> Parquet (zstd)" "$(pq_of ap.parquet)"
check "IPC -> Parquet: DuckDB reads the types written" \
  test "$(duck_schema "$(pq_of ap.parquet)")" = "$want_schema"
cy_ok convert a.parquet pc.csv
same_rows "Parquet -> CSV" "$(csv_of pc.csv)"
check "CSV -> Parquet -> CSV gives the original bytes" cmp -s all.csv pc.csv
cy_ok convert a.arrow stream.arrows
cy_ok convert stream.arrows stream.csv
check "IPC file -> IPC stream -> CSV gives the original bytes" cmp -s all.csv stream.csv
for codec in none gzip lz4_raw; do
  cy_ok convert a.parquet "c_$codec.parquet" --compression "$codec"
  same_rows "Parquet -> Parquet ($codec)" "$(pq_of "c_$codec.parquet")"
done
# A file DuckDB wrote, in row groups of 10,000 rows: our reader gives DuckDB's values.
duck_exec "COPY (FROM read_csv('$work/all.csv', sample_size=-1)) TO '$work/duck.parquet'
  (FORMAT parquet, ROW_GROUP_SIZE 10000)" || fail "DuckDB could not write duck.parquet"
cy_ok convert duck.parquet duck.csv
check "DuckDB's Parquet file -> CSV gives the original bytes" cmp -s all.csv duck.csv
cy_ok convert duck.parquet duck.arrow
cy_ok convert duck.arrow duck2.csv
check "DuckDB's Parquet file -> IPC -> CSV gives the original bytes" cmp -s all.csv duck2.csv

# ---- schema and head on Parquet -----------------------------------------------------------

echo "== schema and head on Parquet (${SECONDS}s)" >&2
cy_ok schema a.parquet
check "schema of a Parquet file [$(schema_pairs | tr '\n' ' ')]" test "$(schema_pairs)" = "$want_schema"
check "schema of a Parquet file: DuckDB's types" \
  test "$(schema_pairs)" = "$(duck_schema "$(pq_of a.parquet)")"
cy_ok schema duck.parquet
check "schema of DuckDB's Parquet file: DuckDB's types" \
  test "$(schema_pairs)" = "$(duck_schema "$(pq_of duck.parquet)")"
# head_matches FILE: head's first and last 5 rows are DuckDB's, and the types line.
head_matches() {
  cy_ok head "$1" -w 200
  box_cells "$work/out" >cells
  { duck_rows "SELECT $all_cols FROM $(pq_of "$1") LIMIT 5" &&
    duck_rows "SELECT $all_cols FROM $(pq_of "$1") OFFSET 99995"; } >pq.duck ||
    fail "DuckDB could not read $1"
  check "head $1: the first and last 5 rows are DuckDB's" cmp -s <(tail -n +3 cells) pq.duck
  check "head $1: the rows are all.csv's" cmp -s pq.duck <(sed -n '1,5p;99996,100000p' all.rows)
  check "head $1: the row count" grep -q '^100000 rows' "$work/out"
  check "head $1: the types line" test "$(sed -n 2p cells)" = \
    "$(duck_schema "$(pq_of "$1")" | awk '{ printf "%s%s", (NR > 1 ? "\t" : ""), $2 }')"
}
head_matches a.parquet
# Many row groups: head reads the first and the last of them.
cy_ok convert all.csv rg.parquet --types i:int32 --row-group-rows 1000
load_kv "SELECT count(DISTINCT row_group_id) AS groups, sum(row_group_num_rows) / 8 AS rows
  FROM parquet_metadata('$work/rg.parquet')"
check "--row-group-rows 1000: DuckDB sees 100 row groups of 100000 rows in all (${KV[groups]-?}, ${KV[rows]-?})" \
  test "${KV[groups]-}:${KV[rows]-}" = "100:100000"
head_matches rg.parquet
same_rows "100 row groups" "$(pq_of rg.parquet)"
head_matches duck.parquet
cy_ok head rg.parquet -n 4 -w 200
box_cells "$work/out" >cells
check "head -n 4 of 100 row groups: rows 1, 2, 99999 and 100000" \
  cmp -s <(tail -n +3 cells) <(sed -n '1,2p;99999,100000p' all.rows)
# Empty files: ours from a header-only CSV, and DuckDB's.
printf 'k,s,d\n' >empty.csv
cy_ok convert empty.csv empty.parquet --types k:int64,d:date
duck_exec "COPY (SELECT 1::BIGINT AS k, 'a' AS s, DATE '2020-01-01' AS d LIMIT 0)
  TO '$work/duck_empty.parquet' (FORMAT parquet)" || fail "DuckDB could not write duck_empty.parquet"
for f in empty.parquet duck_empty.parquet; do
  load_kv "SELECT count(*) AS n FROM read_parquet('$work/$f')"
  check "$f: DuckDB reads 0 rows" test "${KV[n]-}" = 0
  cy_ok schema "$f"
  check "schema of $f [$(schema_pairs | tr '\n' ' ')]" test "$(schema_pairs)" = $'k int64\ns utf8\nd date32'
  check "schema of $f: DuckDB's types" test "$(schema_pairs)" = "$(duck_schema "$(pq_of "$f")")"
  cy_ok head "$f"
  check "head $f: 0 rows" grep -q '^0 rows' "$work/out"
  box_cells "$work/out" >cells
  check "head $f: names and types, no rows" test "$(cat cells)" = $'k\ts\td\nint64\tutf8\tdate32'
  cy_ok convert "$f" empty_out.csv
  check "convert $f to CSV: the header alone" test "$(cat empty_out.csv)" = "k,s,d"
done

# ---- corrupt Parquet and IPC files -------------------------------------------------------

echo "== corrupt Parquet and IPC files (${SECONDS}s)" >&2
size=$(stat -c %s ap.parquet)
head -c $((size / 2)) ap.parquet >half.parquet
echo "not parquet at all" >text.parquet
cp ap.parquet bad_page.parquet
# Overwrite 64 bytes in the middle of the first column's data (zstd pages).
printf '%064d' 0 | dd of=bad_page.parquet bs=1 seek=20000 conv=notrunc status=none
head -c $(($(stat -c %s a.arrow) / 2)) a.arrow >half.arrow
for spec in "half.parquet|not a Parquet file" "text.parquet|not a Parquet file" \
  "bad_page.parquet|column 'k'" "half.arrow|half.arrow"; do
  f=${spec%%|*} needle=${spec#*|}
  for cmd in head schema convert; do
    [[ $cmd == schema && $f == bad_page.parquet ]] && continue # the footer is intact
    echo "old contents" >target.csv
    if [[ $cmd == convert ]]; then cy convert "$f" target.csv; else cy "$cmd" "$f"; fi
    expect_rc 1 "$cmd of the corrupt $f"
    err_has "$f" "$cmd of the corrupt $f names it"
    err_has "$needle" "$cmd of the corrupt $f says why"
    [[ $cmd == convert ]] && check "a failed convert of $f leaves the target as it was" \
      test "$(cat target.csv)" = "old contents"
  done
  before=$(snapshot)
  cy convert "$f" fresh.parquet
  expect_rc 1 "convert of the corrupt $f to Parquet"
  check "a failed convert of $f leaves no file [$(diff <(echo "$before") <(snapshot) | tr '\n' ' ')]" \
    test "$before" = "$(snapshot)"
done
cy convert a.parquet out.parquet --compression bogus
expect_rc 2 "convert --compression bogus"
err_has "bogus" "convert --compression bogus names it"
cy convert a.parquet out.parquet --row-group-rows 0
expect_rc 2 "convert --row-group-rows 0"
check "bad convert options write nothing" test ! -e out.parquet

# ---- errors --------------------------------------------------------------------------

echo "== errors (${SECONDS}s)" >&2
missing=$work/no_such_file.csv
for cmd in head schema convert; do
  if [[ $cmd == convert ]]; then cy convert "$missing" out.csv; else cy "$cmd" "$missing"; fi
  expect_rc 1 "$cmd of a missing file"
  err_has "$missing" "$cmd of a missing file names the path"
done
check "convert of a missing file writes nothing" test ! -e out.csv

printf 'a,b\n1,2\n3,4,5\n6,7\n' >bad_fields.csv
printf 'a,b\n1,2\n3,4\n"5,6\n' >bad_quote.csv
printf 'a,b\n1,2\nx,3\n' >bad_value.csv
cy head bad_fields.csv
expect_rc 1 "head of a record with too many fields"
err_has "line 3" "head of a record with too many fields"
err_has "bad_fields.csv" "head of a malformed file names it"
cy head bad_quote.csv
expect_rc 1 "head of an unterminated quote"
err_has "line 4" "head of an unterminated quote"
cy head bad_value.csv --types a:int64
expect_rc 1 "head of a value that is not its given type"
err_has "line 3" "head of a value that is not its given type"
echo "old contents" >target.csv
cy convert bad_fields.csv target.csv
expect_rc 1 "convert of a malformed file"
err_has "line 3" "convert of a malformed file"
check "a failed convert leaves the existing target as it was" \
  test "$(cat target.csv)" = "old contents"

cy nosuchcommand
expect_rc 2 "an unknown command"
err_has "nosuchcommand" "an unknown command is named"
cy
expect_rc 2 "no command"
for args in "gen --rows 10 --bogus -o x.csv" "head small.csv --bogus" "schema small.csv --bogus" \
  "convert small.csv x.csv --bogus" "gen --rows 10" "gen -o x.csv" "gen --rows 10 -o x.csv extra" \
  "head" "schema" "convert small.csv" "convert a.csv b.csv c.csv" "head small.csv other.csv" \
  "head small.csv --delimiter" "head small.csv --delimiter ab"; do
  # shellcheck disable=SC2086
  cy $args
  expect_rc 2 "bad usage: cylon $args"
done
check "bad usage writes no file" test ! -e x.csv

for cmd in gen head schema convert; do
  cy "$cmd" --help
  expect_rc 0 "$cmd --help"
  check "$cmd --help prints its usage on stdout" grep -q "^usage: cylon $cmd" "$work/out"
  check "$cmd --help prints nothing on stderr" test ! -s "$work/err"
  cy help "$cmd"
  expect_rc 0 "help $cmd"
  check "help $cmd prints its usage" grep -q "^usage: cylon $cmd" "$work/out"
done
cy gen -h
expect_rc 0 "gen -h"
check "gen -h prints the usage" grep -q "^usage: cylon gen" "$work/out"
cy --help
expect_rc 0 "cylon --help"
for cmd in gen head schema convert; do
  check "cylon --help lists $cmd" grep -qE "^  $cmd " "$work/out"
done

# Outputs that cannot be written: nothing appears, nothing is left behind.
echo "a file" >plain
mkdir adir
before=$(snapshot)
cy gen --rows 1000 -o "$work/no_dir/out.csv"
expect_rc 1 "gen into a missing directory"
err_has "$work/no_dir/out.csv" "gen into a missing directory names the path"
cy gen --rows 1000 -o "$work/plain/out.csv"
expect_rc 1 "gen below a regular file"
err_has "$work/plain/out.csv" "gen below a regular file names the path"
cy convert small.csv "$work/no_dir/out.csv"
expect_rc 1 "convert into a missing directory"
err_has "$work/no_dir/out.csv" "convert into a missing directory names the path"
cy convert all.csv "$work/plain/x.csv"
expect_rc 1 "convert below a regular file"
# The target is a directory: the whole table is written to a temporary file first, and
# the rename fails; the temporary file must go.
cy gen --rows 100000 -o "$work/adir"
expect_rc 1 "gen onto a directory"
err_has "$work/adir" "gen onto a directory names the path"
cy convert all.csv "$work/adir"
expect_rc 1 "convert onto a directory"
check "unwritable outputs leave nothing behind [$(diff <(echo "$before") <(snapshot) | tr '\n' ' ')]" \
  test "$before" = "$(snapshot)"
check "the directory target is still an empty directory" test -d adir -a -z "$(ls -A adir)"
rmdir adir
if [[ $(id -u) != 0 ]]; then
  # Permissions mean nothing to root; elsewhere a read-only directory is refused too.
  mkdir ro && chmod 555 ro
  cy gen --rows 10 -o "$work/ro/out.csv"
  expect_rc 1 "gen into a read-only directory"
  check "gen into a read-only directory leaves it empty" test -z "$(ls -A ro)"
  chmod 755 ro
fi

# Option values that are not what they should be are errors, not silent defaults: a seed
# of "abc" must not quietly mean seed 0, nor "--nulls abc" no nulls at all.
# Each case: the arguments, then what the message must name.
for case in "--seed abc|abc" "--seed 12x|12x" "--nulls abc|abc" "--nulls 0.5x|0.5x" \
  "--unique 0.5x|0.5x" "--unique abc|unique" "--rows abc|abc" "--rows -5|-5" "--nulls 2|nulls" \
  "--unique 0|unique" "--columns k:nosuchtype|nosuchtype" "--columns k|'k'" "--columns ,|columns"; do
  args=${case%|*} needle=${case##*|}
  # shellcheck disable=SC2086
  cy gen --rows 10 $args -o bad_value_out.csv
  checks=$((checks + 1))
  if ((RC == 0)); then fail "gen $args was accepted"; else err_has "$needle" "gen $args"; fi
  check "gen $args writes no file" test ! -e bad_value_out.csv
  rm -f bad_value_out.csv
done
cy head small.csv -n abc
checks=$((checks + 1))
((RC != 0)) || fail "head -n abc was accepted"

echo "test_cli: $checks checks, $failures failed" >&2
((failures == 0))
