// csv_write_diff.mjs - cylon's CSV writer checked by DuckDB's reader.
//
//   node tests/oracle/csv_write_diff.mjs --sample build/tests/oracle/csv_write_sample
//        [--rows N] [--keep DIR] [--verbose]
//
// csv_write_sample (tests/io/csv_write_sample.c) writes a table of known values with
// cy_csv_write and prints those values, computed from its C source values and not through
// cylon's formatting (its header comment gives the forms). DuckDB then reads the file:
//
// 1. with every column's type given (DuckDB's own names: BIGINT, UBIGINT, DOUBLE, FLOAT,
//    VARCHAR, DATE, TIMESTAMP, TIMESTAMP_NS, TIMESTAMPTZ, BOOLEAN, DECIMAL(p, s), BLOB) and
//    the dialect cylon writes (',', '"' doubled inside quotes, an unquoted empty field is
//    null, "" is the empty string); every value and null must equal the expected one:
//    integers and decimals exactly (decimals by their unscaled integer), floats as the
//    same double (NaN equal to NaN, -0 unlike 0), dates by day number, timestamps by
//    their microseconds or nanoseconds, blobs byte for byte;
// 2. with nothing given but the dialect, sniffing types from the whole file: the columns
//    whose type DuckDB can tell from text must come out as BIGINT, DOUBLE, VARCHAR, DATE,
//    TIMESTAMP, TIMESTAMP WITH TIME ZONE and BOOLEAN, with the same values again.
//
// Exit status 0 when both agree everywhere; otherwise the first mismatches are printed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, queryRaw } from './duck.mjs';

const MAX_REPORTS = 20;

function parseArgs(argv) {
  const a = { sample: null, rows: 20000, keep: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sample') a.sample = argv[++i];
    else if (argv[i] === '--rows') a.rows = Number(argv[++i]);
    else if (argv[i] === '--keep') a.keep = argv[++i];
    else if (argv[i] === '--verbose' || argv[i] === '-v') a.verbose = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!a.sample) throw new Error('--sample PATH_TO_csv_write_sample is required');
  return a;
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** The C program's double text as a number. */
function expectedDouble(s) {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** A comparer for a DuckDB type: (DuckDB's JS value, expected value) -> bool. */
function comparer(duckType) {
  const t = duckType.toUpperCase();
  if (t === 'DOUBLE' || t === 'FLOAT') {
    return (v, e) => typeof v === 'number' && Object.is(v, expectedDouble(e));
  }
  if (t === 'DATE') return (v, e) => v.days === e;
  if (t === 'TIMESTAMP_NS') return (v, e) => String(v.nanos) === e;
  if (t.startsWith('TIMESTAMP')) return (v, e) => String(v.micros) === e;
  if (t === 'BOOLEAN') return (v, e) => v === e;
  if (t.startsWith('DECIMAL')) {
    const scale = Number(/,\s*(\d+)\)/.exec(t)[1]);
    return (v, e) => v.scale === scale && String(v.value) === e;
  }
  if (t === 'BLOB') return (v, e) => hex(v.bytes) === e;
  if (t === 'VARCHAR') return (v, e) => v === e;
  return (v, e) => String(v) === e; // integer types
}

function show(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v.bytes) return `blob ${hex(v.bytes)}`;
  if (v.days !== undefined) return `days ${v.days} (${v})`;
  if (v.nanos !== undefined) return `nanos ${v.nanos} (${v})`;
  if (v.micros !== undefined) return `micros ${v.micros} (${v})`;
  if (v.value !== undefined && v.scale !== undefined) return `unscaled ${v.value} scale ${v.scale}`;
  return String(v);
}

/** Compare DuckDB's rows with the expected ones for the given columns; list problems. */
function compareRows(label, got, want, columns, wantIndex) {
  const problems = [];
  if (got.rows.length !== want.length) {
    problems.push(`${label}: DuckDB read ${got.rows.length} rows, ${want.length} were written`);
  }
  const cmp = columns.map((c) => comparer(c.duck));
  const n = Math.min(got.rows.length, want.length);
  let bad = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < columns.length; k++) {
      const g = got.rows[r][k];
      const e = want[r][wantIndex[k]];
      const same = g === null || e === null ? g === e : cmp[k](g, e);
      if (!same && bad++ < MAX_REPORTS) {
        problems.push(`${label}: row ${r + 1}, column ${columns[k].name} (${columns[k].duck}): ` +
          `DuckDB read ${show(g)}, written ${JSON.stringify(e)}`);
      }
    }
  }
  if (bad > MAX_REPORTS) problems.push(`${label}: ... ${bad - MAX_REPORTS} more mismatches`);
  return problems;
}

// The dialect cylon writes, spelt out for DuckDB (no sniffing of it).
const DIALECT = "delim=',', quote='\"', escape='\"', header=true, nullstr='', " +
  'allow_quoted_nulls=false, strict_mode=true';

// Columns DuckDB must infer by itself, and as what.
const INFERRED = { k: 'BIGINT', x: 'DOUBLE', s: 'VARCHAR', d: 'DATE', ts: 'TIMESTAMP',
  tz: 'TIMESTAMP WITH TIME ZONE', b: 'BOOLEAN' };

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'cylon-csv-write-diff-'));
  const path = join(dir, 'sample.csv');
  const problems = [];
  try {
    const r = spawnSync(args.sample, [path, String(args.rows)], { encoding: 'utf8',
      maxBuffer: 1 << 30 });
    if (r.error) throw new Error(`cannot run ${args.sample}: ${r.error.message}`);
    if (r.status !== 0 || r.stderr) {
      throw new Error(`${args.sample} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
    }
    const lines = r.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const columns = JSON.parse(lines[0]);
    const want = lines.slice(1).map((l) => JSON.parse(l));
    if (want.length < 20) throw new Error(`only ${want.length} expected rows`);
    console.log(`wrote ${want.length} rows x ${columns.length} columns ` +
      `(${statSync(path).size} bytes) to ${path}`);

    // 1. Every type given.
    const spec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.duck)}`).join(', ');
    const typed = await queryRaw(
      `SELECT * FROM read_csv(${sqlString(path)}, ${DIALECT}, auto_detect=false, columns={${spec}})`);
    const names = typed.names.join(',');
    if (names !== columns.map((c) => c.name).join(',')) {
      problems.push(`typed read: DuckDB's columns are ${names}`);
    } else {
      problems.push(...compareRows('typed read', typed, want, columns, columns.map((_, i) => i)));
    }
    const typedBad = problems.length;
    console.log(`${typedBad ? 'FAIL' : 'ok  '} typed read: ${typed.rows.length} rows, ` +
      `${columns.map((c) => `${c.name} ${c.duck}`).join(', ')}`);

    // 2. Types sniffed from the whole file.
    const sniffed = await queryRaw(
      `SELECT * FROM read_csv(${sqlString(path)}, ${DIALECT}, sample_size=-1)`);
    const types = sniffed.types.map((t) => t.toString());
    const picked = [];
    for (const [name, type] of Object.entries(INFERRED)) {
      const at = sniffed.names.indexOf(name);
      if (at < 0) {
        problems.push(`sniffed read: no column ${name}`);
      } else if (types[at] !== type) {
        problems.push(`sniffed read: column ${name} is ${types[at]}, expected ${type}`);
      } else {
        picked.push({ at, name, duck: type, want: columns.findIndex((c) => c.name === name) });
      }
    }
    const projected = { rows: sniffed.rows.map((row) => picked.map((p) => row[p.at])) };
    problems.push(...compareRows('sniffed read', projected, want, picked, picked.map((p) => p.want)));
    console.log(`${problems.length > typedBad ? 'FAIL' : 'ok  '} sniffed read: ` +
      `${picked.map((p) => `${p.name} ${p.duck}`).join(', ')}`);
    if (args.verbose) console.log(`DuckDB sniffed: ${sniffed.names.map((n, i) => `${n} ${types[i]}`).join(', ')}`);
  } finally {
    close();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
  for (const p of problems) console.log(`     ${p}`);
  console.log(`csv_write_diff: ${problems.length === 0 ? 'passed' : `${problems.length} problems`}`);
  return problems.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`csv_write_diff: ${e.message}`);
  process.exitCode = 1;
}
