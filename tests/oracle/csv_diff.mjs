// csv_diff.mjs - differential test of cylon's CSV reader against DuckDB's read_csv.
//
//   node tests/oracle/csv_diff.mjs --dump build/tests/oracle/csv_dump
//        [--cases tests/data/csv/cases.json] [--verbose] [NAME_SUBSTRING...]
//   node tests/oracle/csv_diff.mjs --duck-only [NAME_SUBSTRING...]   print DuckDB's side
//
// For every case (tests/data/csv/cases.json; its README.md explains the fields) it reads
// the file with cylon, through the csv_dump program (tests/io/csv_dump.c prints types and
// values canonically), and with DuckDB's read_csv given the same dialect, and compares the
// column names, the types (BIGINT = int64, DOUBLE = float64, VARCHAR = utf8, DATE = date32,
// TIMESTAMP = timestamp[us], BOOLEAN = bool) and every value and null. Doubles must be the
// same double (NaN equals NaN; -0 differs from 0). DuckDB always samples the whole file
// (sample_size=-1): the types it finds are those that fit every value, which is what cylon
// must end with whatever its own sample size, since it widens a column instead of failing.
// Cases marked "error" must fail in both, and cylon's message must name the file and line.
// Exit status 0 when every case passed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { close, queryRaw } from './duck.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MAX_REPORTS = 10; // mismatches shown per case

// ---- options -------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { dump: null, cases: join(here, '../data/csv/cases.json'), verbose: false,
    duckOnly: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dump') args.dump = argv[++i];
    else if (a === '--cases') args.cases = argv[++i];
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--duck-only') args.duckOnly = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.filters.push(a);
  }
  if (!args.dump && !args.duckOnly) throw new Error('--dump PATH_TO_csv_dump is required');
  return args;
}

// ---- the two readers ---------------------------------------------------------------

/** csv_dump's arguments for a case's options. */
function dumpArgs(o) {
  const a = [];
  if (o.delimiter !== undefined) a.push('--delimiter', o.delimiter === '\t' ? 'tab' : o.delimiter);
  if (o.header === false) a.push('--no-header');
  for (const n of o.nulls ?? []) a.push('--null', n);
  if (o.quoted_nulls) a.push('--quoted-nulls');
  if (o.types) a.push('--types', Object.entries(o.types).map(([k, t]) => `${k}:${t}`).join(','));
  if (o.sample_rows !== undefined) a.push('--sample-rows', String(o.sample_rows));
  if (o.threads !== undefined) a.push('--threads', String(o.threads));
  if (o.block_bytes !== undefined) a.push('--block-bytes', String(o.block_bytes));
  return a;
}

/** Run csv_dump: {ok, status, stderr, columns, rows}. */
function readCylon(dump, path, options) {
  const r = spawnSync(dump, [path, ...dumpArgs(options)], { encoding: 'utf8',
    maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`cannot run ${dump}: ${r.error.message}`);
  const out = { ok: r.status === 0, status: r.status ?? r.signal, stderr: r.stderr };
  if (out.ok) {
    const lines = r.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    out.columns = JSON.parse(lines[0]);
    out.rows = lines.slice(1).map((l) => JSON.parse(l));
  }
  return out;
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

// cylon type names (as a case's "types" may spell them) -> DuckDB's.
const TO_DUCK = { int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT',
  bigint: 'BIGINT', uint8: 'UTINYINT', uint16: 'USMALLINT', uint32: 'UINTEGER',
  uint64: 'UBIGINT', float32: 'FLOAT', float64: 'DOUBLE', double: 'DOUBLE', utf8: 'VARCHAR',
  string: 'VARCHAR', large_utf8: 'VARCHAR', bool: 'BOOLEAN', boolean: 'BOOLEAN',
  date32: 'DATE', date: 'DATE', timestamp: 'TIMESTAMP', 'timestamp[us]': 'TIMESTAMP' };

// DuckDB types -> the cylon type they must be.
const FROM_DUCK = { TINYINT: 'int8', SMALLINT: 'int16', INTEGER: 'int32', BIGINT: 'int64',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64',
  FLOAT: 'float32', DOUBLE: 'float64', VARCHAR: 'utf8', BOOLEAN: 'bool', DATE: 'date32',
  TIMESTAMP: 'timestamp[us]', 'TIMESTAMP WITH TIME ZONE': 'timestamp[us, UTC]' };

/** The read_csv call equivalent to a case's options. */
function duckSql(path, o) {
  const opts = [
    `delim=${sqlString(o.delimiter ?? ',')}`,
    `header=${o.header === false ? 'false' : 'true'}`,
    `quote='"'`, `escape='"'`,
    `nullstr=[${(o.nulls ?? ['']).map(sqlString).join(', ')}]`,
    `allow_quoted_nulls=${o.quoted_nulls ? 'true' : 'false'}`,
    'sample_size=-1', 'strict_mode=true',
  ];
  if (o.types) {
    const t = Object.entries(o.types).map(([k, v]) => {
      const d = TO_DUCK[v.toLowerCase()];
      if (!d) throw new Error(`no DuckDB type for '${v}'`);
      return `${sqlString(k)}: ${sqlString(d)}`;
    });
    opts.push(`types={${t.join(', ')}}`);
  }
  return `SELECT * FROM read_csv(${sqlString(path)}, ${opts.join(', ')})`;
}

// DuckDB's answers by SQL: cases that differ only in cylon's options share one.
const duckCache = new Map();

/** DuckDB's answer in the canonical form of csv_dump: {columns, rows}. */
async function readDuck(path, options) {
  const sql = duckSql(path, options);
  if (!duckCache.has(sql)) duckCache.set(sql, await readDuckUncached(sql));
  return duckCache.get(sql);
}

async function readDuckUncached(sql) {
  const { names, types, rows } = await queryRaw(sql);
  const tnames = types.map((t) => t.toString());
  const columns = names.map((n, c) => ({ name: n, type: FROM_DUCK[tnames[c]] ?? `duckdb:${tnames[c]}` }));
  const conv = tnames.map((t) => {
    if (t === 'DATE') return (v) => String(v.days);
    if (t.startsWith('TIMESTAMP')) return (v) => String(v.micros);
    if (t === 'BOOLEAN') return (v) => v;
    if (t === 'DOUBLE' || t === 'FLOAT') return (v) => v;
    return (v) => String(v);
  });
  const out = rows.map((row) => row.map((v, c) => (v === null ? null : conv[c](v))));
  return { columns, rows: out };
}

// ---- comparison ----------------------------------------------------------------------

/** A csv_dump float text as a number. */
function dumpDouble(s) {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

const show = (v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : JSON.stringify(v));

/** Compare cylon's result with the expected one; returns a list of problems. */
function compare(got, want) {
  const problems = [];
  const gc = got.columns, wc = want.columns;
  if (gc.length !== wc.length) {
    problems.push(`columns: cylon has ${gc.length} ${JSON.stringify(gc)}, ` +
      `expected ${wc.length} ${JSON.stringify(wc)}`);
    return problems;
  }
  for (let c = 0; c < gc.length; c++) {
    if (gc[c].name !== wc[c].name || gc[c].type !== wc[c].type) {
      problems.push(`column ${c + 1}: cylon ${gc[c].name}: ${gc[c].type}, ` +
        `expected ${wc[c].name}: ${wc[c].type}`);
    }
  }
  if (problems.length) return problems;
  if (got.rows.length !== want.rows.length) {
    problems.push(`rows: cylon read ${got.rows.length}, expected ${want.rows.length}`);
  }
  const n = Math.min(got.rows.length, want.rows.length);
  let count = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < gc.length; c++) {
      const g = got.rows[r][c], w = want.rows[r][c];
      let same;
      if (g === null || w === null) same = g === w;
      else if (gc[c].type === 'float64' || gc[c].type === 'float32') {
        same = Object.is(dumpDouble(g), typeof w === 'number' ? w : dumpDouble(w));
      } else same = g === w;
      if (!same && count++ < MAX_REPORTS) {
        problems.push(`row ${r + 1}, column ${c + 1} (${gc[c].name}): cylon ${show(g)}, ` +
          `expected ${show(w)}`);
      }
    }
  }
  if (count > MAX_REPORTS) problems.push(`... ${count - MAX_REPORTS} more differing values`);
  return problems;
}

/** Problems with an error case: both must fail, cylon naming the file and the line. */
function checkError(kase, path, cylon, duckError) {
  const problems = [];
  if (!duckError) problems.push('DuckDB read the file; a malformed case must fail in both');
  if (cylon.ok) {
    problems.push('cylon read a malformed file without an error');
    return problems;
  }
  if (cylon.status !== 1) {
    problems.push(`csv_dump exited with ${cylon.status} (expected 1):\n${cylon.stderr}`);
    return problems;
  }
  const msg = cylon.stderr.trim();
  if (!msg.includes(basename(path))) problems.push(`message does not name the file: ${msg}`);
  const m = /\bline (\d+)/i.exec(msg);
  if (!m) problems.push(`message does not name a line: ${msg}`);
  else if (kase.error_line !== undefined && Number(m[1]) !== kase.error_line) {
    problems.push(`message names line ${m[1]}, expected line ${kase.error_line}: ${msg}`);
  }
  return problems;
}

// ---- generated cases ------------------------------------------------------------------

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A file large enough to be cut into chunks, with quoted newlines, delimiters and quotes
 *  near every boundary, nulls, and columns that need widening far past any sample. */
function generateBigQuoted(rows) {
  const rand = rng(20240531);
  const strings = ['plain', 'with,comma', 'with "quotes"', 'multi\nline', 'crlf\r\ninside',
    'ünïcödé ✓', '', ' spaced ', '"', ',\n,'];
  const q = (s) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = ['id,x,s,d,flag,late_float,late_string'];
  for (let r = 0; r < rows; r++) {
    const x = rand() < 0.05 ? '' : (rand() < 0.1 ? `${(rand() * 10).toFixed(4)}e${Math.floor(rand() * 40) - 20}`
      : (rand() * 2e6 - 1e6).toFixed(3));
    const s = rand() < 0.05 ? '' : q(strings[Math.floor(rand() * strings.length)]);
    const day = new Date(Date.UTC(2000, 0, 1) + Math.floor(rand() * 10000) * 86400000);
    const d = rand() < 0.02 ? '' : day.toISOString().slice(0, 10);
    const flag = rand() < 0.5 ? 'true' : 'false';
    const lf = r === Math.floor(rows * 0.75) ? '1.5' : String(r % 1000);
    const ls = r === rows - 2 ? 'x' : String(r);
    lines.push(`${r},${x},${s},${d},${flag},${lf},${ls}`);
  }
  return lines.join('\n') + '\n';
}

const GENERATORS = { big_quoted: generateBigQuoted };

// ---- main -----------------------------------------------------------------------------

async function runCase(kase, args, dataDir, scratch) {
  let path;
  if (kase.generate) {
    const gen = GENERATORS[kase.generate];
    if (!gen) throw new Error(`unknown generator ${kase.generate}`);
    path = join(scratch, `${kase.generate}_${kase.rows}.csv`);
    if (!existsSync(path)) writeFileSync(path, gen(kase.rows));
  } else {
    path = resolve(dataDir, kase.file);
  }
  const options = kase.options ?? {};
  if (args.duckOnly) {
    console.log(`---- ${path}\n${duckSql(path, options)}`);
    try {
      const d = await readDuck(path, options);
      console.log(JSON.stringify(d.columns));
      for (const row of d.rows.slice(0, 20)) console.log(JSON.stringify(row.map((v) => (typeof v === 'number' ? show(v) : v))));
    } catch (e) {
      console.log(`error: ${e.message.split('\n')[0]}`);
    }
    return null;
  }
  const cylon = readCylon(args.dump, path, options);
  let duck = null, duckError = null;
  try {
    duck = await readDuck(path, options);
  } catch (e) {
    duckError = e.message.split('\n')[0];
  }
  // A sanitizer's report (a leak on an error path, say) fails the case whatever the exit
  // status: under ASan a leak also exits with 1, like a read error.
  if (/Sanitizer|runtime error:/.test(cylon.stderr)) {
    return { problems: [`sanitizer report from csv_dump:\n${cylon.stderr.trim()}`], cylon };
  }
  if (kase.error) return { problems: checkError(kase, path, cylon, duckError), cylon };
  if (!cylon.ok) {
    return { problems: [`cylon failed (exit ${cylon.status}): ${cylon.stderr.trim()}`], cylon };
  }
  if (cylon.stderr) return { problems: [`csv_dump wrote to stderr:\n${cylon.stderr}`], cylon };
  if (kase.expect) return { problems: compare(cylon, kase.expect), cylon };
  if (duckError) return { problems: [`DuckDB failed: ${duckError}`], cylon };
  return { problems: compare(cylon, duck), cylon, duck };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.duckOnly && !existsSync(args.dump)) throw new Error(`csv_dump not found at ${args.dump}`);
  const spec = JSON.parse(readFileSync(args.cases, 'utf8'));
  const dataDir = dirname(resolve(args.cases));
  const scratch = mkdtempSync(join(tmpdir(), 'cylon-csv-diff-'));
  let passed = 0, failed = 0;
  try {
    for (const kase of spec.cases) {
      const name = kase.name ?? kase.file ?? `${kase.generate}-${kase.rows}`;
      if (args.filters.length && !args.filters.some((f) => name.includes(f))) continue;
      let result;
      try {
        result = await runCase(kase, args, dataDir, scratch);
      } catch (e) {
        result = { problems: [`harness error: ${e.message}`] };
      }
      if (result === null) continue; // --duck-only
      const where = kase.file ? ` (tests/data/csv/${kase.file})` : '';
      if (result.problems.length === 0) {
        passed++;
        const shape = result.cylon?.ok
          ? `${result.cylon.rows.length} rows x ${result.cylon.columns.length} columns`
          : 'failed in both, as it must';
        console.log(`ok   ${name}: ${shape}`);
      } else {
        failed++;
        console.log(`FAIL ${name}${where}`);
        for (const p of result.problems) console.log(`     ${p.replaceAll('\n', '\n     ')}`);
      }
      if (args.verbose && result.cylon?.ok) {
        console.log('     cylon: ' + JSON.stringify(result.cylon.columns));
        if (result.duck) console.log('     duckdb: ' + JSON.stringify(result.duck.columns));
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    close();
  }
  if (args.duckOnly) return 0;
  console.log(`csv_diff: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`csv_diff: ${e.message}`);
  process.exitCode = 1;
}
