// expr_diff.mjs - differential test of cylon's expression language against DuckDB's WHERE.
//
//   node tests/oracle/expr_diff.mjs --dump build/tests/oracle/expr_dump
//        [--seed S] [--tables N] [--exprs M] [--verbose]
//
// From the seed it makes N random tables (int64, float64, string, date, bool columns with
// nulls; some empty, some of one row), writes each as a CSV, and generates M random filter
// expressions per table from a small grammar (comparisons of arithmetic over columns and
// literals, string, date and timestamp comparisons, and / or / not with and without
// parentheses, is [not] null, [not] in lists with nulls, constant parts). Each expression
// runs through cylon (expr_dump, one process per table) and through DuckDB as
// SELECT * FROM t WHERE EXPR, t being read_csv(FILE, columns = ...) loaded once per
// table, and the results are compared as
// multisets of rows. An expression that fails in one must fail in the other.
//
// What the generator avoids, because cylon differs from DuckDB on purpose there: division
// by something that may be zero (cylon gives null, DuckDB 1.5 gives inf / nan, IEEE style),
// integers near 2^53 compared with doubles (cylon compares exactly, DuckDB as doubles) and
// integer overflow. Float literals carry an exponent ("2.5e0") so DuckDB reads them as
// DOUBLE, not DECIMAL, as cylon does.
//
// Every mismatch prints the seed, the table and the expression; exit status 0 when all
// agree.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, queryRaw, run } from './duck.mjs';

function parseArgs(argv) {
  const args = { dump: null, seed: 20240611, tables: 20, exprs: 30, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dump') args.dump = argv[++i];
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a === '--tables') args.tables = Number(argv[++i]);
    else if (a === '--exprs') args.exprs = Number(argv[++i]);
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.dump) throw new Error('--dump PATH_TO_expr_dump is required');
  return args;
}

// ---- seeded randomness (mulberry32) ----------------------------------------------------

function rng(seed) {
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
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
  return r;
}

// ---- random tables -------------------------------------------------------------------

const COLUMNS = [
  { name: 'i', cylon: 'int64', duck: 'BIGINT' },
  { name: 'j', cylon: 'int64', duck: 'BIGINT' },
  { name: 'f', cylon: 'float64', duck: 'DOUBLE' },
  { name: 's', cylon: 'utf8', duck: 'VARCHAR' },
  { name: 'd', cylon: 'date32', duck: 'DATE' },
  { name: 'b', cylon: 'bool', duck: 'BOOLEAN' },
];
const STRINGS = ['a', 'b', 'B', 'ab', 'abc', 'ba', 'Zed', 'a b', 'x"y', "it's", 'é', 'zz'];
const DAY0 = Date.UTC(2019, 11, 28);

function isoDate(offset) {
  return new Date(DAY0 + offset * 86400000).toISOString().slice(0, 10);
}

function randomValue(r, col) {
  switch (col) {
    case 'i': return String(r.int(-20, 20));
    case 'j': return String(r.int(-1000, 1000));
    case 'f': {
      if (r.chance(0.05)) return r.pick(['nan', 'inf', '-inf', '-0.0']);
      return String(r.int(-40, 40) / 4);
    }
    case 's': return r.pick(STRINGS);
    case 'd': return isoDate(r.int(0, 12));
    default: return r.chance(0.5) ? 'true' : 'false';
  }
}

function csvField(v, col) {
  if (v === null) return '';
  return col === 's' ? `"${v.replaceAll('"', '""')}"` : v;
}

function randomCsv(r) {
  const rows = r.pick([0, 1, 2, 5, 17, 40, 64]);
  const nullRate = r.pick([0, 0.1, 0.3, 1]);
  const lines = [COLUMNS.map((c) => c.name).join(',')];
  for (let k = 0; k < rows; k++) {
    lines.push(COLUMNS.map((c) =>
      csvField(r.chance(nullRate) ? null : randomValue(r, c.name), c.name)).join(','));
  }
  return lines.join('\n') + '\n';
}

// ---- random expressions ----------------------------------------------------------------

const CMP = ['=', '==', '!=', '<>', '<', '<=', '>', '>='];
const DUCK_CMP = { '==': '=', '!=': '<>' };

function intLit(r) { return String(r.int(-30, 30)); }
function floatLit(r) { return `${r.int(-40, 40) / 4}e0`; }
function nonzeroLit(r) {
  const v = r.chance(0.5) ? String(r.pick([1, 2, 3, 4, -1, -3, 7])) : `${r.pick([0.5, 2.5, -4, 0.25])}e0`;
  return v;
}
function maybeParens(r, text) { return r.chance(0.6) ? `(${text})` : text; }

// Numbers: columns, literals and (bounded) arithmetic over them.
function genNum(r, depth) {
  if (depth <= 0 || r.chance(0.45)) {
    return r.pick([() => 'i', () => 'j', () => 'f', () => intLit(r), () => floatLit(r)])();
  }
  switch (r.int(0, 4)) {
    case 0: return `(${genNum(r, depth - 1)} + ${genNum(r, depth - 1)})`;
    case 1: return `(${genNum(r, depth - 1)} - ${genNum(r, depth - 1)})`;
    case 2: return `(${genNum(r, depth - 1)} * ${genNum(r, depth - 1)})`;
    case 3: return `(${genNum(r, depth - 1)} / ${nonzeroLit(r)})`;
    default: return `-(${genNum(r, depth - 1)})`;
  }
}

function genDateSide(r) {
  const day = isoDate(r.int(-1, 13));
  return r.pick([
    () => 'd',
    () => `'${day}'`,
    () => `date '${day}'`,
    () => `timestamp '${day} ${r.pick(['00:00:00', '12:30:00', '23:59:59.5'])}'`,
    () => `(d + ${r.int(-3, 3)})`,
  ])();
}

function genCompare(r, depth) {
  const op = r.pick(CMP);
  switch (r.int(0, 5)) {
    case 0: case 1: return `${genNum(r, depth)} ${op} ${genNum(r, depth)}`;
    case 2: {
      const lit = `'${r.pick(STRINGS).replaceAll("'", "''")}'`;
      return r.chance(0.7) ? `s ${op} ${lit}` : `${lit} ${op} s`;
    }
    case 3: {
      // At least one side a column, so no string literal meets a string literal.
      const other = genDateSide(r);
      return r.chance(0.5) ? `d ${op} ${other}` : `${other} ${op} d`;
    }
    case 4: return `b ${r.pick(['=', '<>'])} ${r.pick(['true', 'false', '(i > 0)'])}`;
    default: return `${r.pick(['i', 'j'])} ${op} ${r.pick(['i', 'j', 'f'])}`;
  }
}

function genInList(r) {
  const col = r.pick(['i', 'f', 's', 'd']);
  const n = r.int(1, 4);
  const items = [];
  for (let k = 0; k < n; k++) {
    if (r.chance(0.15)) items.push('null');
    else if (col === 's') items.push(`'${r.pick(STRINGS).replaceAll("'", "''")}'`);
    else if (col === 'd') items.push(r.chance(0.5) ? `'${isoDate(r.int(0, 12))}'` : `date '${isoDate(r.int(0, 12))}'`);
    else items.push(r.chance(0.6) ? intLit(r) : floatLit(r));
  }
  return `${col} ${r.chance(0.3) ? 'not in' : 'in'} (${items.join(', ')})`;
}

function genPred(r, depth) {
  const k = r.int(0, depth > 0 ? 11 : 6);
  switch (k) {
    case 0: case 1: case 2: return genCompare(r, 2);
    case 3: return `${r.pick(['i', 'j', 'f', 's', 'd', 'b', '(i + j)', '(f * 2)'])} is ${r.chance(0.5) ? 'not ' : ''}null`;
    case 4: return genInList(r);
    case 5: return r.pick(['b', 'true', 'false', 'null', 'not b', '1 = 1', '2 < 1', 'null = 1']);
    case 6: return genCompare(r, 1);
    case 7: case 8: return `${maybeParens(r, genPred(r, depth - 1))} and ${maybeParens(r, genPred(r, depth - 1))}`;
    case 9: case 10: return `${maybeParens(r, genPred(r, depth - 1))} or ${maybeParens(r, genPred(r, depth - 1))}`;
    default: return `not ${maybeParens(r, genPred(r, depth - 1))}`;
  }
}

// A few expressions both engines must reject: a number meets a string, a bad date, an
// unknown column. (DuckDB finds some of these only when it converts a value, so over an
// empty table it may accept them; cylon checks types before it looks at rows.)
const INVALID = new Set(['s < 5', "i = 'x'", "d = 'not a date'", 'nosuch > 1', "s in ('a', 1)",
  'f + s > 1']);
function genInvalid(r) {
  return r.pick(['s < 5', "i = 'x'", "d = 'not a date'", 'nosuch > 1', "s in ('a', 1)", 'f + s > 1']);
}

/** DuckDB's spelling of an expression: == and != are the same operators there, but keep
 *  the text identical except for those two so the test checks cylon's parser. */
function duckText(expr) {
  return expr.replace(/(==|!=)/g, (m) => DUCK_CMP[m]);
}

// ---- running both ------------------------------------------------------------------------

function canonicalNumber(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Object.is(v, -0) ? '-0' : String(v);
}

/** cylon's rows (expr_dump's form) as canonical keys. */
function cylonKeys(rows) {
  return rows.map((row) => JSON.stringify(row.map((v, c) => {
    if (v === null) return null;
    if (COLUMNS[c].name === 'f') return canonicalNumber(v === 'nan' || v === 'inf' || v === '-inf' ? { nan: NaN, inf: Infinity, '-inf': -Infinity }[v] : Number(v));
    return v;
  }))).sort();
}

function duckKeys(rows) {
  return rows.map((row) => JSON.stringify(row.map((v, c) => {
    if (v === null) return null;
    switch (COLUMNS[c].name) {
      case 'f': return canonicalNumber(v);
      case 'd': return String(v.days);
      case 'b': return v;
      default: return String(v);
    }
  }))).sort();
}

function runCylon(dump, path, exprs) {
  const types = COLUMNS.map((c) => `${c.name}:${c.cylon}`).join(',');
  const r = spawnSync(dump, [path, '--types', types, '--stdin'], { input: exprs.join('\n') + '\n',
    encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`cannot run ${dump}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`expr_dump failed (${r.status ?? r.signal}): ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const results = [];
  let at = 0;
  for (let k = 0; k < exprs.length; k++) {
    const head = JSON.parse(lines[at++]);
    if (!head.ok) {
      results.push({ error: head.error });
      continue;
    }
    const rows = lines.slice(at, at + head.rows).map((l) => JSON.parse(l));
    at += head.rows;
    results.push({ rows });
  }
  return results;
}

/** Load a CSV into DuckDB table t, once per table: a read_csv per query would hold a
 *  32 MiB read buffer each until JavaScript's collector frees the results. */
async function loadDuck(path) {
  const cols = COLUMNS.map((c) => `'${c.name}': '${c.duck}'`).join(', ');
  await run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('${path}', header = true, ` +
    `columns = {${cols}}, nullstr = '', quote = '"', escape = '"')`);
}

async function runDuck(expr) {
  const sql = `SELECT * FROM t WHERE ${duckText(expr)}`;
  try {
    return { rows: (await queryRaw(sql)).rows };
  } catch (e) {
    return { error: e.message.split('\n')[0] };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'expr_diff-'));
  let cases = 0, failures = 0, rejected = 0, kept = 0;
  const started = Date.now();
  console.log(`expr_diff: seed ${args.seed}, ${args.tables} tables x ${args.exprs} expressions`);
  try {
    for (let t = 0; t < args.tables; t++) {
      const r = rng(args.seed * 1000003 + t);
      const path = join(dir, `t${t}.csv`);
      const csv = randomCsv(r);
      const empty = csv.indexOf('\n') === csv.length - 1;
      writeFileSync(path, csv);
      const exprs = [];
      for (let k = 0; k < args.exprs; k++) exprs.push(r.chance(0.04) ? genInvalid(r) : genPred(r, 3));
      const mine = runCylon(args.dump, path, exprs);
      await loadDuck(path);
      for (let k = 0; k < exprs.length; k++) {
        cases++;
        const theirs = await runDuck(exprs[k]);
        const where = `seed ${args.seed}, table ${t}, expression ${k}: ${exprs[k]}`;
        let problem = null;
        const lenient = empty && INVALID.has(exprs[k]) && theirs.rows?.length === 0;
        if (mine[k].error || theirs.error) {
          if (!mine[k].error) problem = `DuckDB rejected it (${theirs.error}) but cylon did not`;
          else if (!theirs.error && !lenient) problem = `cylon rejected it (${mine[k].error}) but DuckDB did not`;
          else rejected++;
        } else {
          const a = cylonKeys(mine[k].rows), b = duckKeys(theirs.rows);
          kept += b.length;
          if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
            problem = `cylon kept ${a.length} rows, DuckDB ${b.length}\n` +
              `  cylon:  ${a.slice(0, 6).join(' ')}\n  DuckDB: ${b.slice(0, 6).join(' ')}`;
          }
        }
        if (problem) {
          failures++;
          console.log(`MISMATCH ${where}\n  ${problem}\n  (table: ${path})`);
        } else if (args.verbose) {
          console.log(`ok ${where}`);
        }
      }
    }
  } finally {
    close();
    if (failures === 0) rmSync(dir, { recursive: true, force: true });
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`expr_diff: ${cases - failures}/${cases} expressions agree (${rejected} rejected by ` +
    `both, ${kept} rows kept in all), ${failures} mismatches, ${secs} s`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
