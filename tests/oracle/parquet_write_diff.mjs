// parquet_write_diff.mjs - cylon's Parquet writer checked by DuckDB's Parquet reader.
//
//   node tests/oracle/parquet_write_diff.mjs --sample build/tests/oracle/parquet_write_sample
//        [--rows N] [--keep DIR] [--verbose]
//
// parquet_write_sample (tests/io/parquet_write_sample.c) writes one table of known values
// to several Parquet files (every compression, dictionaries on and off, small row groups
// and pages, statistics off, an empty and a one-row table) and prints the values, computed
// from its C source values and not through cylon (its header comment gives the forms).
// For every file DuckDB must then report:
//
// 1. the column types the sample names (DESCRIBE over read_parquet): BIGINT, TINYINT,
//    UBIGINT, FLOAT, VARCHAR, BLOB, DATE, TIMESTAMP, TIMESTAMP_NS, TIMESTAMP WITH TIME ZONE,
//    BOOLEAN, DECIMAL(p, s) ...;
// 2. every value equal to the written one, in order: integers and decimals exactly
//    (decimals by their unscaled integer), floats as the same double (NaN equal to NaN, -0
//    unlike 0), dates by day number, timestamps by microseconds (nanoseconds), blobs and
//    strings byte for byte, nulls where nulls were written;
// 3. in parquet_metadata(): as many row groups as row_group_rows implies, each with its
//    rows; the compression asked for on every column chunk; dictionary encoding
//    (RLE_DICTIONARY) on the low-cardinality columns when dictionaries are on (and row
//    groups have 1000 rows or more) and on no column when they are off, PLAIN where the
//    dictionary passes its limit; and the statistics: null counts equal to the nulls of each
//    row group, min / max equal to the true min / max of its non-null (non-NaN) values in
//    the column's order (signed, unsigned, UTF-8 bytes, ...), read back through DuckDB's
//    own cast of the statistic to the column type; none at all with statistics off. Byte
//    arrays longer than 1024 bytes have no min / max (cylon leaves them out), and DuckDB
//    shows no float min / max where it is infinite, which is accepted;
// 4. in parquet_file_metadata() and parquet_kv_metadata(): the row count, created_by
//    "cylon-c version ...", and the "cylon:schema" key.
// Finally the file written on one thread must be byte for byte the default file.
//
// Exit status 0 when everything agrees; otherwise the first mismatches are printed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, queryRaw } from './duck.mjs';

const MAX_REPORTS = 20;
const MAX_STAT_BYTES = 1024;

function parseArgs(argv) {
  const a = { sample: null, rows: 20000, keep: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sample') a.sample = argv[++i];
    else if (argv[i] === '--rows') a.rows = Number(argv[++i]);
    else if (argv[i] === '--keep') a.keep = argv[++i];
    else if (argv[i] === '--verbose' || argv[i] === '-v') a.verbose = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!a.sample) throw new Error('--sample PATH_TO_parquet_write_sample is required');
  return a;
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;
const sqlName = (s) => `"${String(s).replaceAll('"', '""')}"`;
const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** The C program's double text as a number. */
function expectedDouble(s) {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

const isFloat = (t) => t === 'DOUBLE' || t === 'FLOAT';

/** (DuckDB's JS value, expected value) -> equal, for a DuckDB type. Floats compare as
 *  the same double (Object.is) for values, numerically (-0 == 0) for statistics. */
function comparer(duckType, forStats = false) {
  const t = duckType.toUpperCase();
  if (isFloat(t)) {
    return forStats ? (v, e) => typeof v === 'number' && v === expectedDouble(e)
      : (v, e) => typeof v === 'number' && Object.is(v, expectedDouble(e));
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

/** An ordering of expected values of a DuckDB type, as Parquet orders them:
 *  (a, b) -> negative, 0, positive. */
function orderOf(duckType) {
  const t = duckType.toUpperCase();
  if (isFloat(t)) return (a, b) => expectedDouble(a) - expectedDouble(b);
  if (t === 'DATE') return (a, b) => a - b;
  if (t === 'BOOLEAN') return (a, b) => Number(a) - Number(b);
  if (t === 'VARCHAR') return (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (t === 'BLOB') return (a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
  return (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
}

/** Bytes a byte-array statistic would take. */
function statBytes(duckType, e) {
  if (duckType === 'VARCHAR') return Buffer.byteLength(e, 'utf8');
  if (duckType === 'BLOB') return e.length / 2;
  return 0;
}

/** Expected {nulls, min, max} of rows [from, to) of column k (min/max null when none). */
function expectedStats(want, k, from, to, duckType) {
  const order = orderOf(duckType);
  let nulls = 0;
  let min = null;
  let max = null;
  for (let r = from; r < to; r++) {
    const e = want[r][k];
    if (e === null) {
      nulls++;
      continue;
    }
    if (isFloat(duckType) && e === 'nan') continue;
    if (min === null || order(e, min) < 0) min = e;
    if (max === null || order(e, max) > 0) max = e;
  }
  if (min !== null && (statBytes(duckType, min) > MAX_STAT_BYTES ||
      statBytes(duckType, max) > MAX_STAT_BYTES)) {
    min = max = null;
  }
  return { nulls, min, max };
}

function show(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (typeof v === 'bigint') return String(v);
  if (v.bytes) return `blob ${hex(v.bytes).slice(0, 80)}`;
  if (v.days !== undefined) return `days ${v.days} (${v})`;
  if (v.nanos !== undefined) return `nanos ${v.nanos} (${v})`;
  if (v.micros !== undefined) return `micros ${v.micros} (${v})`;
  if (v.value !== undefined && v.scale !== undefined) return `unscaled ${v.value} scale ${v.scale}`;
  return String(v);
}

/** A problem list that stops growing after MAX_REPORTS entries per label. */
class Problems {
  constructor() { this.list = []; this.counts = new Map(); }
  add(label, msg) {
    const n = (this.counts.get(label) ?? 0) + 1;
    this.counts.set(label, n);
    if (n <= MAX_REPORTS) this.list.push(`${label}: ${msg}`);
    else if (n === MAX_REPORTS + 1) this.list.push(`${label}: ... (more problems not shown)`);
  }
  get size() { return [...this.counts.values()].reduce((a, b) => a + b, 0); }
}

function checkTypes(label, described, columns, problems) {
  const got = described.rows.map((r) => `${r[0]} ${r[1]}`).join(', ');
  const want = columns.map((c) => `${c.name} ${c.duck}`).join(', ');
  if (got !== want) problems.add(label, `DuckDB's columns are ${got}; expected ${want}`);
}

function checkValues(label, got, want, columns, first, rows, problems) {
  if (got.rows.length !== rows) {
    problems.add(label, `DuckDB read ${got.rows.length} rows, ${rows} were written`);
  }
  const cmp = columns.map((c) => comparer(c.duck));
  for (let r = 0; r < Math.min(rows, got.rows.length); r++) {
    for (let k = 0; k < columns.length; k++) {
      const g = got.rows[r][k];
      const e = want[first + r][k];
      const same = g === null || e === null ? g === e : cmp[k](g, e);
      if (!same) {
        problems.add(label, `row ${r}, column ${columns[k].name} (${columns[k].duck}): ` +
          `DuckDB read ${show(g)}, written ${show(e)}`);
      }
    }
  }
}

const CODEC_NAMES = { none: 'UNCOMPRESSED', snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD',
  lz4_raw: 'LZ4_RAW', brotli: 'BROTLI' };
const DICTIONARY_COLUMNS = ['cat', 'low'];

async function checkLayout(label, path, f, columns, want, problems) {
  const meta = await queryRaw(`SELECT row_group_id, row_group_num_rows, path_in_schema,
      compression, encodings, stats_null_count, stats_min_value, stats_max_value
    FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id, column_id`);
  const groups = Math.ceil(f.rows / f.row_group_rows);
  if (meta.rows.length !== groups * columns.length) {
    problems.add(label, `${meta.rows.length} column chunks, expected ${groups} row groups x ` +
      `${columns.length} columns`);
    return;
  }
  for (const [i, row] of meta.rows.entries()) {
    const [rg, rgRows, name, codec, encodings, nullCount, min, max] = row;
    const g = Math.floor(i / columns.length);
    const k = i % columns.length;
    const from = f.first + g * f.row_group_rows;
    const to = Math.min(f.first + f.rows, from + f.row_group_rows);
    const where = `row group ${rg}, column ${name}`;
    if (Number(rg) !== g || name !== columns[k].name) problems.add(label, `${where}: out of order`);
    if (Number(rgRows) !== to - from) problems.add(label, `${where}: ${rgRows} rows, expected ${to - from}`);
    if (codec !== CODEC_NAMES[f.compression]) problems.add(label, `${where}: compression ${codec}`);
    const dict = encodings.includes('RLE_DICTIONARY');
    if (!f.dictionary && dict) problems.add(label, `${where}: dictionary-encoded (${encodings})`);
    // A dictionary pays on the few-valued columns once a row group has enough rows.
    if (f.dictionary && DICTIONARY_COLUMNS.includes(name) && !f.file.includes('fallback') &&
        to - from >= 1000 && !dict) {
      problems.add(label, `${where}: not dictionary-encoded (${encodings})`);
    }
    // With a 64-byte dictionary limit, "cat" (5 short strings) still fits and "low" (50
    // int32s) falls back to PLAIN.
    if (f.file.includes('fallback') && to - from >= 1000 && (name === 'cat') !== dict &&
        DICTIONARY_COLUMNS.includes(name)) {
      problems.add(label, `${where}: encodings ${encodings} (limit of 64 bytes)`);
    }
    const exp = expectedStats(want, k, from, to, columns[k].duck);
    if (!f.statistics) {
      if (nullCount !== null || min !== null || max !== null) {
        problems.add(label, `${where}: statistics written although turned off`);
      }
    } else if (String(nullCount) !== String(exp.nulls)) {
      problems.add(label, `${where}: null count ${nullCount}, expected ${exp.nulls}`);
    }
  }
}

/** Min / max of every row group of every column, cast back to the column's type. */
async function checkStats(label, path, f, columns, want, problems) {
  if (!f.statistics || f.rows === 0) return;
  for (const [k, c] of columns.entries()) {
    const got = await queryRaw(`SELECT row_group_id,
        TRY_CAST(stats_min_value AS ${c.duck}), TRY_CAST(stats_max_value AS ${c.duck}),
        stats_min_value, stats_max_value
      FROM parquet_metadata(${sqlString(path)}) WHERE path_in_schema = ${sqlString(c.name)}
      ORDER BY row_group_id`);
    const cmp = comparer(c.duck, true);
    for (const [rg, mn, mx, mnText, mxText] of got.rows) {
      const from = f.first + Number(rg) * f.row_group_rows;
      const to = Math.min(f.first + f.rows, from + f.row_group_rows);
      const exp = expectedStats(want, k, from, to, c.duck);
      for (const [what, g, text, e] of [['min', mn, mnText, exp.min], ['max', mx, mxText, exp.max]]) {
        // DuckDB shows no infinite float statistic.
        if (g === null && e !== null && isFloat(c.duck) && Math.abs(expectedDouble(e)) === Infinity) continue;
        const same = g === null || e === null ? g === e && (text === null) === (e === null) : cmp(g, e);
        if (!same) {
          problems.add(label, `row group ${rg}, column ${c.name}: ${what} ${show(g)} ` +
            `(text ${show(text)}), expected ${show(e)}`);
        }
      }
    }
  }
}

async function checkFileMeta(label, path, f, problems) {
  const fm = await queryRaw(`SELECT created_by, num_rows FROM parquet_file_metadata(${sqlString(path)})`);
  const [createdBy, numRows] = fm.rows[0];
  if (!/^cylon-c version \d+\.\d+\.\d+/.test(createdBy ?? '')) {
    problems.add(label, `created_by is ${show(createdBy)}`);
  }
  if (String(numRows) !== String(f.rows)) problems.add(label, `num_rows ${numRows}, expected ${f.rows}`);
  const kv = await queryRaw(`SELECT decode(key) FROM parquet_kv_metadata(${sqlString(path)})`);
  if (!kv.rows.some((r) => r[0] === 'cylon:schema')) problems.add(label, 'no cylon:schema key');
}

async function checkFile(dir, f, columns, want, problems) {
  const path = join(dir, f.file);
  const label = f.file;
  const before = problems.size;
  checkTypes(label, await queryRaw(`SELECT column_name, column_type FROM
    (DESCRIBE SELECT * FROM read_parquet(${sqlString(path)}))`), columns, problems);
  const got = await queryRaw(`SELECT * FROM read_parquet(${sqlString(path)})`);
  checkValues(label, got, want, columns, f.first, f.rows, problems);
  await checkLayout(label, path, f, columns, want, problems);
  await checkStats(label, path, f, columns, want, problems);
  await checkFileMeta(label, path, f, problems);
  console.log(`${problems.size > before ? 'FAIL' : 'ok  '} ${f.file}: ${f.rows} rows, ` +
    `${f.compression}, row groups of ${f.row_group_rows}, dictionary ${f.dictionary ? 'on' : 'off'}, ` +
    `statistics ${f.statistics ? 'on' : 'off'} (${statSync(path).size} bytes)`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'cylon-parquet-write-diff-'));
  const problems = new Problems();
  try {
    const r = spawnSync(args.sample, [dir, String(args.rows)], { encoding: 'utf8',
      maxBuffer: 1 << 30 });
    if (r.error) throw new Error(`cannot run ${args.sample}: ${r.error.message}`);
    if (r.status !== 0 || r.stderr) {
      throw new Error(`${args.sample} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
    }
    const lines = r.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const columns = JSON.parse(lines[0]);
    const files = JSON.parse(lines[1]);
    const want = lines.slice(2).map((l) => JSON.parse(l));
    if (want.length < 20) throw new Error(`only ${want.length} expected rows`);
    console.log(`table of ${want.length} rows x ${columns.length} columns in ${files.length} files`);
    for (const f of files) await checkFile(dir, f, columns, want, problems);
    const a = readFileSync(join(dir, 'default.parquet'));
    const b = readFileSync(join(dir, 'default_t1.parquet'));
    if (!a.equals(b)) problems.add('threads', 'the file written on one thread differs from the default');
    else console.log('ok   default_t1.parquet (one thread) is byte for byte default.parquet');
  } finally {
    close();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
  for (const p of problems.list) console.log(`     ${p}`);
  console.log(`parquet_write_diff: ${problems.size === 0 ? 'passed' : `${problems.size} problems`}`);
  return problems.size === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`parquet_write_diff: ${e.stack ?? e.message}`);
  process.exitCode = 1;
}
