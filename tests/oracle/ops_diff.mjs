// ops_diff.mjs - randomized differential test of cylon's local operators against DuckDB.
//
//   node tests/oracle/ops_diff.mjs --dump build/tests/oracle/ops_dump
//        [--seed S] [--cases N] [--only I] [--op NAME[,NAME]] [--jobs J] [--keep] [--verbose]
//        [--workers N1,N2,...]
//
// With --workers (and --dump pointing at tests/dist/dist_dump.c's binary), case i runs the
// distributed operator on a world of N(i mod count) ranks, each holding an uneven share of
// the rows, and the gathered result is compared as above (oracle/dist_diff).
//
// For each case, made from the seed and the case number alone (so `--seed S --only I`
// replays one case; --keep keeps its CSV files, and a failure prints the ops_dump command
// line and the SQL), it generates one or two random tables - int64 columns with small,
// skewed (zipf-like) and full ranges (with INT64_MIN and INT64_MAX); float64 with NaN,
// infinities, -0.0 and 1e-300; utf8 with duplicates, empty strings, quotes, commas,
// newlines and non-ASCII text; date32; timestamp[us]; bool; nulls at rates from none to
// all; empty and one-row tables, and some of several thousand rows (past 4096 rows the
// hash operators partition; 3% of the sorts have 66,000 rows or more, past the parallel
// sort's threshold) - writes them as CSV, runs one operator on them in cylon (ops_dump,
// tests/compute/ops_dump.c, one process per case, with 1 to 4 threads) and the equivalent
// SQL in DuckDB (tables loaded with read_csv and the same explicit types; a row's number
// is the loaded table's rowid), and compares the results: names, types (BIGINT = int64,
// DOUBLE = float64, VARCHAR = utf8, DATE = date32, TIMESTAMP = timestamp[us], BOOLEAN =
// bool) and values. Results are compared in order where cylon defines the order (read,
// concat, unique, sort, sort_indices, top_k, filter, eval, casts, fill_null, drop_null,
// head / tail / slice / take, isin, is_null, equals) and as multisets where it leaves the
// order open (joins, cross joins, group-by, union / intersect / difference).
//
// Values: integers, dates and timestamps exactly; floats must be the same double, except
// the results of mean, var, std, median and quantile, and sums of floats, which may differ
// by a relative 1e-9 (the engines sum and interpolate differently: DuckDB runs on one
// thread and adds a group's values in row order, cylon's one-key group-by adds each
// thread's range of rows and then the ranges' totals). NaN equals NaN; -0.0 equals
// 0.0 everywhere (both engines take them as one value; which one a group keeps is open).
//
// Failures: any case that fails in one engine must fail in the other. Cases made to fail
// (op "error:...": a join on a missing column, the sum / mean / var of strings, the sum /
// var / std of dates, a union, concat, intersect or difference of tables with different
// columns, a sort, group-by or unique on a missing column, an unknown aggregate, a text that
// does not cast) must fail in both, and cylon's message (ops_dump exits 1) must name the
// cause: the column, the aggregate, the extra column of the schemas, the bad text. Where
// DuckDB only finds out from the data (join keys of incompatible types, int64 <-> date32
// casts, which DuckDB checks at the first non-null value) or has no such operation (take
// out of range, top_k with k < 0), only cylon's side is checked. A sanitizer report on
// ops_dump's stderr ("ERROR: AddressSanitizer", "runtime error:", LeakSanitizer) fails the
// case whatever its result.
//
// Where cylon's documented semantics differ from DuckDB's defaults on purpose, the SQL
// says what cylon means:
//   - isin: a null matches a null (IS NOT DISTINCT FROM), and the answer is never null:
//     EXISTS (SELECT 1 FROM r WHERE r.v IS NOT DISTINCT FROM l.c); an int64 column with
//     float64 values compares by value, as numbers (1 is in {1.0}, 1 is not in {1.5});
//   - first / last: the first / last non-null value in row order:
//     arg_min(x, rowid) FILTER (WHERE x IS NOT NULL) (arg_max for last);
//   - sum of integers is int64 (DuckDB: HUGEINT): CAST(sum(x) AS BIGINT), so a sum that
//     does not fit fails in both (one that fits must not fail, whatever the partial sums);
//   - var / std: DuckDB raises "out of range" for NaN or infinite inputs; cylon gives NaN
//     (IEEE arithmetic), so the SQL returns NaN for a group with a non-finite value and
//     at least two values;
//   - median / quantile: cylon leaves NaN out (aggregate.c: "NaN has no rank among
//     numbers"); DuckDB ranks NaN above every number. The SQL filters NaN out;
//   - x / y is null where y = 0 (DuckDB 1.5: inf or NaN): x / NULLIF(y, 0);
//   - float to integer casts truncate toward zero (DuckDB rounds): CAST(trunc(x) AS BIGINT),
//     also for a float fill value of an integer column;
//   - sort, sort_indices and top_k are stable: ORDER BY the keys, then rowid;
//   - unique keeps the first / last row of each distinct subset in the original order:
//     row_number() OVER (PARTITION BY subset ORDER BY rowid [DESC]) = 1, ORDER BY rowid;
//   - joins: output is the left columns then the right ones; a right key named like its
//     left key is dropped, and for right and full joins coalesced into the left key
//     (pandas' merge `on`, SQL's USING), in the keys' common type (an int64 key meeting a
//     float64 one gives a float64 key, as USING and pandas make it, so no key is lost);
//     other clashing names get the suffixes (_x, _y by default); semi and anti joins are
//     EXISTS and NOT EXISTS.
// Inputs the generator avoids, because the two differ there on purpose or the behaviour is
// left open: integer arithmetic that may overflow inside filters (DuckDB skips rows that an
// AND already decided), integers beyond 2^53 compared with floats in expressions, strings
// cast to integers that DuckDB reads loosely ('1.5', '1e3', '0x10'), booleans cast from
// texts other than true / false (DuckDB also takes 't', '1', 'yes'), negative slice starts.
//
// Speed: ops_dump runs from small long-lived shells, one per job (--jobs, default 4),
// because forking this process (node with DuckDB loaded) costs tens of milliseconds.
// Exit status 0 when every case agreed; every failure prints its seed and case number.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, queryRaw, run as duckRun } from './duck.mjs';

// ---- options ---------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { dump: null, seed: 20240917, cases: 700, only: null, ops: null, keep: false,
    verbose: false, jobs: 4, workers: null };
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${o} needs a value`);
      return argv[++i];
    };
    if (o === '--dump') a.dump = val();
    else if (o === '--seed') a.seed = Number(val());
    else if (o === '--cases') a.cases = Number(val());
    else if (o === '--only') a.only = Number(val());
    else if (o === '--op') a.ops = new Set(val().split(','));
    else if (o === '--keep') a.keep = true;
    else if (o === '--workers') a.workers = val().split(',').map(Number);
    else if (o === '--jobs') a.jobs = Math.max(1, Number(val()));
    else if (o === '--verbose' || o === '-v') a.verbose = true;
    else throw new Error(`unknown argument ${o}`);
  }
  if (!a.dump) throw new Error('--dump PATH_TO_ops_dump is required');
  if (!Number.isInteger(a.seed) || a.seed < 0) throw new Error('--seed wants a non-negative integer');
  return a;
}

// ---- seeded randomness ---------------------------------------------------------------

/** mulberry32 over a 32-bit state. */
function makeRand(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // [lo, hi]
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    /** One of [weight, value] pairs, by weight. */
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = next() * total;
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
    shuffle: (xs) => {
      const ys = xs.slice();
      for (let i = ys.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [ys[i], ys[j]] = [ys[j], ys[i]];
      }
      return ys;
    },
    /** A random 64-bit signed integer (BigInt). */
    int64: () => {
      const hi = BigInt(Math.floor(next() * 4294967296));
      const lo = BigInt(Math.floor(next() * 4294967296));
      return BigInt.asIntN(64, (hi << 32n) | lo);
    },
  };
  return r;
}

/** A case's own seed, from the run's seed and the case number (splitmix-like). */
function caseSeed(seed, i) {
  let x = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(i) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  x ^= x >> 31n;
  x = (x * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  x ^= x >> 29n;
  return Number(x & 0xffffffffn);
}

// ---- value domains -------------------------------------------------------------------
//
// A domain makes the values of one column: a kind (int, float, str, date, bool) and a
// gen() giving one non-null value. Two tables that must share values (join keys, set
// operations) draw from the same domain object.

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;
const TYPES = {
  int: { cylon: 'int64', duck: 'BIGINT' },
  float: { cylon: 'float64', duck: 'DOUBLE' },
  str: { cylon: 'utf8', duck: 'VARCHAR' },
  date: { cylon: 'date32', duck: 'DATE' },
  ts: { cylon: 'timestamp[us]', duck: 'TIMESTAMP' },
  bool: { cylon: 'bool', duck: 'BOOLEAN' },
};

const STRING_POOL = ['', 'a', 'b', 'A', 'ab', 'abc', 'b a', 'a,b', 'q"uote', "it's", 'ünï',
  'çé', '日本', 'x\ny', ' lead', 'trail ', 'zz', 'a\\b', 'NULL', 'null', 'z'];

function zipfSampler(rand, n, s) {
  const cdf = [];
  let total = 0;
  for (let k = 1; k <= n; k++) cdf.push((total += 1 / k ** s));
  return () => {
    const x = rand.next() * total;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/** A domain of a kind; flavor picks the distribution (random when not given). */
function makeDomain(rand, kind, flavor) {
  if (kind === 'int') {
    flavor ??= rand.weighted([[4, 'small'], [3, 'zipf'], [2, 'large']]);
    if (flavor === 'small') {
      const lo = rand.pick([-3, -10, 0]), hi = lo + rand.pick([3, 6, 20, 100]);
      return { kind, flavor, small: true, gen: () => BigInt(rand.int(lo, hi)) };
    }
    if (flavor === 'zipf') {
      const z = zipfSampler(rand, rand.pick([10, 100, 1000]), rand.pick([1.0, 1.2, 1.6]));
      return { kind, flavor, small: true, gen: () => BigInt(z()) };
    }
    const special = [INT64_MIN, INT64_MAX, 0n, -1n, 1n, 2n ** 53n + 1n, -(2n ** 62n)];
    const pool = Array.from({ length: rand.int(3, 40) }, () => rand.int64());
    return {
      kind, flavor, small: false,
      gen: () => rand.weighted([[2, () => rand.pick(special)], [10, () => rand.pick(pool)],
        [5, () => rand.int64()]])(),
    };
  }
  if (kind === 'float') {
    flavor ??= rand.weighted([[4, 'dyadic'], [3, 'wide'], [2, 'special']]);
    if (flavor === 'dyadic') {
      const r = rand.pick([4, 20, 400]);
      return { kind, flavor, finite: true, gen: () => rand.int(-r, r) / 4 };
    }
    if (flavor === 'wide') {
      const pool = Array.from({ length: rand.int(3, 30) }, () =>
        (rand.next() * 2 - 1) * 10 ** rand.int(-6, 12));
      return {
        kind, flavor, finite: true,
        gen: () => (rand.chance(0.6) ? rand.pick(pool) : (rand.next() * 2 - 1) * 10 ** rand.int(-6, 12)),
      };
    }
    const vals = [NaN, Infinity, -Infinity, 0, -0, 1.5, -2, 1e-300, 3.25, 7];
    return { kind, flavor, finite: false, gen: () => rand.pick(vals) };
  }
  if (kind === 'str') {
    flavor ??= rand.weighted([[3, 'pool'], [2, 'random']]);
    if (flavor === 'pool') {
      const pool = rand.shuffle(STRING_POOL).slice(0, rand.int(2, STRING_POOL.length));
      return { kind, flavor, gen: () => rand.pick(pool) };
    }
    const alpha = rand.pick(['ab', 'abc', 'aAb_ ']);
    return {
      kind, flavor,
      gen: () => {
        let s = '';
        for (let n = rand.int(0, 5); n > 0; n--) s += alpha[rand.int(0, alpha.length - 1)];
        return s;
      },
    };
  }
  if (kind === 'date') {
    flavor ??= rand.weighted([[2, 'pool'], [1, 'wide']]);
    if (flavor === 'pool') {
      const pool = Array.from({ length: rand.int(2, 20) }, () => rand.int(-3000, 25000));
      return { kind, flavor, gen: () => rand.pick(pool) };
    }
    return { kind, flavor, gen: () => rand.int(-25567, 47482) }; // 1900 .. 2099
  }
  if (kind === 'ts') {
    // Microseconds since the epoch (BigInt), 1900 .. 2099, on whole seconds or not.
    const one = () => {
      const us = BigInt(rand.int(-2208988800, 4102444799)) * 1000000n;
      return rand.chance(0.5) ? us : us + BigInt(rand.int(0, 999999));
    };
    const pool = Array.from({ length: rand.int(2, 20) }, one);
    return { kind, flavor: 'ts', gen: () => (rand.chance(0.7) ? rand.pick(pool) : one()) };
  }
  if (kind === 'bool') {
    const p = rand.pick([0.1, 0.5, 0.9]);
    return { kind, flavor: 'bool', gen: () => rand.chance(p) };
  }
  throw new Error(`no domain of kind ${kind}`);
}

/** A value domain of a random kind (weights favour the common ones). */
function randomDomain(rand, kinds = ['int', 'int', 'float', 'str', 'date', 'bool', 'ts']) {
  return makeDomain(rand, rand.pick(kinds));
}

/** A row count: empty, one row, small, medium, and now and then thousands. */
function randomRows(rand, big = true) {
  return rand.weighted([[6, 0], [7, 1], [25, rand.int(2, 10)], [35, rand.int(11, 100)],
    [18, rand.int(101, 800)], [big ? 5 : 0, rand.int(4500, 12000)]]);
}

function nullRate(rand) {
  return rand.weighted([[10, 0], [6, 0.1], [3, 0.4], [1, 0.9], [1.2, 1]]);
}

// ---- tables --------------------------------------------------------------------------

/** A table: {name, cols: [{name, kind, domain}], n, data: [values per column]}. */
function makeTable(rand, name, cols, n) {
  const data = cols.map((c) => {
    const rate = c.nulls ?? nullRate(rand);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = rate > 0 && rand.next() < rate ? null : c.domain.gen();
    return out;
  });
  return { name, cols: cols.map((c) => ({ name: c.name, kind: c.domain.kind, domain: c.domain })), n, data };
}

const pad = (x, w) => String(x).padStart(w, '0');

/** Days since 1970-01-01 as YYYY-MM-DD (years 1..9999). */
function dateText(days) {
  const d = new Date(days * 86400000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** Microseconds since the epoch as YYYY-MM-DD HH:MM:SS[.ffffff]. */
function tsText(us) {
  const day = 86400000000n;
  let days = us / day, rem = us % day;
  if (rem < 0n) {
    rem += day;
    days -= 1n;
  }
  const secs = rem / 1000000n, frac = rem % 1000000n;
  const hms = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  return `${dateText(Number(days))} ${hms}${frac ? `.${pad(frac, 6)}` : ''}`;
}

function floatText(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

/** A value as a CSV field (strings always quoted, so "" is the empty string; a null is
 *  an empty unquoted field, the null of both readers' defaults). */
function csvField(v, kind) {
  if (v === null) return '';
  switch (kind) {
    case 'int': return String(v);
    case 'float': return floatText(v);
    case 'str': return `"${v.replaceAll('"', '""')}"`;
    case 'date': return dateText(v);
    case 'ts': return tsText(v);
    case 'bool': return v ? 'true' : 'false';
  }
  throw new Error(`kind ${kind}`);
}

function tableCsv(t) {
  const lines = [t.cols.map((c) => c.name).join(',')];
  for (let i = 0; i < t.n; i++) lines.push(t.cols.map((c, j) => csvField(t.data[j][i], c.kind)).join(','));
  return lines.join('\n') + '\n';
}

const typeSpec = (t) => t.cols.map((c) => `${c.name}:${TYPES[c.kind].cylon}`).join(',');
const q = (name) => `"${name.replaceAll('"', '""')}"`;
const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

function loadSql(t, path) {
  const cols = t.cols.map((c) => `${sqlString(c.name)}: ${sqlString(TYPES[c.kind].duck)}`).join(', ');
  return `CREATE OR REPLACE TABLE ${t.name} AS SELECT * FROM read_csv(${sqlString(path)}, ` +
    `header=true, delim=',', quote='"', escape='"', nullstr='', allow_quoted_nulls=false, ` +
    `auto_detect=false, strict_mode=true, columns={${cols}});`;
}

/** A value as an SQL literal of its kind. */
function sqlLiteral(v, kind) {
  if (v === null) return 'NULL';
  switch (kind) {
    case 'int': return v >= -(2n ** 31n) && v < 2n ** 31n ? String(v) : `CAST('${v}' AS BIGINT)`;
    case 'float': return Number.isFinite(v) ? `${floatText(v)}::DOUBLE` : `'${floatText(v)}'::DOUBLE`;
    case 'str': return sqlString(v);
    case 'date': return `DATE '${dateText(v)}'`;
    case 'ts': return `TIMESTAMP '${tsText(v)}'`;
    case 'bool': return v ? 'true' : 'false';
  }
  throw new Error(`kind ${kind}`);
}

// ---- column name helpers -----------------------------------------------------------------

/** Distinct value-column names for a table, avoiding `taken`. */
function valueNames(rand, count, taken = []) {
  const pool = rand.shuffle(['v', 'w', 'x', 'y', 'z', 's', 't', 'u', 'd', 'e', 'f', 'g']);
  return pool.filter((n) => !taken.includes(n)).slice(0, count);
}

/** The other side of a join's or set operation's table: the same domain for shared
 *  columns. */
function valueCols(rand, names, kinds) {
  return names.map((name) => ({ name, domain: randomDomain(rand, kinds) }));
}

// ---- the operations ---------------------------------------------------------------------
//
// Each maker returns a case: {op, tables, args (ops_dump's operator and options), sql,
// order ('ordered' | 'multiset'), approx (names of columns compared with a tolerance),
// error (expected failure: {needles: [texts cylon's message must contain]})}.

const JOIN_TYPES = ['inner', 'left', 'right', 'full', 'semi', 'anti'];

function joinCase(rand) {
  const nkeys = rand.weighted([[7, 1], [3, 2]]);
  const keyDomains = Array.from({ length: nkeys }, () =>
    randomDomain(rand, ['int', 'int', 'int', 'str', 'str', 'date', 'float', 'bool', 'ts']));
  const lkeys = nkeys === 1 ? ['k'] : ['k', 'k2'];
  const differentNames = rand.chance(0.2);
  const rkeys = differentNames ? lkeys.map((k) => `r${k}`) : lkeys.slice();
  // Now and then an int64 key meets a float64 key (compared by value, as numbers).
  const mixed = keyDomains.map((d) => d.kind === 'int' && d.small && rand.chance(0.12));
  const rightDomains = keyDomains.map((d, i) => {
    if (!mixed[i]) return d;
    return { kind: 'float', flavor: 'from-int',
      gen: () => rand.weighted([[16, () => Number(d.gen())], [3, () => Number(d.gen()) + 0.5], [1, () => NaN]])() };
  });
  const lvals = valueNames(rand, rand.int(0, 3), [...lkeys, ...rkeys]);
  const shared = lvals.filter(() => rand.chance(0.5));
  const rvals = [...shared, ...valueNames(rand, rand.int(0, 2), [...lkeys, ...rkeys, ...lvals])];
  const left = makeTable(rand, 'l',
    [...lkeys.map((name, i) => ({ name, domain: keyDomains[i] })), ...valueCols(rand, lvals)],
    randomRows(rand));
  const right = makeTable(rand, 'r',
    [...rkeys.map((name, i) => ({ name, domain: rightDomains[i] })), ...valueCols(rand, rvals)],
    randomRows(rand));
  // Skewed keys on both sides can multiply: keep the output at a few tens of thousands.
  while (left.n * right.n > 400000) {
    const t = left.n > right.n ? left : right;
    t.n = Math.floor(t.n / 2);
    t.data = t.data.map((col) => col.slice(0, t.n));
  }
  const how = rand.pick(JOIN_TYPES);
  const algo = rand.pick(['hash', 'sort']);
  const suffixes = rand.chance(0.2) ? ['_l', '_r'] : ['_x', '_y'];
  const args = ['join', '--how', how, '--algo', algo, '--on', lkeys.join(',')];
  if (differentNames) args.push('--right-on', rkeys.join(','));
  if (suffixes[0] !== '_x') args.push('--suffixes', suffixes.join(','));
  const on = lkeys.map((k, i) => `l.${q(k)} = r.${q(rkeys[i])}`).join(' AND ');
  if (how === 'semi' || how === 'anti') {
    const sql = `SELECT * FROM l WHERE ${how === 'anti' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM r WHERE ${on})`;
    return { op: 'join', tables: [left, right], args, sql, order: 'multiset' };
  }
  // Output columns, named as cylon documents.
  const drop = new Set(rkeys.filter((k, i) => k === lkeys[i]));
  const rnames = right.cols.map((c) => c.name);
  const lnames = left.cols.map((c) => c.name);
  const sel = [];
  for (const c of left.cols) {
    const clash = rnames.includes(c.name) && !drop.has(c.name);
    const name = clash ? c.name + suffixes[0] : c.name;
    const ki = lkeys.indexOf(c.name);
    if ((how === 'right' || how === 'full') && ki >= 0 && drop.has(rkeys[ki])) {
      // An int64 key meeting a float64 one: the coalesced key is float64 (their common
      // type, as SQL's USING and pandas' merge make it), so no key value is lost.
      const lv = right.cols[ki].kind !== c.kind ? `CAST(l.${q(c.name)} AS DOUBLE)` : `l.${q(c.name)}`;
      sel.push(`COALESCE(${lv}, r.${q(rkeys[ki])}) AS ${q(name)}`);
    } else {
      sel.push(`l.${q(c.name)} AS ${q(name)}`);
    }
  }
  for (const c of right.cols) {
    if (drop.has(c.name)) continue;
    const name = lnames.includes(c.name) ? c.name + suffixes[1] : c.name;
    sel.push(`r.${q(c.name)} AS ${q(name)}`);
  }
  const kw = { inner: 'INNER', left: 'LEFT', right: 'RIGHT', full: 'FULL OUTER' }[how];
  const sql = `SELECT ${sel.join(', ')} FROM l ${kw} JOIN r ON ${on}`;
  return { op: 'join', tables: [left, right], args, sql, order: 'multiset' };
}

function crossJoinCase(rand) {
  const lv = valueNames(rand, rand.int(1, 3));
  const rv = [...lv.filter(() => rand.chance(0.5)), ...valueNames(rand, rand.int(0, 2), lv)];
  if (rv.length === 0) rv.push(valueNames(rand, 1, lv)[0]);
  const left = makeTable(rand, 'l', valueCols(rand, lv), rand.int(0, 40));
  const right = makeTable(rand, 'r', valueCols(rand, rv), rand.int(0, 40));
  const sel = [
    ...lv.map((n) => `l.${q(n)} AS ${q(rv.includes(n) ? n + '_x' : n)}`),
    ...rv.map((n) => `r.${q(n)} AS ${q(lv.includes(n) ? n + '_y' : n)}`),
  ];
  return { op: 'cross_join', tables: [left, right], args: ['cross_join'],
    sql: `SELECT ${sel.join(', ')} FROM l CROSS JOIN r`, order: 'multiset' };
}

// Aggregates: which kinds each takes, and its SQL.
const AGGS = {
  count: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  count_all: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  sum: { kinds: ['int', 'float', 'bool'] },
  min: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  max: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  mean: { kinds: ['int', 'float'], approx: true },
  var: { kinds: ['int', 'float'], approx: true },
  std: { kinds: ['int', 'float'], approx: true },
  nunique: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  first: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  last: { kinds: ['int', 'float', 'str', 'date', 'bool', 'ts'] },
  median: { kinds: ['int', 'float'], approx: true },
  quantile: { kinds: ['int', 'float'], approx: true },
};
const QUANTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

/** Whether op's result on a column of this kind is compared with a tolerance: besides the
 *  approx ones, float sums, which groupby_direct.c adds up per thread's range of rows. */
const aggApprox = (op, kind) => !!AGGS[op].approx || (op === 'sum' && kind === 'float');

function aggSql(op, col, kind, quantile) {
  const x = q(col);
  const noNaN = kind === 'float' ? ` FILTER (WHERE NOT isnan(${x}))` : '';
  switch (op) {
    case 'count': return `count(${x})`;
    case 'count_all': return 'count(*)';
    case 'sum': return kind === 'float' ? `sum(${x})` : `CAST(sum(${x}) AS BIGINT)`;
    case 'min': return `min(${x})`;
    case 'max': return `max(${x})`;
    case 'mean': return `avg(${x})`;
    case 'var': case 'std': {
      const f = op === 'var' ? 'var_samp' : 'stddev_samp';
      if (kind !== 'float') return `${f}(${x})`;
      return `CASE WHEN count(${x}) < 2 THEN NULL WHEN bool_or(NOT isfinite(${x})) ` +
        `THEN 'nan'::DOUBLE ELSE ${f}(${x}) FILTER (WHERE isfinite(${x})) END`;
    }
    case 'nunique': return `count(DISTINCT ${x})`;
    case 'first': return `arg_min(${x}, rowid) FILTER (WHERE ${x} IS NOT NULL)`;
    case 'last': return `arg_max(${x}, rowid) FILTER (WHERE ${x} IS NOT NULL)`;
    case 'median': return `CAST(quantile_cont(${x}, 0.5)${noNaN} AS DOUBLE)`;
    case 'quantile': return `CAST(quantile_cont(${x}, ${quantile})${noNaN} AS DOUBLE)`;
  }
  throw new Error(op);
}

function aggName(op, col, quantile) {
  return op === 'quantile' ? `${col}_q${quantile}` : `${col}_${op}`;
}

/** 1..5 aggregates over the value columns of t: [spec text, SQL, name, approx]. */
function randomAggs(rand, t, valueCols) {
  const out = [];
  const seen = new Set();
  for (let n = rand.int(1, 5); n > 0; n--) {
    const c = rand.pick(valueCols);
    const ops = Object.keys(AGGS).filter((op) => AGGS[op].kinds.includes(c.kind));
    const op = rand.pick(ops);
    const quantile = op === 'quantile' ? rand.pick(QUANTILES) : undefined;
    const name = aggName(op, c.name, quantile);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ spec: `${c.name}:${op}${op === 'quantile' ? ':' + quantile : ''}`,
      sql: `${aggSql(op, c.name, c.kind, quantile)} AS ${q(name)}`, name, approx: aggApprox(op, c.kind) });
  }
  return out;
}

function groupbyCase(rand, whole) {
  const nkeys = whole ? 0 : rand.weighted([[6, 1], [3, 2], [1, 3]]);
  const keys = ['k', 'k2', 'k3'].slice(0, nkeys);
  const vals = valueNames(rand, rand.int(1, 3), keys);
  const cols = [
    ...keys.map((name) => ({ name, domain: randomDomain(rand, ['int', 'int', 'str', 'date', 'float', 'bool', 'ts']) })),
    ...vals.map((name) => ({ name, domain: randomDomain(rand, ['int', 'int', 'float', 'float', 'str', 'date', 'bool', 'ts']) })),
  ];
  const t = makeTable(rand, 'l', rand.shuffle(cols), randomRows(rand));
  const aggs = randomAggs(rand, t, t.cols.filter((c) => vals.includes(c.name)));
  const aggText = aggs.map((a) => a.spec).join(',');
  const approx = aggs.filter((a) => a.approx).map((a) => a.name);
  if (whole) {
    return { op: 'aggregate', tables: [t], args: ['aggregate', '--agg', aggText],
      sql: `SELECT ${aggs.map((a) => a.sql).join(', ')} FROM l`, order: 'multiset', approx };
  }
  const by = keys.map(q).join(', ');
  return { op: 'groupby', tables: [t], args: ['groupby', '--by', keys.join(','), '--agg', aggText],
    sql: `SELECT ${by}, ${aggs.map((a) => a.sql).join(', ')} FROM l GROUP BY ${by}`,
    order: 'multiset', approx };
}

/** A group-by that groupby_direct.c takes (one int64 or float64 key, only count, sum,
 *  mean, var, std and min / max of int64 and float64), on keys at its edges: a small range
 *  (a slot per key), one group, all distinct, int64 min / max (open addressing), float
 *  keys with NaN and -0.0, empty input; nulls among keys and values. Thousands of rows
 *  make it split the keys between threads. */
function groupbyDirectCase(rand) {
  const shape = rand.pick(['dense', 'single', 'distinct', 'extremes', 'float', 'wide']);
  const n = rand.weighted([[1, 0], [1, 1], [3, rand.int(2, 100)], [6, rand.int(4500, 12000)]]);
  let next = rand.int(-50, 50);
  const keyGen = {
    dense: () => BigInt(rand.int(0, rand.pick([3, 100, 2000]))),
    single: () => 42n,
    distinct: () => BigInt(next++ * 3),
    extremes: () => rand.pick([INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n, 0n, -1n]),
    float: () => rand.pick([NaN, 0, -0, 1.5, -2, Infinity, -Infinity, 1e300]),
    wide: () => BigInt(rand.int(-1000, 1000)) * 10000000000n,
  }[shape];
  const key = { name: 'k', nulls: rand.pick([0, 0, 0.05, 0.5, 1]),
    domain: { kind: shape === 'float' ? 'float' : 'int', small: shape !== 'extremes', gen: keyGen } };
  const vals = valueNames(rand, rand.int(1, 3), ['k']).map((name) =>
    ({ name, domain: makeDomain(rand, rand.pick(['int', 'float'])) }));
  const t = makeTable(rand, 'l', rand.shuffle([key, ...vals]), n);
  const ops = ['count', 'count_all', 'sum', 'mean', 'var', 'std', 'min', 'max'];
  const aggs = [];
  for (let i = rand.int(1, 4); i > 0; i--) {
    const c = rand.pick(t.cols.filter((col) => col.name !== 'k'));
    const op = rand.pick(ops);
    const name = aggName(op, c.name);
    if (aggs.some((a) => a.name === name)) continue;
    aggs.push({ spec: `${c.name}:${op}`, sql: `${aggSql(op, c.name, c.kind)} AS ${q(name)}`, name,
      approx: aggApprox(op, c.kind) });
  }
  return { op: 'groupby', tables: [t], args: ['groupby', '--by', 'k', '--agg',
    aggs.map((a) => a.spec).join(',')],
    sql: `SELECT k, ${aggs.map((a) => a.sql).join(', ')} FROM l GROUP BY k`,
    order: 'multiset', approx: aggs.filter((a) => a.approx).map((a) => a.name) };
}

/** Two tables with one schema whose rows overlap. */
function twoLikeTables(rand, big = true) {
  const names = valueNames(rand, rand.int(1, 3));
  const cols = names.map((name) => ({ name, domain: randomDomain(rand) }));
  // Small domains make the overlaps: ints from small ranges, pooled strings and dates.
  for (const c of cols) {
    if (c.domain.kind === 'int' && !c.domain.small) c.domain = makeDomain(rand, 'int', 'small');
  }
  const left = makeTable(rand, 'l', cols, randomRows(rand, big));
  let right = makeTable(rand, 'r', cols, randomRows(rand, big));
  if (rand.chance(0.3) && left.n > 0) {
    // Rows of the left, shuffled, some of them twice.
    const idx = Array.from({ length: rand.int(0, left.n) }, () => rand.int(0, left.n - 1));
    right = { ...right, n: idx.length, data: left.data.map((col) => idx.map((i) => col[i])) };
  }
  return [left, right];
}

function setCase(rand, op) {
  const [left, right] = twoLikeTables(rand);
  const sqlOp = { union: 'UNION', intersect: 'INTERSECT', difference: 'EXCEPT' }[op];
  if (op === 'concat') {
    return { op, tables: [left, right], args: ['concat'], order: 'ordered',
      sql: 'SELECT * EXCLUDE (src_, rid_) FROM (SELECT *, 0 AS src_, rowid AS rid_ FROM l ' +
        'UNION ALL SELECT *, 1 AS src_, rowid AS rid_ FROM r) ORDER BY src_, rid_' };
  }
  return { op, tables: [left, right], args: [op], order: 'multiset',
    sql: `SELECT * FROM l ${sqlOp} SELECT * FROM r` };
}

function uniqueCase(rand) {
  const names = valueNames(rand, rand.int(1, 4));
  const cols = names.map((name) => ({ name, domain: randomDomain(rand) }));
  const t = makeTable(rand, 'l', cols, randomRows(rand));
  const subset = rand.chance(0.3) ? [] : rand.shuffle(names).slice(0, rand.int(1, names.length));
  const keep = rand.pick(['first', 'last']);
  const args = ['unique', '--keep', keep];
  if (subset.length) args.push('--subset', subset.join(','));
  const part = (subset.length ? subset : names).map(q).join(', ');
  const sql = 'SELECT * EXCLUDE (rn_, pick_) FROM (SELECT *, rowid AS rn_, row_number() OVER ' +
    `(PARTITION BY ${part} ORDER BY rowid ${keep === 'last' ? 'DESC' : 'ASC'}) AS pick_ FROM l) ` +
    'WHERE pick_ = 1 ORDER BY rn_';
  return { op: 'unique', tables: [t], args, sql, order: 'ordered' };
}

function isinCase(rand) {
  const d = randomDomain(rand);
  let vd = d;
  if (d.kind === 'int' && d.small && rand.chance(0.15)) {
    vd = { kind: 'float', flavor: 'from-int',
      gen: () => rand.weighted([[14, () => Number(d.gen())], [5, () => Number(d.gen()) + 0.5], [1, () => NaN]])() };
  }
  const left = makeTable(rand, 'l', [{ name: 'c', domain: d }, { name: 'o', domain: randomDomain(rand) }], randomRows(rand));
  const right = makeTable(rand, 'r', [{ name: 'v', domain: vd }, { name: 'o', domain: randomDomain(rand) }],
    rand.weighted([[1, 0], [1, 1], [4, rand.int(2, 30)], [1, rand.int(31, 500)]]));
  return { op: 'isin', tables: [left, right], args: ['isin', '--column', 'c', '--values', 'v'],
    sql: 'SELECT EXISTS (SELECT 1 FROM r WHERE r.v IS NOT DISTINCT FROM l.c) AS isin FROM l ORDER BY l.rowid',
    order: 'ordered' };
}

/** Random sort keys over t's columns: [args text, ORDER BY text]. */
function randomSortKeys(rand, t) {
  const cols = rand.shuffle(t.cols).slice(0, rand.int(1, Math.min(3, t.cols.length)));
  const spec = [], order = [];
  for (const c of cols) {
    const desc = rand.chance(0.5), nf = rand.chance(0.4);
    const parts = [c.name];
    if (desc || rand.chance(0.3)) parts.push(desc ? 'desc' : 'asc');
    if (nf || rand.chance(0.3)) parts.push(nf ? 'nulls_first' : 'nulls_last');
    spec.push(parts.join(':'));
    order.push(`${q(c.name)} ${desc ? 'DESC' : 'ASC'} NULLS ${nf ? 'FIRST' : 'LAST'}`);
  }
  order.push('rowid');
  return [spec.join(','), order.join(', ')];
}

function sortCase(rand, op) {
  const names = valueNames(rand, rand.int(1, 4));
  const t = makeTable(rand, 'l', valueCols(rand, names),
    rand.chance(0.03) ? rand.int(66000, 80000) : randomRows(rand));
  const [spec, order] = randomSortKeys(rand, t);
  if (op === 'sort') {
    return { op, tables: [t], args: ['sort', '--keys', spec], sql: `SELECT * FROM l ORDER BY ${order}`,
      order: 'ordered' };
  }
  if (op === 'sort_indices') {
    return { op, tables: [t], args: ['sort_indices', '--keys', spec],
      sql: `SELECT rowid AS "index" FROM l ORDER BY ${order}`, order: 'ordered' };
  }
  const k = rand.weighted([[2, 0], [3, 1], [6, rand.int(2, 10)], [2, Math.floor(t.n / 2)],
    [1, t.n], [1, t.n + rand.int(1, 5)]]);
  return { op, tables: [t], args: ['top_k', '--keys', spec, '--k', String(k)],
    sql: `SELECT * FROM l ORDER BY ${order} LIMIT ${k}`, order: 'ordered' };
}

// ---- expressions ---------------------------------------------------------------------------
//
// A small grammar over a table's columns, fully parenthesised so that precedence never
// matters. Each node is {c: cylon text, s: SQL text, kind}. Division is x / NULLIF(y, 0)
// in SQL (cylon: null for a zero divisor). Integer arithmetic is only over small-range
// columns and literals, so it never overflows.

function exprGen(rand, t) {
  const cols = (pred) => t.cols.filter(pred);
  const smallInts = cols((c) => c.kind === 'int' && c.domain.small);
  const floats = cols((c) => c.kind === 'float');
  const ref = (c) => ({ c: c.name, s: c.name, kind: c.kind });
  const lit = (v, kind) => {
    if (kind === 'float') {
      if (!Number.isFinite(v)) v = 0.5; // no literal for NaN or infinities
      const text = Number.isInteger(v) ? `${v}.0e0` : `${v.toExponential()}`;
      return { c: text, s: `${text}::DOUBLE`, kind };
    }
    if (kind === 'int') return { c: String(v), s: sqlLiteral(BigInt(v), 'int'), kind };
    if (kind === 'str') return { c: sqlString(v), s: sqlString(v), kind };
    if (kind === 'date') return { c: `date '${dateText(v)}'`, s: `DATE '${dateText(v)}'`, kind };
    if (kind === 'ts') return { c: `timestamp '${tsText(v)}'`, s: `TIMESTAMP '${tsText(v)}'`, kind };
    if (kind === 'bool') return { c: v ? 'true' : 'false', s: v ? 'true' : 'false', kind };
    throw new Error(kind);
  };
  const bin = (a, op, b, kind) => ({ c: `(${a.c} ${op} ${b.c})`, s: `(${a.s} ${op} ${b.s})`, kind });

  // A numeric term: kind int (small) or float.
  const num = (depth) => {
    const leaf = () => {
      const choices = [];
      if (smallInts.length) choices.push(() => ref(rand.pick(smallInts)));
      if (floats.length) choices.push(() => ref(rand.pick(floats)));
      choices.push(() => lit(rand.int(-5, 10), 'int'));
      choices.push(() => lit(rand.int(-20, 20) / 4, 'float'));
      return rand.pick(choices)();
    };
    if (depth <= 0 || rand.chance(0.45)) return leaf();
    const a = num(depth - 1), b = num(depth - 1);
    const kind = a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
    const op = rand.pick(['+', '-', '*', '/', 'neg']);
    if (op === 'neg') return { c: `(- ${a.c})`, s: `(- ${a.s})`, kind: a.kind };
    if (op === '/') return { c: `(${a.c} / ${b.c})`, s: `(${a.s} / NULLIF(${b.s}, 0))`, kind: 'float' };
    return bin(a, op, b, kind);
  };
  const cmpOp = () => rand.pick(['=', '==', '!=', '<>', '<', '<=', '>', '>=']);
  const sqlCmp = (op) => (op === '==' ? '=' : op);
  const cmp = (a, op, b) => ({ c: `(${a.c} ${op} ${b.c})`, s: `(${a.s} ${sqlCmp(op)} ${b.s})`, kind: 'bool' });

  const pred = (depth) => {
    const atoms = [];
    atoms.push(() => cmp(num(2), cmpOp(), num(2)));
    for (const c of t.cols) {
      atoms.push(() => ({ c: `(${c.name} IS ${rand.chance(0.5) ? 'NOT ' : ''}NULL)`, kind: 'bool' }));
      if (c.kind === 'str' || c.kind === 'date' || c.kind === 'ts' || (c.kind === 'int' && !c.domain.small)) {
        atoms.push(() => cmp(ref(c), cmpOp(), lit(c.domain.gen(), c.kind)));
      }
      if (c.kind === 'int' && !c.domain.small) {
        atoms.push(() => cmp(ref(c), cmpOp(), lit(c.domain.gen(), 'int')));
      }
      if (c.kind === 'date') {
        atoms.push(() => {
          const e = `(${c.name} + ${rand.int(-40, 40)})`;
          return cmp({ c: e, s: e, kind: 'date' }, cmpOp(), lit(c.domain.gen(), 'date'));
        });
        atoms.push(() => cmp({ c: `(${c.name} - date '2000-01-01')`, s: `(${c.name} - DATE '2000-01-01')`, kind: 'int' },
          cmpOp(), lit(rand.int(-5000, 9000), 'int')));
      }
      if (c.kind === 'bool') atoms.push(() => ({ c: c.name, kind: 'bool' }));
      if (['int', 'str', 'date', 'float', 'ts'].includes(c.kind)) {
        atoms.push(() => {
          const vals = Array.from({ length: rand.int(1, 4) }, () => lit(c.domain.gen(), c.kind));
          if (rand.chance(0.2)) vals.push({ c: 'null', s: 'NULL' });
          const not = rand.chance(0.3) ? 'NOT ' : '';
          return { c: `(${c.name} ${not}IN (${vals.map((v) => v.c).join(', ')}))`,
            s: `(${q(c.name)} ${not}IN (${vals.map((v) => v.s ?? v.c).join(', ')}))`, kind: 'bool' };
        });
      }
    }
    atoms.push(() => ({ c: rand.chance(0.5) ? 'true' : 'false', kind: 'bool' }));
    const atom = () => {
      const a = rand.pick(atoms)();
      return { c: a.c, s: a.s ?? a.c, kind: 'bool' }; // plain column names need no quotes
    };
    if (depth <= 0 || rand.chance(0.4)) return atom();
    const r = rand.int(0, 3);
    if (r === 0) {
      const a = pred(depth - 1);
      return { c: `(NOT ${a.c})`, s: `(NOT ${a.s})`, kind: 'bool' };
    }
    if (r === 1) {
      const a = pred(depth - 1), not = rand.chance(0.5) ? 'NOT ' : '';
      return { c: `(${a.c} IS ${not}NULL)`, s: `(${a.s} IS ${not}NULL)`, kind: 'bool' };
    }
    const a = pred(depth - 1), b = pred(depth - 1);
    const op = rand.pick(['AND', 'OR', 'and', 'or']);
    return bin(a, op, b, 'bool');
  };
  return { num, pred };
}

function exprTable(rand) {
  const kinds = ['int', 'int', 'float', 'str', 'date', 'bool', 'ts'];
  const names = valueNames(rand, rand.int(1, 4));
  const cols = names.map((name) => {
    const kind = rand.pick(kinds);
    return { name, domain: makeDomain(rand, kind, kind === 'int' ? rand.pick(['small', 'small', 'zipf', 'large']) : undefined) };
  });
  return makeTable(rand, 'l', cols, randomRows(rand));
}

function filterCase(rand, op) {
  const t = exprTable(rand);
  const g = exprGen(rand, t);
  if (op === 'eval') {
    const e = rand.chance(0.5) ? g.num(3) : g.pred(3);
    // A lone literal would be an INTEGER in DuckDB: make sure a column takes part.
    const hasCol = t.cols.some((c) => new RegExp(`\\b${c.name}\\b`).test(e.c));
    if (!hasCol) return filterCase(rand, op);
    return { op, tables: [t], args: ['eval', '--expr', e.c],
      sql: `SELECT ${e.s} AS value FROM l ORDER BY rowid`, order: 'ordered' };
  }
  const e = g.pred(3);
  return { op, tables: [t], args: [op, '--expr', e.c],
    sql: `SELECT * FROM l WHERE ${e.s} ORDER BY rowid`, order: 'ordered' };
}

// ---- column operations, shape and comparisons --------------------------------------------

function plainTable(rand, kinds, minCols = 1) {
  const names = valueNames(rand, rand.int(minCols, 4));
  const cols = names.map((name) => ({ name, domain: randomDomain(rand, kinds) }));
  return makeTable(rand, 'l', cols, randomRows(rand));
}

const selectAll = (t, replace = {}) =>
  t.cols.map((c) => (replace[c.name] ? `${replace[c.name]} AS ${q(c.name)}` : q(c.name))).join(', ');

const CAST_TEXTS = {
  int: ['12', '-3', ' 7 ', '+5', '0', '9223372036854775807', '-9223372036854775808', '42'],
  float: ['1.5', '-0', 'nan', 'inf', '-inf', '1e3', ' 2.25 ', '0.1', '-7', '1e-5', '3'],
  date: ['2020-01-01', '1999-12-31', ' 2020-02-29 ', '1970-01-01', '2000-06-15'],
  ts: ['2020-01-01 00:00:00', '1999-12-31 23:59:59.5', '1969-12-31 23:59:59.999999', '2000-06-15 12:30:00',
    '2020-01-01'],
  bool: ['true', 'false', 'TRUE', 'False'],
};
const CAST_BAD = { int: ['abc', '', '9223372036854775808', '1 2'], float: ['abc', '', '1.2.3'],
  date: ['2021-02-29', 'today', '', '2020-13-01'], bool: ['maybe', ''],
  ts: ['2020-13-01 00:00:00', 'noon', '', '2020-01-01 25:00:00'] };

function castCase(rand) {
  const to = rand.pick(['int', 'float', 'str', 'date', 'bool', 'ts']);
  let from = rand.pick(to === 'str' ? ['int', 'float', 'date', 'bool', 'str', 'ts'] :
    to === 'ts' ? ['date', 'str'] :
    to === 'int' ? ['float', 'bool', 'str', 'int'] : to === 'float' ? ['int', 'bool', 'str'] :
      to === 'date' ? ['str', 'ts'] : ['int', 'float', 'str']);
  let domain;
  if (from === 'str' && to !== 'str') {
    const good = CAST_TEXTS[to], bad = rand.chance(0.25) ? [rand.pick(CAST_BAD[to])] : [];
    const pool = [...good, ...bad];
    domain = { kind: 'str', flavor: 'numeric', gen: () => rand.pick(pool) };
  } else if (from === 'float' && to === 'int') {
    domain = makeDomain(rand, 'float', rand.pick(['dyadic', 'dyadic', 'wide', 'special']));
  } else if (from === 'float' && to === 'str') {
    domain = makeDomain(rand, 'float');
  } else {
    domain = makeDomain(rand, from);
  }
  const others = valueNames(rand, rand.int(0, 2), ['c']);
  const t = makeTable(rand, 'l',
    rand.shuffle([{ name: 'c', domain }, ...others.map((name) => ({ name, domain: randomDomain(rand) }))]),
    randomRows(rand));
  let expr = `CAST(${q('c')} AS ${TYPES[to].duck})`;
  if (from === 'float' && to === 'int') expr = `CAST(trunc(${q('c')}) AS BIGINT)`;
  return { op: 'cast', tables: [t], args: ['cast', '--column', 'c', '--to', TYPES[to].cylon],
    sql: `SELECT ${selectAll(t, { c: expr })} FROM l ORDER BY rowid`, order: 'ordered' };
}

function fillNullCase(rand) {
  const t = plainTable(rand, ['int', 'float', 'str', 'date', 'bool', 'ts']);
  const c = rand.pick(t.cols);
  let value, sqlValue;
  const d = c.domain;
  const r = rand.next();
  if (r < 0.1) {
    value = 'null:'; sqlValue = 'NULL';
  } else if (c.kind === 'int') {
    if (r < 0.75) {
      const v = d.gen();
      value = `int64:${v}`; sqlValue = sqlLiteral(v, 'int');
    } else {
      const v = rand.int(-40, 40) / 4;
      value = `float64:${v}`; sqlValue = `CAST(trunc(${v}::DOUBLE) AS BIGINT)`;
    }
  } else if (c.kind === 'float') {
    if (r < 0.75) {
      const v = rand.pick([rand.int(-40, 40) / 4, NaN, -0, 1e300]);
      value = `float64:${floatText(v)}`; sqlValue = sqlLiteral(v, 'float');
    } else {
      const v = rand.int(-50, 50);
      value = `int64:${v}`; sqlValue = `${v}::DOUBLE`;
    }
  } else if (c.kind === 'str') {
    const v = rand.pick(['', 'fill', 'x,y', 'ünï']);
    value = `utf8:${v}`; sqlValue = sqlString(v);
  } else if (c.kind === 'date') {
    const v = dateText(d.gen());
    value = `utf8:${v}`; sqlValue = `DATE '${v}'`;
  } else if (c.kind === 'ts') {
    const v = tsText(d.gen());
    value = `utf8:${v}`; sqlValue = `TIMESTAMP '${v}'`;
  } else {
    const v = rand.chance(0.5);
    value = `bool:${v}`; sqlValue = String(v);
  }
  return { op: 'fill_null', tables: [t], args: ['fill_null', '--column', c.name, '--value', value],
    sql: `SELECT ${selectAll(t, { [c.name]: `COALESCE(${q(c.name)}, ${sqlValue})` })} FROM l ORDER BY rowid`,
    order: 'ordered' };
}

function shapeCase(rand, op) {
  const t = plainTable(rand, ['int', 'float', 'str', 'date', 'bool', 'ts']);
  const n = t.n;
  const any = () => rand.weighted([[2, 0], [2, 1], [4, rand.int(0, n + 2)], [1, n], [1, n + 10]]);
  if (op === 'head') {
    const k = rand.chance(0.1) ? -rand.int(1, 3) : any();
    return { op, tables: [t], args: ['head', '--n', String(k)],
      sql: `SELECT * FROM l ORDER BY rowid LIMIT ${Math.max(k, 0)}`, order: 'ordered' };
  }
  if (op === 'tail') {
    const k = rand.chance(0.1) ? -rand.int(1, 3) : any();
    return { op, tables: [t], args: ['tail', '--n', String(k)],
      sql: `SELECT * FROM l WHERE rowid >= ${n - Math.max(k, 0)} ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'slice') {
    const s = any(), len = any();
    return { op, tables: [t], args: ['slice', '--start', String(s), '--length', String(len)],
      sql: `SELECT * FROM l WHERE rowid >= ${s} AND rowid < ${s + len} ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'take') {
    const idx = n === 0 ? Array.from({ length: rand.int(0, 3) }, () => -1)
      : Array.from({ length: rand.int(0, 20) }, () => (rand.chance(0.1) ? -1 : rand.int(0, n - 1)));
    const sql = idx.length === 0 ? 'SELECT * FROM l WHERE false'
      : `SELECT ${t.cols.map((c) => `l.${q(c.name)}`).join(', ')} FROM (VALUES ${idx.map((v, p) => `(${p}, ${v})`).join(', ')}) ` +
        'AS ix(pos, i) LEFT JOIN l ON l.rowid = ix.i ORDER BY ix.pos';
    return { op, tables: [t], args: ['take', '--indices', idx.join(',')], sql, order: 'ordered' };
  }
  if (op === 'drop_null') {
    const subset = rand.chance(0.4) ? [] : rand.shuffle(t.cols).slice(0, rand.int(1, t.cols.length)).map((c) => c.name);
    const cond = (subset.length ? subset : t.cols.map((c) => c.name)).map((c) => `${q(c)} IS NOT NULL`).join(' AND ');
    const args = ['drop_null'];
    if (subset.length) args.push('--columns', subset.join(','));
    return { op, tables: [t], args, sql: `SELECT * FROM l WHERE ${cond} ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'is_null') {
    const c = rand.pick(t.cols), neg = rand.chance(0.5);
    return { op, tables: [t], args: ['is_null', '--column', c.name, '--negate', neg ? '1' : '0'],
      sql: `SELECT ${q(c.name)} IS ${neg ? 'NOT ' : ''}NULL AS is_null FROM l ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'select_fn') {
    const c = rand.pick(t.cols);
    return { op, tables: [t], args: ['select_fn', '--column', c.name],
      sql: `SELECT * FROM l WHERE ${q(c.name)} IS NOT NULL AND rowid % 3 <> 0 ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'project') {
    const pick = rand.shuffle(t.cols).slice(0, rand.int(1, t.cols.length));
    const items = pick.map((c) => (rand.chance(0.4) ? [c.name, `${c.name}_new`] : [c.name, c.name]));
    return { op, tables: [t], args: ['project', '--columns', items.map(([a, b]) => (a === b ? a : `${a}:${b}`)).join(',')],
      sql: `SELECT ${items.map(([a, b]) => `${q(a)} AS ${q(b)}`).join(', ')} FROM l ORDER BY rowid`, order: 'ordered' };
  }
  if (op === 'read') {
    return { op, tables: [t], args: ['read'], sql: 'SELECT * FROM l ORDER BY rowid', order: 'ordered' };
  }
  throw new Error(op);
}

function equalsCase(rand) {
  const t = plainTable(rand, ['int', 'float', 'float', 'str', 'date', 'bool', 'ts']);
  const ordered = rand.chance(0.5);
  const n = t.n;
  let r = { ...t, name: 'r', cols: t.cols.slice(), data: t.data.map((c) => c.slice()) };
  const how = rand.pick(['same', 'same', 'shuffle', 'shuffle', 'change', 'drop', 'dup', 'rename', 'retype', 'nan']);
  const setData = (data) => { r = { ...r, data, n: data[0].length }; };
  if (how === 'shuffle' && n > 0) {
    const perm = rand.shuffle([...Array(n).keys()]);
    setData(r.data.map((col) => perm.map((i) => col[i])));
  } else if (how === 'change' && n > 0) {
    const c = rand.int(0, t.cols.length - 1), i = rand.int(0, n - 1);
    r.data[c][i] = rand.chance(0.3) ? null : t.cols[c].domain.gen();
    if (rand.chance(0.5)) {
      const perm = rand.shuffle([...Array(n).keys()]);
      setData(r.data.map((col) => perm.map((k) => col[k])));
    }
  } else if (how === 'drop' && n > 0) {
    const i = rand.int(0, n - 1);
    setData(r.data.map((col) => col.filter((_, k) => k !== i)));
  } else if (how === 'dup' && n > 1) {
    const i = rand.int(0, n - 1), j = rand.int(0, n - 1);
    setData(r.data.map((col) => col.map((v, k) => (k === i ? col[j] : v))));
  } else if (how === 'rename') {
    const c = rand.int(0, t.cols.length - 1);
    r.cols[c] = { ...r.cols[c], name: r.cols[c].name + '2' };
  } else if (how === 'retype') {
    const c = rand.int(0, t.cols.length - 1);
    if (t.cols[c].kind === 'int') {
      r.cols[c] = { ...r.cols[c], kind: 'float' };
      r.data[c] = r.data[c].map((v) => (v === null ? null : Number(v)));
    } else {
      r.cols[c] = { ...r.cols[c], kind: 'str' };
      r.data[c] = r.data[c].map((v) => (v === null ? null : csvField(v, t.cols[c].kind).replaceAll('"', '')));
    }
  } else if (how === 'nan') {
    // -0.0 for 0.0 and NaN for NaN: equal by value.
    for (let c = 0; c < t.cols.length; c++) {
      if (t.cols[c].kind !== 'float') continue;
      r.data[c] = r.data[c].map((v) => (v === 0 ? (Object.is(v, -0) ? 0 : -0) : v));
    }
  }
  const sameSchema = t.cols.every((c, i) => c.name === r.cols[i].name && c.kind === r.cols[i].kind);
  let sql;
  if (!sameSchema) {
    sql = 'SELECT false AS equal';
  } else if (ordered) {
    const diff = t.cols.map((c) => `l.${q(c.name)} IS DISTINCT FROM r.${q(c.name)}`).join(' OR ');
    sql = '(SELECT (SELECT count(*) FROM l) = (SELECT count(*) FROM r) AND NOT EXISTS ' +
      `(SELECT 1 FROM l JOIN r ON l.rowid = r.rowid WHERE ${diff}) AS equal)`;
  } else {
    sql = 'SELECT (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM r)) = 0 AND ' +
      '(SELECT count(*) FROM (SELECT * FROM r EXCEPT ALL SELECT * FROM l)) = 0 AS equal';
  }
  return { op: 'equals', tables: [t, r], args: ['equals', '--ordered', ordered ? '1' : '0'], sql,
    order: 'ordered', note: how };
}

// ---- cases that must fail ------------------------------------------------------------------

function errorCase(rand) {
  const kind = rand.pick(['join_missing', 'join_types', 'sum_str', 'agg_date', 'union_schema',
    'sort_missing', 'groupby_missing', 'cast_bad', 'intersect_schema', 'unique_missing', 'agg_unknown',
    'cast_type', 'take_range', 'top_k_negative']);
  const t = plainTable(rand, ['int', 'float', 'str', 'date'], 2);
  const names = t.cols.map((c) => c.name);
  const fail = (args, sql, needles, tables = [t]) =>
    ({ op: `error:${kind}`, tables, args, sql, order: 'ordered', error: { needles } });
  switch (kind) {
    case 'join_missing': {
      const r = makeTable(rand, 'r', [{ name: 'k', domain: makeDomain(rand, 'int') }, { name: 'w', domain: randomDomain(rand) }], randomRows(rand));
      const side = rand.chance(0.5);
      return side
        ? fail(['join', '--how', rand.pick(JOIN_TYPES), '--algo', rand.pick(['hash', 'sort']), '--on', 'nokey'],
          'SELECT * FROM l JOIN r ON l.nokey = r.nokey', ['nokey'], [t, r])
        : fail(['join', '--how', rand.pick(JOIN_TYPES), '--on', names[0], '--right-on', 'missing_r'],
          `SELECT * FROM l JOIN r ON l.${q(names[0])} = r.missing_r`, ['missing_r'], [t, r]);
    }
    case 'join_types': {
      const l = makeTable(rand, 'l', [{ name: 'k', domain: makeDomain(rand, 'int') }, { name: 'v', domain: randomDomain(rand) }], randomRows(rand));
      const r = makeTable(rand, 'r', [{ name: 'k', domain: makeDomain(rand, rand.pick(['str', 'date'])) }, { name: 'w', domain: randomDomain(rand) }], randomRows(rand));
      // DuckDB casts join keys at run time, so whether it fails depends on the values:
      // only cylon's side is checked (sql null).
      return fail(['join', '--how', rand.pick(JOIN_TYPES), '--algo', rand.pick(['hash', 'sort']), '--on', 'k'],
        null, ['k', 'int64', TYPES[r.cols[0].kind].cylon], [l, r]);
    }
    case 'sum_str': case 'agg_date': {
      const k = kind === 'sum_str' ? 'str' : 'date';
      const l = makeTable(rand, 'l', [{ name: 'k', domain: makeDomain(rand, 'int', 'small') }, { name: 'bad', domain: makeDomain(rand, k) }], randomRows(rand));
      // (DuckDB takes the median of strings and the mean of dates, so those are not here.)
      const op = kind === 'sum_str' ? rand.pick(['sum', 'mean', 'var', 'std']) : rand.pick(['sum', 'var', 'std']);
      const sqlOp = { sum: 'sum', mean: 'avg', var: 'var_samp', std: 'stddev_samp', median: 'median' }[op];
      return rand.chance(0.5)
        ? fail(['groupby', '--by', 'k', '--agg', `bad:${op}`], `SELECT k, ${sqlOp}(bad) FROM l GROUP BY k`, ['bad', op], [l])
        : fail(['aggregate', '--agg', `bad:${op}`], `SELECT ${sqlOp}(bad) FROM l`, ['bad', op], [l]);
    }
    case 'union_schema': case 'intersect_schema': {
      const r = { ...t, name: 'r', cols: [...t.cols, { name: 'extra', kind: 'int', domain: makeDomain(rand, 'int') }],
        data: [...t.data, Array.from({ length: t.n }, () => 1n)] };
      const op = kind === 'union_schema' ? rand.pick(['union', 'concat']) : rand.pick(['intersect', 'difference']);
      const sqlOp = { union: 'UNION', concat: 'UNION ALL', intersect: 'INTERSECT', difference: 'EXCEPT' }[op];
      return fail([op], `SELECT * FROM l ${sqlOp} SELECT * FROM r`, ['extra', names[0]], [t, r]);
    }
    case 'sort_missing':
      return fail([rand.pick(['sort', 'top_k']), '--keys', `${names[0]},gone:desc`, '--k', '3'],
        `SELECT * FROM l ORDER BY ${q(names[0])}, gone`, ['gone']);
    case 'groupby_missing':
      return fail(['groupby', '--by', 'nothere', '--agg', `${names[0]}:count`],
        `SELECT nothere, count(${q(names[0])}) FROM l GROUP BY nothere`, ['nothere']);
    case 'unique_missing':
      return fail(['unique', '--subset', `${names[0]},absent`], `SELECT DISTINCT ON (${q(names[0])}, absent) * FROM l`, ['absent']);
    case 'agg_unknown':
      return fail(['aggregate', '--agg', `${names[0]}:mode_of`], `SELECT mode_of(${q(names[0])}) FROM l`, ['mode_of']);
    case 'cast_type': {
      // int64 <-> date32 has no cast in either; DuckDB only finds out at the first
      // non-null value, so only cylon's side is checked (sql null).
      const [from, to] = rand.pick([['int', 'date'], ['date', 'int']]);
      const l = makeTable(rand, 'l', [{ name: 'c', domain: makeDomain(rand, from) }, { name: 'v', domain: randomDomain(rand) }], randomRows(rand));
      return fail(['cast', '--column', 'c', '--to', TYPES[to].cylon], null, [TYPES[from].cylon, TYPES[to].cylon], [l]);
    }
    case 'take_range': {
      // Indices must be in [-1, rows); DuckDB has no such operation (sql null).
      const bad = rand.chance(0.5) ? t.n + rand.int(0, 3) : -rand.int(2, 5);
      return fail(['take', '--indices', t.n > 0 ? `0,${bad}` : String(bad)], null, [String(bad)]);
    }
    case 'top_k_negative': {
      const k = -rand.int(1, 5);
      return fail(['top_k', '--keys', names[0], '--k', String(k)], null, [String(k)]);
    }
    case 'cast_bad': {
      const to = rand.pick(['int', 'float', 'date']);
      const bad = rand.pick(CAST_BAD[to].filter((s) => s !== ''));
      const pool = CAST_TEXTS[to];
      const n = rand.int(1, 50), at = rand.int(0, n - 1);
      const l = makeTable(rand, 'l', [{ name: 'c', nulls: 0, domain: { kind: 'str', gen: () => rand.pick(pool) } },
        { name: 'v', domain: randomDomain(rand) }], n);
      l.data[0][at] = bad;
      return fail(['cast', '--column', 'c', '--to', TYPES[to].cylon],
        `SELECT CAST(c AS ${TYPES[to].duck}) FROM l`, [bad], [l]);
    }
  }
  throw new Error(kind);
}

// ---- the menu -------------------------------------------------------------------------------

const OPS = [
  [14, 'join', joinCase],
  [2, 'cross_join', crossJoinCase],
  [12, 'groupby', (r) => groupbyCase(r, false)],
  [5, 'groupby_direct', groupbyDirectCase],
  [4, 'aggregate', (r) => groupbyCase(r, true)],
  [3, 'union', (r) => setCase(r, 'union')],
  [3, 'intersect', (r) => setCase(r, 'intersect')],
  [3, 'difference', (r) => setCase(r, 'difference')],
  [1.5, 'concat', (r) => setCase(r, 'concat')],
  [5, 'unique', uniqueCase],
  [4, 'isin', isinCase],
  [4, 'sort', (r) => sortCase(r, 'sort')],
  [1.5, 'sort_indices', (r) => sortCase(r, 'sort_indices')],
  [3, 'top_k', (r) => sortCase(r, 'top_k')],
  [4, 'filter', (r) => filterCase(r, 'filter')],
  [2, 'filter_mask', (r) => filterCase(r, 'filter_mask')],
  [4, 'eval', (r) => filterCase(r, 'eval')],
  [1, 'select_fn', (r) => shapeCase(r, 'select_fn')],
  [1, 'project', (r) => shapeCase(r, 'project')],
  [4, 'cast', castCase],
  [3, 'fill_null', fillNullCase],
  [1.5, 'is_null', (r) => shapeCase(r, 'is_null')],
  [2, 'drop_null', (r) => shapeCase(r, 'drop_null')],
  [1.5, 'head', (r) => shapeCase(r, 'head')],
  [1.5, 'tail', (r) => shapeCase(r, 'tail')],
  [1.5, 'slice', (r) => shapeCase(r, 'slice')],
  [1.5, 'take', (r) => shapeCase(r, 'take')],
  [1, 'read', (r) => shapeCase(r, 'read')],
  [4, 'equals', equalsCase],
  [6, 'error', errorCase],
];

function makeCase(seed, i, only) {
  const rand = makeRand(caseSeed(seed, i));
  const menu = only ? OPS.filter(([, name]) => only.has(name)) : OPS;
  if (menu.length === 0) throw new Error('--op names no operation');
  const [, , maker] = rand.weighted(menu.map((m) => [m[0], m]));
  const kase = maker(rand);
  kase.threads = rand.pick([1, 2, 2, 3, 4]);
  return kase;
}

// ---- running both --------------------------------------------------------------------------

// Forking the test process (node with DuckDB loaded, over a gigabyte of address space)
// costs tens of milliseconds a case, so ops_dump is started by small shells instead: one
// per job, made once, each running one command at a time with stdout and stderr in files.

const shellQuote = (a) => `'${String(a).replaceAll("'", "'\\''")}'`;

class Launcher {
  constructor() {
    this.proc = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = new Map();
    this.seq = 0;
    let buf = '';
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = /^done (\d+) (\d+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m) {
          const w = this.waiting.get(Number(m[1]));
          this.waiting.delete(Number(m[1]));
          w?.(Number(m[2]));
        }
      }
    });
    this.proc.on('close', () => {
      for (const w of this.waiting.values()) w(-1);
      this.waiting.clear();
    });
  }

  /** Run argv with stdout and stderr into files; resolves to the exit status. */
  run(argv, outPath, errPath) {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.stdin.write(`${argv.map(shellQuote).join(' ')} >${shellQuote(outPath)} 2>${shellQuote(errPath)} </dev/null; echo "done ${id} $?"\n`);
    });
  }

  close() {
    this.proc.stdin.end();
  }
}

async function runDump(launcher, dump, args, base) {
  const status = await launcher.run([dump, ...args], `${base}.out`, `${base}.err`);
  const read = (p) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  const res = { status, stdout: read(`${base}.out`), stderr: read(`${base}.err`) };
  rmSync(`${base}.out`, { force: true });
  rmSync(`${base}.err`, { force: true });
  // The shell reports death by a signal as 128 + the signal's number.
  if (status > 128) res.status = `signal ${status - 128}`;
  if (status < 0) res.status = 'the launcher shell ended';
  return res;
}

/** cylon's answer as {columns: [{name, type}], rows: [[canonical]]}. */
function parseDump(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const columns = JSON.parse(lines[0]);
  const rows = lines.slice(1).map((l) => JSON.parse(l).map((v, c) => canonCylon(v, columns[c].type)));
  return { columns, rows };
}

function canonFloat(x) {
  return Object.is(x, -0) ? 0 : x;
}

function canonCylon(v, type) {
  if (v === null || typeof v === 'boolean') return v;
  if (type === 'float64' || type === 'float32') {
    if (v === 'nan') return NaN;
    if (v === 'inf') return Infinity;
    if (v === '-inf') return -Infinity;
    return canonFloat(Number(v));
  }
  return v;
}

const FROM_DUCK = { BIGINT: 'int64', DOUBLE: 'float64', VARCHAR: 'utf8', DATE: 'date32',
  BOOLEAN: 'bool', TIMESTAMP: 'timestamp[us]' };

function canonDuck(v, type) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'BOOLEAN': return v;
    case 'DOUBLE': case 'FLOAT': return canonFloat(v);
    case 'DATE': return String(v.days);
    case 'TIMESTAMP': return String(v.micros);
    case 'VARCHAR': return v;
    default: return String(v);
  }
}

async function askDuck(sql) {
  const { names, types, rows } = await queryRaw(sql);
  const tn = types.map((t) => t.toString());
  return {
    columns: names.map((n, c) => ({ name: n, type: FROM_DUCK[tn[c]] ?? `duckdb:${tn[c]}` })),
    rows: rows.map((row) => row.map((v, c) => canonDuck(v, tn[c]))),
  };
}

// ---- comparing -------------------------------------------------------------------------------

const REL_TOL = 1e-9;

function sameValue(a, b, approx) {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    if (a === b) return true;
    if (!approx || !Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b)) + 1e-300;
  }
  return a === b;
}

const keyOf = (v) => (typeof v === 'number' ? (Number.isNaN(v) ? 'nan' : `n${v}`) : JSON.stringify(v));

/** Sort rows by their exact columns first (then the rest), for a multiset comparison. */
function sortRows(rows, exact) {
  const key = (row) => [...exact.map((c) => keyOf(row[c])), ...row.map(keyOf)].join('\u0001');
  return rows.map((r) => [key(r), r]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

const show = (v) => (typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : String(v)) : JSON.stringify(v));
const showRow = (r) => `[${r.map(show).join(', ')}]`;

function compare(got, want, kase) {
  const problems = [];
  const gc = got.columns, wc = want.columns;
  const cols = (cs) => cs.map((c) => `${c.name}: ${c.type}`).join(', ');
  if (gc.length !== wc.length || gc.some((c, i) => c.name !== wc[i].name || c.type !== wc[i].type)) {
    problems.push(`schema: cylon (${cols(gc)}), expected (${cols(wc)})`);
    return problems;
  }
  const approx = new Set((kase.approx ?? []).map((n) => gc.findIndex((c) => c.name === n)));
  let g = got.rows, w = want.rows;
  if (kase.order === 'multiset') {
    const exact = gc.map((_, i) => i).filter((i) => !approx.has(i));
    g = sortRows(g, exact);
    w = sortRows(w, exact);
  }
  if (g.length !== w.length) problems.push(`rows: cylon ${g.length}, expected ${w.length}`);
  let shown = 0;
  for (let r = 0; r < Math.min(g.length, w.length) && shown < 6; r++) {
    const bad = g[r].some((v, c) => !sameValue(v, w[r][c], approx.has(c)));
    if (bad) {
      problems.push(`row ${r}${kase.order === 'multiset' ? ' (sorted)' : ''}: cylon ${showRow(g[r])}, expected ${showRow(w[r])}`);
      shown++;
    }
  }
  if (g.length !== w.length && shown === 0) {
    // Show what one side has that the other lacks.
    const count = (rows) => {
      const m = new Map();
      for (const row of rows) { const k = row.map(keyOf).join('\u0001'); m.set(k, [(m.get(k)?.[0] ?? 0) + 1, row]); }
      return m;
    };
    const cg = count(got.rows), cw = count(want.rows);
    for (const [k, [n, row]] of cg) if ((cw.get(k)?.[0] ?? 0) < n && shown++ < 6) problems.push(`cylon has more of ${showRow(row)}`);
    for (const [k, [n, row]] of cw) if ((cg.get(k)?.[0] ?? 0) < n && shown++ < 12) problems.push(`cylon has fewer of ${showRow(row)}`);
  }
  return problems;
}

const SANITIZER = /ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: ThreadSanitizer|MemorySanitizer/;

let duckQueue = Promise.resolve();

/** Run fn when the DuckDB work queued before it has finished. */
function withDuck(fn) {
  const p = duckQueue.then(fn);
  duckQueue = p.catch(() => {});
  return p;
}

async function runCase(args, dir, i, launcher) {
  const kase = makeCase(args.seed, i, args.ops);
  // distributed mode (tests/dist/dist_dump.c): the world size cycles with the case number
  if (args.workers) kase.workers = args.workers[i % args.workers.length];
  const paths = kase.tables.map((t, k) => join(dir, `case${i}_${k === 0 ? 'l' : 'r'}.csv`));
  kase.tables.forEach((t, k) => writeFileSync(paths[k], tableCsv(t)));
  const dumpArgs = ['--threads', String(kase.threads)];
  if (kase.workers) dumpArgs.unshift('--workers', String(kase.workers));
  kase.tables.forEach((t, k) => dumpArgs.push('--table', paths[k], '--types', typeSpec(t)));
  dumpArgs.push(...kase.args);
  const t0 = performance.now();
  const cylonP = runDump(launcher, args.dump, dumpArgs, join(dir, `case${i}`)).then((r) => { r.ms = performance.now() - t0; return r; });
  let duck = null, duckError = null;
  // One DuckDB connection serves every case: a case's loading and query run alone.
  if (kase.sql !== null) await withDuck(async () => {
    try {
      await duckRun(kase.tables.map((t, k) => loadSql(t, paths[k])).join('\n'));
      duck = await askDuck(kase.sql);
    } catch (e) {
      duckError = e.message.split('\n')[0];
    }
  });
  const duckMs = performance.now() - t0;
  const cylon = await cylonP;
  if (process.env.OPS_DIFF_TIMES) console.error(`time case ${i} ${kase.op} rows ${kase.tables.map((t) => t.n).join('+')} cylon ${cylon.ms.toFixed(0)} duck ${duckMs.toFixed(0)} total ${(performance.now() - t0).toFixed(0)}`);
  const problems = [];
  const shape = (c) => `${kase.tables.map((t) => `${t.n}x${t.cols.length}`).join(' + ')}`;
  if (SANITIZER.test(cylon.stderr)) {
    problems.push(`sanitizer report from ops_dump:\n${cylon.stderr.trim()}`);
  } else if (cylon.status !== 0 && cylon.status !== 1) {
    problems.push(`ops_dump ended with ${cylon.status}:\n${cylon.stderr.trim()}`);
  } else if (kase.error) {
    if (!duckError && kase.sql !== null) problems.push('DuckDB ran a case that must fail');
    if (cylon.status === 0) problems.push('cylon ran a case that must fail');
    else {
      const msg = cylon.stderr.trim();
      for (const needle of kase.error.needles) {
        if (!msg.includes(needle)) problems.push(`cylon's message does not name '${needle}': ${msg}`);
      }
    }
  } else if (cylon.status !== 0 || duckError) {
    if (cylon.status !== 0 && !duckError) problems.push(`cylon failed, DuckDB did not: ${cylon.stderr.trim()}`);
    if (cylon.status === 0 && duckError) problems.push(`DuckDB failed, cylon did not: ${duckError}`);
  } else {
    if (cylon.stderr) problems.push(`ops_dump wrote to stderr: ${cylon.stderr.trim()}`);
    try {
      problems.push(...compare(parseDump(cylon.stdout), duck, kase));
    } catch (e) {
      problems.push(`cannot read ops_dump's output: ${e.message}`);
    }
  }
  const bothFailed = cylon.status === 1 && !!duckError;
  return { kase, problems, dumpArgs, paths, shape: shape(), bothFailed,
    detail: { cylonError: cylon.status === 1 ? cylon.stderr.trim() : null, duckError } };
}

function tableText(t) {
  return `${t.name} (${typeSpec(t)}), ${t.n} rows` + (t.n <= 12 ? `:\n${tableCsv(t).trimEnd()}` : '');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.dump)) throw new Error(`ops_dump not found at ${args.dump}`);
  const dir = mkdtempSync(join(tmpdir(), 'cylon-ops-diff-'));
  const started = Date.now();
  const stats = new Map();
  let failed = 0, passed = 0;
  try {
    await duckRun('SET threads = 1;');
    const list = args.only !== null ? [args.only] : [...Array(args.cases).keys()];
    console.log(`ops_diff: seed ${args.seed}, ${list.length} case(s)`);
    // A few cases in flight: ops_dump processes overlap with each other and with DuckDB.
    const results = new Array(list.length);
    let next = 0;
    const launchers = Array.from({ length: args.jobs }, () => new Launcher());
    const worker = async (launcher) => {
      while (next < list.length) {
        const at = next++, i = list[at];
        try {
          results[at] = await runCase(args, dir, i, launcher);
        } catch (e) {
          results[at] = { kase: { op: 'harness' }, problems: [`harness error: ${e.stack}`] };
        }
        if (!args.keep) for (const p of results[at].paths ?? []) rmSync(p, { force: true });
      }
    };
    await Promise.all(launchers.map(worker));
    for (const l of launchers) l.close();
    for (let at = 0; at < list.length; at++) {
      const res = results[at], i = list[at];
      const op = res.kase.op.startsWith('error:') ? 'error' : res.kase.op;
      const s = stats.get(op) ?? { pass: 0, fail: 0, bothFailed: 0 };
      stats.set(op, s);
      if (res.problems.length === 0) {
        passed++;
        s.pass++;
        if (res.bothFailed && !res.kase.error) s.bothFailed++;
        if (args.verbose) {
          console.log(`ok   case ${i} ${res.kase.op} [${res.shape}]` +
            (res.bothFailed ? ` (failed in both: ${res.detail.cylonError})` : ''));
        }
      } else {
        failed++;
        s.fail++;
        console.log(`FAIL seed ${args.seed} case ${i}: ${res.kase.op}` +
          (res.kase.note ? ` (${res.kase.note})` : '') +
          `  [rerun: node tests/oracle/ops_diff.mjs --dump ${args.dump} --seed ${args.seed} --only ${i} --keep]`);
        for (const p of res.problems) console.log(`     ${p.replaceAll('\n', '\n     ')}`);
        if (res.kase.tables) {
          if (args.keep) console.log(`     files in ${dir}`);
          console.log(`     ops_dump ${(res.dumpArgs ?? []).map((a) => (/^[\w.,:/=+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')}`);
          console.log(`     sql: ${res.kase.sql}`);
          if (res.detail?.cylonError) console.log(`     cylon error: ${res.detail.cylonError}`);
          if (res.detail?.duckError) console.log(`     duckdb error: ${res.detail.duckError}`);
          for (const t of res.kase.tables) console.log(`     ${tableText(t).replaceAll('\n', '\n       ')}`);
        }
      }
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`ops_diff: files kept in ${dir}`);
    close();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const per = [...stats.entries()].sort().map(([op, s]) =>
    `${op} ${s.pass}${s.fail ? `/${s.fail} FAILED` : ''}${s.bothFailed ? ` (${s.bothFailed} failed in both)` : ''}`);
  console.log(`ops_diff: per operation: ${per.join(', ')}`);
  console.log(`ops_diff: seed ${args.seed}: ${passed} passed, ${failed} failed in ${secs} s`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`ops_diff: ${e.stack ?? e.message}`);
  process.exitCode = 1;
}
