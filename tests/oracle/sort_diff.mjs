// sort_diff.mjs - differential test of cylon's sort against DuckDB's ORDER BY.
//
//   node tests/oracle/sort_diff.mjs --dump build/tests/oracle/sort_dump
//        [--seed S] [--cases N] [--only I] [--keep] [--verbose]
//
// Seeded random tables (int64, int32, float64, string, date and bool columns; nulls from
// none to all; many duplicates or none; NaN, infinities, -0.0; strings with shared
// prefixes, quotes, commas and non-ASCII letters; from empty to 150,000 rows) are written
// as CSV, then sorted by a random list of keys, each ascending or descending with nulls
// first or last, by cylon (the sort_dump program, tests/compute/sort_dump.c) and by
// DuckDB; one case in three asks for the top k rows instead (cy_table_top_k against
// ORDER BY ... LIMIT k). Every table carries a row number column `rid`, and DuckDB orders by the keys and
// then rid: that is exactly the order a stable sort must give (DuckDB's own sort is not
// stable), so the two results are compared row by row, every column. Floats compare by
// value, NaN equal to NaN and -0.0 equal to 0.0 (both engines sort them as equal).
//
// A mismatch prints the seed and case number with the SQL and the first differing row;
// `--seed S --only I --keep` reruns just that case and keeps its CSV. Exit status 0 when
// every case agreed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, queryRaw } from './duck.mjs';

function parseArgs(argv) {
  const a = { dump: null, seed: 1, cases: 160, only: null, keep: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i];
    if (o === '--dump') a.dump = argv[++i];
    else if (o === '--seed') a.seed = Number(argv[++i]);
    else if (o === '--cases') a.cases = Number(argv[++i]);
    else if (o === '--only') a.only = Number(argv[++i]);
    else if (o === '--keep') a.keep = true;
    else if (o === '--verbose' || o === '-v') a.verbose = true;
    else throw new Error(`unknown option ${o}`);
  }
  if (!a.dump) throw new Error('--dump PATH_TO_sort_dump is required');
  return a;
}

// ---- seeded random values --------------------------------------------------------------

/** mulberry32: a small, fast 32-bit generator; plenty for test data. */
function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[below(xs.length)];
  return { next, below, pick };
}

const TYPES = {
  int64: { duck: 'BIGINT' },
  int32: { duck: 'INTEGER' },
  float64: { duck: 'DOUBLE' },
  utf8: { duck: 'VARCHAR' },
  date32: { duck: 'DATE' },
  bool: { duck: 'BOOLEAN' },
};

const SPECIAL_DOUBLES = ['nan', 'inf', '-inf', '-0.0', '0.0', '1e308', '-1e308', '5e-324'];
const LETTERS = ['a', 'b', 'A', 'Z', ' ', ',', '"', 'é', '日', '0'];

function dateText(days) {
  const d = new Date(days * 86400000);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-` +
    `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** A generator of CSV field texts for one column: its own domain size and nulls. */
function columnGenerator(rng, type) {
  const domain = rng.pick([0, 2, 7, 100, 100000]); // 0: no limit
  const nulls = rng.pick([0, 0, 0.1, 0.5, 1]);
  const small = () => rng.below(domain) - Math.floor(domain / 2);
  const prefix = 'p'.repeat(rng.pick([0, 3, 7, 8, 15]));
  const gen = {
    int64: () => {
      if (domain) return String(small());
      const r = rng.below(20);
      if (r === 0) return '9223372036854775807';
      if (r === 1) return '-9223372036854775808';
      return String(BigInt(rng.below(2 ** 31)) * BigInt(rng.below(2 ** 31)) *
        (rng.below(2) ? 1n : -1n));
    },
    int32: () => String(domain ? small() : rng.below(2 ** 32) - 2 ** 31),
    float64: () => {
      if (rng.below(6) === 0) return rng.pick(SPECIAL_DOUBLES);
      return String(domain ? small() / 4 : (rng.next() - 0.5) * 10 ** rng.below(40));
    },
    utf8: () => {
      const len = domain && domain < 10 ? rng.below(3) : rng.below(12);
      let s = rng.below(4) ? prefix : '';
      for (let i = 0; i < len; i++) s += rng.pick(LETTERS);
      return `"${s.replaceAll('"', '""')}"`;
    },
    date32: () => dateText(domain ? small() + 18000 : rng.below(3000000) - 300000),
    bool: () => (rng.below(2) ? 'true' : 'false'),
  }[type];
  return () => (rng.next() < nulls ? '' : gen());
}

function rowCount(rng, caseNo) {
  if (caseNo % 80 === 79) return 100000 + rng.below(50000); // threaded paths
  return rng.pick([0, 1, 2, rng.below(50), rng.below(500), rng.below(500), rng.below(5000)]);
}

/** One random case: {csv, types: [[name, type]], keys: [{name, desc, nullsFirst}]}. */
function makeCase(seed, caseNo) {
  const rng = makeRng(seed * 7919 + caseNo);
  const ncols = 1 + rng.below(4);
  const types = [];
  for (let c = 0; c < ncols; c++) types.push([`c${c}`, rng.pick(Object.keys(TYPES))]);
  const gens = types.map(([, t]) => columnGenerator(rng, t));
  const n = rowCount(rng, caseNo);
  const lines = [[...types.map(([name]) => name), 'rid'].join(',')];
  for (let r = 0; r < n; r++) lines.push([...gens.map((g) => g()), String(r)].join(','));
  const keys = [];
  for (let k = 1 + rng.below(3); k > 0; k--) {
    keys.push({ name: rng.pick(types)[0], desc: rng.below(2) === 1, nullsFirst: rng.below(2) === 1 });
  }
  types.push(['rid', 'int64']);
  const limit = rng.below(3) === 0 ? rng.pick([0, 1, 3, 10, rng.below(n + 3)]) : null;
  return { csv: lines.join('\n') + '\n', types, keys, rows: n, limit };
}

// ---- the two engines -------------------------------------------------------------------

function specLine(path, c) {
  const types = c.types.map(([n, t]) => `${n}:${t}`).join(',');
  const keys = c.keys.map((k) => `${k.name}:${k.desc ? 'desc' : 'asc'}:${k.nullsFirst ? 'first' : 'last'}`);
  return `${path}\t${types}\t${keys.join(',')}` + (c.limit === null ? '' : `\t${c.limit}`);
}

/** Run sort_dump over every case at once: an array of {rows} or {error} by case. */
function runCylon(dump, specPath) {
  const r = spawnSync(dump, [specPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`cannot run ${dump}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sort_dump exited with ${r.status}: ${r.stderr}`);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('#case ')) out.push({ rows: [] });
    else if (line.startsWith('#error ')) out.at(-1).error = line.slice(7);
    else if (line) out.at(-1).rows.push(JSON.parse(line));
  }
  return out;
}

function duckSql(path, c) {
  const cols = c.types.map(([n, t]) => `'${n}': '${TYPES[t].duck}'`).join(', ');
  const order = c.keys.map((k) =>
    `"${k.name}" ${k.desc ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`);
  return `SELECT * FROM read_csv('${path}', header=true, columns={${cols}}, ` +
    `nullstr='', allow_quoted_nulls=false, quote='"', escape='"') ` +
    `ORDER BY ${[...order, 'rid'].join(', ')}` + (c.limit === null ? '' : ` LIMIT ${c.limit}`);
}

/** DuckDB's value in sort_dump's form. */
function canonical(v, type) {
  if (v === null) return null;
  if (type === 'bool' || type === 'utf8') return v;
  if (type === 'date32') return String(v.days);
  if (type === 'float64') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
  return String(v);
}

function sameValue(mine, theirs, type) {
  if (type !== 'float64' || mine === null || theirs === null) return mine === theirs;
  if (typeof theirs === 'string') return mine === theirs; // nan, inf, -inf
  return Number(mine) === theirs; // by value: -0 == 0
}

/** The first differing row of a case as text, or null when they agree. */
function compare(c, mine, duck) {
  if (mine.error) return `cylon failed: ${mine.error}`;
  if (mine.rows.length !== duck.length) return `${mine.rows.length} rows from cylon, ${duck.length} from DuckDB`;
  for (let r = 0; r < duck.length; r++) {
    const theirs = duck[r].map((v, i) => canonical(v, c.types[i][1]));
    if (!theirs.every((v, i) => sameValue(mine.rows[r][i], v, c.types[i][1]))) {
      return `row ${r}: cylon ${JSON.stringify(mine.rows[r])}, DuckDB ${JSON.stringify(theirs)}`;
    }
  }
  return null;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'sort_diff-'));
  const numbers = args.only !== null ? [args.only] : [...Array(args.cases).keys()];
  const cases = numbers.map((i) => ({ no: i, ...makeCase(args.seed, i) }));
  const spec = cases.map((c) => {
    c.path = join(dir, `case${c.no}.csv`);
    writeFileSync(c.path, c.csv);
    return specLine(c.path, c);
  });
  writeFileSync(join(dir, 'spec.tsv'), spec.join('\n') + '\n');
  let failed = 0;
  try {
    const mine = runCylon(args.dump, join(dir, 'spec.tsv'));
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const sql = duckSql(c.path, c);
      const { rows } = await queryRaw(sql);
      const diff = compare(c, mine[i], rows);
      if (args.verbose) console.log(`case ${c.no}: ${c.rows} rows, limit ${c.limit}: ${diff ?? 'ok'}`);
      if (diff) {
        failed++;
        console.error(`MISMATCH seed ${args.seed} case ${c.no} (${c.rows} rows): ${diff}\n  ${sql}\n` +
          `  rerun: node tests/oracle/sort_diff.mjs --dump ${args.dump} --seed ${args.seed} --only ${c.no} --keep`);
      }
    }
  } finally {
    close();
    if (args.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  console.log(`sort_diff: ${cases.length - failed}/${cases.length} cases agree (seed ${args.seed})`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
