# run_lib.sh - what the `cylon run` tests share (sourced by test_run.sh and
# test_run_dist.sh): counting checks and failures, running cylon with its output captured,
# and comparing results with DuckDB's (tests/oracle/duck.mjs) on the same data.
#
# The sourcing script sets CYLON, DUCK and work (a scratch directory) first.

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...: the command must succeed
  local what=$1
  shift
  checks=$((checks + 1))
  "$@" || fail "$what"
}

# cy ARGS...: run cylon (in directory $CY_DIR when set) with its output in $work/out and
# $work/err and its status in RC; a sanitizer report is a failure whatever the status.
RC=0
cy() {
  RC=0
  (cd "${CY_DIR:-$work}" && "$CYLON" "$@") >"$work/out" 2>"$work/err" || RC=$?
  if grep -qE 'Sanitizer|runtime error:' "$work/err"; then
    fail "sanitizer report from: cylon $*"
    cat "$work/err" >&2
  fi
}
expect_rc() { # expect_rc WANT WHAT: the last cy call exited with WANT
  checks=$((checks + 1))
  ((RC == $1)) || fail "$2: exit status $RC, expected $1; stderr: $(head -c 800 "$work/err")"
}
err_has() { # err_has TEXT WHAT: the last cy call's stderr contains TEXT
  checks=$((checks + 1))
  grep -qF -- "$1" "$work/err" || fail "$2: stderr lacks '$1': $(head -c 800 "$work/err")"
}
out_has() {
  checks=$((checks + 1))
  grep -qF -- "$1" "$work/out" || fail "$2: stdout lacks '$1': $(head -c 800 "$work/out")"
}

if ! command -v node >/dev/null 2>&1; then
  echo "$(basename "$0"): node (Node.js >= 18) not found: run scripts/install-deps" >&2
  exit 1
fi
[[ -f $DUCK ]] || { echo "$(basename "$0"): DuckDB oracle $DUCK not found" >&2; exit 1; }

# duck SQL: DuckDB's rows of the last statement, one line each, values tab-separated, NULL
# for null (duck.mjs's canonical values: exact integers, shortest doubles).
duck() {
  DUCK_MJS=$DUCK DUCK_SQL=$1 node --input-type=module -e '
    const { queryTable, close } = await import(process.env.DUCK_MJS);
    try {
      const { rows } = await queryTable(process.env.DUCK_SQL);
      for (const r of rows) console.log(r.map((v) => (v === null ? "NULL" : String(v))).join("\t"));
    } finally { close(); }'
}

# same_rows WHAT GOT_SQL WANT_SQL: the two queries give the same rows as multisets, and
# some rows. DUCK_PRE, when set, is put before the query (settings: "SET threads = 1; ").
same_rows() {
  local what=$1 got=$2 want=$3 line
  checks=$((checks + 1))
  if ! line=$(duck "${DUCK_PRE:-}WITH got AS ($got), want AS ($want) SELECT
        (SELECT count(*) FROM got), (SELECT count(*) FROM want),
        (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want)),
        (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got))" 2>&1); then
    fail "$what: DuckDB failed: $line"
    return 0
  fi
  local g w extra missing
  read -r g w extra missing <<<"$line"
  if [[ $g != "$w" || $extra != 0 || $missing != 0 || $g == 0 ]]; then
    fail "$what: cylon has $g rows, DuckDB $w; $extra only in cylon's, $missing only in DuckDB's"
  fi
}

# same_order WHAT GOT_SQL WANT_SQL: the two queries give the same rows in the same order
# (DuckDB keeps a CSV file's row order in a plain scan).
same_order() {
  local what=$1
  checks=$((checks + 1))
  if ! duck "$2" >"$work/got.txt" 2>&1 || ! duck "$3" >"$work/want.txt" 2>&1; then
    fail "$what: DuckDB failed: $(cat "$work/got.txt" "$work/want.txt" | head -c 800)"
  elif [[ ! -s $work/want.txt ]]; then
    fail "$what: no rows to compare"
  elif ! cmp -s "$work/got.txt" "$work/want.txt"; then
    fail "$what: rows differ from DuckDB's (< cylon, > DuckDB):
$(diff "$work/got.txt" "$work/want.txt" | head -20)"
  fi
}

# The cells of the data rows of a box printed by cylon, tab-separated.
box_rows() {
  awk -F'│' 'NF > 2 && $0 !~ /·/ {
    n++; if (n <= 2) next
    line = ""
    for (i = 2; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); line = line (i > 2 ? "\t" : "") c }
    print line }' "$1"
}

