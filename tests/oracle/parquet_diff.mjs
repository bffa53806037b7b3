// parquet_diff.mjs - differential test of cylon's Parquet reader against DuckDB's
// read_parquet (and the parquet-testing files' own _expect.csv).
//
//   node tests/oracle/parquet_diff.mjs --dump build/tests/oracle/parquet_dump
//        [--data DIR] [--verbose] [NAME_SUBSTRING...]
//
// Sections (a case's name starts with its section):
//   testing/  every file in parquet-testing/data/: flat files must read equal to DuckDB
//             (and to FILE_expect.csv where there is one); a file with a nested column
//             must be refused with an error naming that column, and its other columns
//             must read equal; files DuckDB cannot read are compared with a file holding
//             the same data; the corrupt-checksum file must fail, and read equal with
//             checksums off.
//   bad/      every file in parquet-testing/bad_data/: a clear error (exit 1, the file
//             named, no sanitizer report), also with the columns cylon can hold projected;
//             ARROW-GH-43605 (0-bit dictionary indices, which are legal) reads equal.
//   written/  a table of every type, nulls everywhere, written by DuckDB with every codec,
//             with format v1 and v2 pages, in small row groups; read equal.
//   select/   projection, row-group selection, batches, and predicates skipping row groups
//             by statistics on a file of 10 row groups of sorted keys: the groups read must
//             contain every group with a matching row (DuckDB says which), exactly those
//             for range predicates on the sorted key, and the bytes read must shrink.
//
// Values are compared in parquet_dump's canonical form (see tests/io/parquet_dump.c):
// floats as the same double (NaN equals NaN), timestamps as nanoseconds whatever the unit,
// decimals as exact text, binary as hex. Exit status 0 when every case passed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { close, queryRaw, run } from './duck.mjs';

const MAX_REPORTS = 8;

function parseArgs(argv) {
  const args = { dump: null, data: null, verbose: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dump') args.dump = argv[++i];
    else if (a === '--data') args.data = argv[++i];
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.filters.push(a);
  }
  if (!args.dump) throw new Error('--dump PATH_TO_parquet_dump is required');
  const src = process.env.CYLON_SOURCE_DIR ?? resolve('.');
  args.data ??= resolve(src, '../shared/data/parquet-testing');
  if (!existsSync(args.data)) args.data = '/work/shared/data/parquet-testing';
  return args;
}

// ---- the two readers ------------------------------------------------------------------

/** Run parquet_dump: {ok, status, stderr, columns, rows, report}. */
function readCylon(dump, path, extra = []) {
  const r = spawnSync(dump, [path, ...extra], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`cannot run ${dump}: ${r.error.message}`);
  const out = { ok: r.status === 0, status: r.status ?? r.signal, stderr: r.stderr };
  if (out.ok) {
    const lines = r.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length && lines.at(-1).startsWith('{"report"')) out.report = JSON.parse(lines.pop()).report;
    if (extra.includes('--info')) {
      out.info = JSON.parse(lines[0]);
    } else {
      out.columns = JSON.parse(lines[0]);
      out.rows = lines.slice(1).map((l) => JSON.parse(l));
    }
  }
  return out;
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function decimalText(v) {
  const neg = v.value < 0n;
  let digits = (neg ? -v.value : v.value).toString();
  if (v.scale > 0) {
    digits = digits.padStart(v.scale + 1, '0');
    digits = `${digits.slice(0, -v.scale)}.${digits.slice(-v.scale)}`;
  }
  return (neg ? '-' : '') + digits;
}

/** A DuckDB value of type t (its name) in parquet_dump's canonical form. */
function canonical(t, v) {
  if (v === null || v === undefined) return null;
  if (t === 'BOOLEAN') return v;
  if (t === 'FLOAT' || t === 'DOUBLE') return v;
  if (t === 'BLOB') return hex(v.bytes);
  if (t === 'DATE') return String(v.days);
  if (t === 'TIMESTAMP_NS') return String(v.nanos);
  if (t === 'TIMESTAMP_MS') return String(v.millis * 1000000n);
  if (t === 'TIMESTAMP_S') return String(v.seconds * 1000000000n);
  if (t.startsWith('TIMESTAMP')) return String(v.micros * 1000n);
  if (t.startsWith('DECIMAL')) return decimalText(v);
  return typeof v === 'string' ? v : String(v);
}

/** DuckDB's answer to a query: {columns: [{name, type}], rows}. */
async function readDuck(sql) {
  const { names, types, rows } = await queryRaw(sql);
  const tn = types.map((t) => t.toString());
  return { columns: names.map((n, c) => ({ name: n, type: tn[c] })),
    rows: rows.map((row) => row.map((v, c) => canonical(tn[c], v))) };
}

// ---- comparison ----------------------------------------------------------------------

const SIMPLE = { BOOLEAN: ['bool'], TINYINT: ['int8'], SMALLINT: ['int16'], INTEGER: ['int32'],
  BIGINT: ['int64'], UTINYINT: ['uint8'], USMALLINT: ['uint16'], UINTEGER: ['uint32'],
  UBIGINT: ['uint64'], FLOAT: ['float32'], DOUBLE: ['float64'], VARCHAR: ['utf8', 'large_utf8'],
  BLOB: ['binary', 'large_binary'], DATE: ['date32'] };

/** Does cylon's type name match DuckDB's? Timestamps may differ in unit (INT96 is read as
 *  nanoseconds by cylon, microseconds by DuckDB; values are compared as nanoseconds). */
function sameType(cy, duck) {
  if (SIMPLE[duck]) return SIMPLE[duck].includes(cy);
  if (duck.startsWith('TIMESTAMP')) return cy.startsWith('timestamp[') && cy.includes('UTC') === duck.includes('TIME ZONE');
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck);
  if (m) return cy === `decimal128(${m[1]}, ${m[2]})`;
  return false;
}

function dumpDouble(s) {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

const show = (v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : JSON.stringify(v));

/** Problems with cylon's table against the expected one (types checked unless told). */
function compare(got, want, { types = true, names = true } = {}) {
  const problems = [];
  const gc = got.columns, wc = want.columns;
  if (gc.length !== wc.length) {
    return [`columns: cylon has ${gc.length} ${JSON.stringify(gc)}, expected ${wc.length} ${JSON.stringify(wc)}`];
  }
  for (let c = 0; c < gc.length; c++) {
    if ((names && gc[c].name !== wc[c].name) || (types && !sameType(gc[c].type, wc[c].type))) {
      problems.push(`column ${c + 1}: cylon ${gc[c].name}: ${gc[c].type}, expected ${wc[c].name}: ${wc[c].type}`);
    }
  }
  if (problems.length) return problems;
  if (got.rows.length !== want.rows.length) problems.push(`rows: cylon read ${got.rows.length}, expected ${want.rows.length}`);
  const n = Math.min(got.rows.length, want.rows.length);
  let count = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < gc.length; c++) {
      const g = got.rows[r][c], w = want.rows[r][c];
      let same;
      if (g === null || w === null) same = g === w;
      else if (gc[c].type.startsWith('float')) same = Object.is(dumpDouble(g), typeof w === 'number' ? w : dumpDouble(w));
      else same = g === w;
      if (!same && count++ < MAX_REPORTS) {
        problems.push(`row ${r + 1}, column ${c + 1} (${gc[c].name}): cylon ${show(g)}, expected ${show(w)}`);
      }
    }
  }
  if (count > MAX_REPORTS) problems.push(`... ${count - MAX_REPORTS} more differing values`);
  return problems;
}

/** Problems when cylon must have failed: exit 1, a message naming the file (and `needle`). */
function expectError(cylon, path, needle) {
  if (cylon.ok) return ['cylon read the file without an error'];
  if (cylon.status !== 1) return [`parquet_dump exited with ${cylon.status} (expected 1):\n${cylon.stderr}`];
  const msg = cylon.stderr.trim();
  const problems = [];
  if (!msg.includes(basename(path))) problems.push(`message does not name the file: ${msg}`);
  if (needle && !msg.includes(needle)) problems.push(`message does not say "${needle}": ${msg}`);
  if (msg.split('\n').length > 1) problems.push(`more than one line of error output: ${msg}`);
  return problems;
}

function sanitizerProblems(cylon) {
  return /Sanitizer|runtime error:|LeakSanitizer/.test(cylon.stderr ?? '')
    ? [`sanitizer report from parquet_dump:\n${cylon.stderr.trim()}`] : [];
}

// ---- section: parquet-testing/data ---------------------------------------------------

// Files DuckDB cannot read, compared with a file holding the same data.
const SAME_DATA = {
  'hadoop_lz4_compressed.parquet': 'lz4_raw_compressed.parquet',
  'non_hadoop_lz4_compressed.parquet': 'lz4_raw_compressed.parquet',
};

/** Names of the columns cylon can read, from parquet_dump --info. */
function readableColumns(dump, path) {
  const r = readCylon(dump, path, ['--info']);
  if (!r.ok) return null;
  return { names: r.info.columns.map((c) => c.name), unreadable: r.info.unreadable };
}

async function testingCases(args) {
  const dir = join(args.data, 'data');
  const cases = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.parquet')).sort()) {
    cases.push({ name: `testing/${f}`, run: () => testingCase(args, dir, f) });
  }
  return cases;
}

async function testingCase(args, dir, f) {
  const path = join(dir, f);
  const problems = [];
  const info = readableColumns(args.dump, path);
  if (!info) return [`cylon cannot read the footer: ${readCylon(args.dump, path, ['--info']).stderr}`];
  const cols = info.names;
  const quoted = cols.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ');
  if (f === 'datapage_v1-corrupt-checksum.parquet') {
    const bad = readCylon(args.dump, path);
    problems.push(...sanitizerProblems(bad), ...expectError(bad, path, 'checksum'));
    const off = readCylon(args.dump, path, ['--no-verify']);
    if (!off.ok) return [...problems, `with --no-verify cylon failed: ${off.stderr}`];
    problems.push(...compare(off, await readDuck(`SELECT * FROM read_parquet(${sqlString(path)})`)));
    return problems;
  }
  if (info.unreadable) { // a whole read must fail naming the first unreadable column
    const first = info.unreadable.split(':')[0];
    const whole = readCylon(args.dump, path);
    problems.push(...sanitizerProblems(whole), ...expectError(whole, path, `column '${first}'`));
    if (cols.length === 0) return problems;
  }
  const cylon = readCylon(args.dump, path, info.unreadable ? ['--columns', cols.join(',')] : []);
  problems.push(...sanitizerProblems(cylon));
  if (!cylon.ok) return [...problems, `cylon failed: ${cylon.stderr.trim()}`];
  const source = SAME_DATA[f] ? join(dir, SAME_DATA[f]) : path;
  const want = await readDuck(`SELECT ${quoted} FROM read_parquet(${sqlString(source)})`);
  problems.push(...compare(cylon, want));
  const expect = join(dir, f.replace(/\.parquet$/, '_expect.csv'));
  if (existsSync(expect)) { // the file's own expected values, as text
    const csv = await readDuck(`SELECT * FROM read_csv(${sqlString(expect)}, header=true, all_varchar=true)`);
    const got = { columns: cylon.columns.map((c) => ({ name: c.name, type: 'VARCHAR' })), rows: cylon.rows };
    problems.push(...compare(got, csv, { types: false, names: false }).map((p) => `_expect.csv: ${p}`));
  }
  // The batch reader must give the same rows.
  const batches = readCylon(args.dump, path, ['--batches', ...(info.unreadable ? ['--columns', cols.join(',')] : [])]);
  if (!batches.ok) problems.push(`--batches failed: ${batches.stderr.trim()}`);
  else problems.push(...compare(batches, want).map((p) => `--batches: ${p}`));
  return problems;
}

// ---- section: parquet-testing/bad_data -----------------------------------------------

async function badCases(args) {
  const dir = join(args.data, 'bad_data');
  return readdirSync(dir).filter((x) => x.endsWith('.parquet')).sort().map((f) => ({
    name: `bad/${f}`,
    run: async () => {
      const path = join(dir, f);
      const problems = [];
      if (f === 'ARROW-GH-43605.parquet') { // bit width 0 indices: legal, and read equal
        const cylon = readCylon(args.dump, path);
        if (!cylon.ok) return [`cylon failed: ${cylon.stderr.trim()}`];
        return compare(cylon, await readDuck(`SELECT * FROM read_parquet(${sqlString(path)})`));
      }
      const whole = readCylon(args.dump, path);
      problems.push(...sanitizerProblems(whole), ...expectError(whole, path));
      const info = readableColumns(args.dump, path);
      if (info && info.names.length && info.unreadable) {
        const some = readCylon(args.dump, path, ['--columns', info.names.join(',')]);
        problems.push(...sanitizerProblems(some), ...expectError(some, path).map((p) => `readable columns: ${p}`));
      }
      const threads = readCylon(args.dump, path, ['--threads', '1', '--batches']);
      problems.push(...sanitizerProblems(threads));
      if (threads.ok && info && !info.unreadable) problems.push('--batches read a bad file without an error');
      return problems;
    },
  }));
}

// ---- section: files DuckDB writes ----------------------------------------------------

// Every type cylon reads, with nulls in every column (and a column of only nulls).
const TYPES_SQL = `
  SELECT
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8,
    CASE WHEN i % 11 = 1 THEN NULL ELSE (i * 37 % 65536 - 32768)::SMALLINT END AS i16,
    CASE WHEN i % 13 = 2 THEN NULL ELSE ((hash(i) % 4294967296)::BIGINT - 2147483648)::INTEGER END AS i32,
    CASE WHEN i % 5 = 3 THEN NULL ELSE ((hash(i * 3) % 9223372036854775807)::BIGINT) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END AS i64,
    CASE WHEN i % 9 = 4 THEN NULL ELSE (i % 256)::UTINYINT END AS u8,
    CASE WHEN i % 8 = 5 THEN NULL ELSE (i * 7 % 65536)::USMALLINT END AS u16,
    CASE WHEN i % 6 = 0 THEN NULL ELSE (hash(i + 1) % 4294967296)::UINTEGER END AS u32,
    CASE WHEN i % 10 = 1 THEN NULL ELSE hash(i + 2) END AS u64,
    CASE WHEN i % 17 = 0 THEN NULL WHEN i % 23 = 0 THEN 'nan'::FLOAT WHEN i % 29 = 0 THEN '-inf'::FLOAT
         ELSE (i * 0.37 - 100)::FLOAT END AS f32,
    CASE WHEN i % 19 = 0 THEN NULL WHEN i % 31 = 0 THEN -0.0::DOUBLE
         ELSE (hash(i) % 1000000)::DOUBLE / 7.0 - 1e5 END AS f64,
    CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
    CASE WHEN i % 12 = 0 THEN NULL WHEN i % 12 = 1 THEN '' ELSE 'cat' || (i % 20) END AS s_dict,
    CASE WHEN i % 14 = 0 THEN NULL ELSE 'ü✓ unique ' || hash(i)::VARCHAR || repeat('x', (i % 40)::INTEGER) END AS s_plain,
    CASE WHEN i % 15 = 0 THEN NULL ELSE ('\\x00\\xFF'::BLOB || (i::VARCHAR)::BLOB) END AS bin,
    CASE WHEN i % 16 = 0 THEN NULL ELSE DATE '1970-01-01' + ((i * 37) % 100000 - 50000)::INTEGER END AS d,
    CASE WHEN i % 18 = 0 THEN NULL ELSE TIMESTAMP '1969-12-31 23:59:59' + to_microseconds((hash(i) % 2000000000000000)::BIGINT - 1000000000000000) END AS ts_us,
    CASE WHEN i % 20 = 0 THEN NULL ELSE (TIMESTAMP '2000-01-01' + to_microseconds((hash(i + 5) % 1000000000000000)::BIGINT))::TIMESTAMP_MS END AS ts_ms,
    CASE WHEN i % 21 = 0 THEN NULL ELSE (TIMESTAMP '2000-01-01' + to_microseconds((hash(i + 6) % 1000000000000000)::BIGINT))::TIMESTAMP_NS + to_microseconds(0) END AS ts_ns,
    CASE WHEN i % 22 = 0 THEN NULL ELSE (TIMESTAMP '1950-06-01' + to_microseconds((hash(i + 7) % 3000000000000000)::BIGINT))::TIMESTAMPTZ END AS ts_tz,
    CASE WHEN i % 24 = 0 THEN NULL ELSE (((i * 7919) % 19999) - 9999)::DECIMAL(18, 0) / 100 END::DECIMAL(4, 2) AS dec4,
    CASE WHEN i % 25 = 0 THEN NULL ELSE ((hash(i) % 1000000000000000000)::DECIMAL(38, 0) / 1000 * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END))::DECIMAL(18, 3) END AS dec18,
    CASE WHEN i % 26 = 0 THEN NULL ELSE ((CASE WHEN i % 3 = 0 THEN '-' ELSE '' END) || (hash(i) % 100000000000000000)::VARCHAR || '.' || lpad(((i * 7919) % 10000000000)::VARCHAR, 10, '0'))::DECIMAL(38, 10) END AS dec38,
    NULL::INTEGER AS all_null,
    i AS id
  FROM range(ROWS) t(i)`;

const CODECS = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli'];

async function writtenCases(args, scratch) {
  const cases = [];
  for (const version of ['V1', 'V2']) {
    for (const codec of CODECS) {
      cases.push({ name: `written/${codec}-${version}`, run: () => writtenCase(args, scratch, codec, version, 5000, 2048) });
    }
  }
  // One larger file with the default row groups: several pages per column chunk. Read
  // once (the small files cover the single-thread and batch readers): each read and
  // comparison of 150,000 rows (a full row group and part of another) takes seconds.
  const once = [[]];
  cases.push({ name: 'written/snappy-V1-large', run: () => writtenCase(args, scratch, 'snappy', 'V1', 150000, 122880, once) });
  cases.push({ name: 'written/zstd-V2-large', run: () => writtenCase(args, scratch, 'zstd', 'V2', 150000, 122880, once) });
  return cases;
}

async function writtenCase(args, scratch, codec, version, rows, groupRows,
                           readers = [[], ['--threads', '1'], ['--batches']]) {
  const path = join(scratch, `types-${codec}-${version}-${rows}.parquet`);
  await run(`COPY (${TYPES_SQL.replace('ROWS', String(rows))}) TO ${sqlString(path)} ` +
    `(FORMAT parquet, COMPRESSION '${codec}', ROW_GROUP_SIZE ${groupRows}, PARQUET_VERSION ${version})`);
  const want = await readDuck(`SELECT * FROM read_parquet(${sqlString(path)})`);
  const problems = [];
  for (const extra of readers) {
    const cylon = readCylon(args.dump, path, extra);
    problems.push(...sanitizerProblems(cylon));
    if (!cylon.ok) return [...problems, `cylon failed (${extra.join(' ')}): ${cylon.stderr.trim()}`];
    problems.push(...compare(cylon, want).map((p) => `${extra.join(' ')} ${p}`.trim()));
  }
  return problems;
}

// ---- section: projection, row groups, predicates -------------------------------------

const GROUP = 2048, GROUPS = 10;

async function selectCases(args, scratch) {
  const path = join(scratch, 'sorted.parquet');
  const setup = async () => {
    if (existsSync(path)) return;
    await run(`COPY (SELECT i AS k, 'v' || lpad(i::VARCHAR, 5, '0') AS s, DATE '2020-01-01' + i::INTEGER AS d,
      (i * 0.5)::DOUBLE AS f, (i * 0.5)::DECIMAL(10, 1) AS dec,
      CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS n FROM range(${GROUP * GROUPS}) t(i))
      TO ${sqlString(path)} (FORMAT parquet, ROW_GROUP_SIZE ${GROUP})`);
  };
  const src = `read_parquet(${sqlString(path)})`;
  const cases = [];
  const add = (name, fn) => cases.push({ name: `select/${name}`, run: async () => { await setup(); return fn(); } });

  add('projection', async () => {
    const cylon = readCylon(args.dump, path, ['--columns', 's,k']);
    if (!cylon.ok) return [`cylon failed: ${cylon.stderr}`];
    return compare(cylon, await readDuck(`SELECT s, k FROM ${src}`));
  });
  add('row-groups', async () => {
    const cylon = readCylon(args.dump, path, ['--row-groups', '3,1', '--report']);
    if (!cylon.ok) return [`cylon failed: ${cylon.stderr}`];
    const want = await readDuck(`SELECT * FROM ${src} WHERE k // ${GROUP} = 3 UNION ALL SELECT * FROM (SELECT * FROM ${src} WHERE k // ${GROUP} = 1 ORDER BY k)`);
    return compare(cylon, want);
  });
  add('batches', async () => {
    const cylon = readCylon(args.dump, path, ['--batches', '--columns', 'k,n']);
    if (!cylon.ok) return [`cylon failed: ${cylon.stderr}`];
    return compare(cylon, await readDuck(`SELECT k, n FROM ${src}`));
  });
  add('errors', async () => [
    ...expectError(readCylon(args.dump, path, ['--columns', 'k,nope']), path, "no column 'nope'"),
    ...expectError(readCylon(args.dump, path, ['--row-groups', '10']), path, 'no row group 10'),
    ...expectError(readCylon(args.dump, path, ['--columns', 'k,k']), path, 'twice'),
  ]);

  // [predicate, exact]: exact when the groups read must be exactly the matching ones; false
  // when nothing can be skipped; 'superset' when only some groups can be (a float's
  // statistics do not exclude NaNs, which compare above everything, unless the writer
  // counted them; AND of two ranges is judged one side at a time).
  const predicates = [
    ['k < 100', true], ['k >= 20000', true], ['k = 5000', true], ['k in (5, 20479)', true],
    ['k < 100 or k > 20400', true], ['not (k < 18432)', true], ['k is null', true],
    ['k is not null and k < 3000', true], ['100 > k', true], ['k < 100.5', true],
    ['d < date \'2020-01-05\'', true], ['d >= \'2020-07-01\'', true], ['f > 9000.25', 'superset'], ['f < 100.25', true], ['dec > 9000.25', true],
    ['dec < 100', true], ['dec = 1024.5', true],
    ['n is null and k < 10', true], ['n > 20470', true], ['k != 5', true],
    ['s = \'v00100\'', true], ['s > \'v20000\'', true],
    ['k + 1 < 100', false], ['k < 100 and k > 200', 'superset'], ['k < null', true],
    ['not (k is not null)', true], ['k not in (1, 2)', true], ['true', true], ['false', true],
  ];
  for (const [pred, exact] of predicates) {
    add(`predicate ${pred}`, async () => {
      const cylon = readCylon(args.dump, path, ['--predicate', pred, '--report']);
      if (!cylon.ok) return [`cylon failed: ${cylon.stderr}`];
      const match = await readDuck(`SELECT DISTINCT k // ${GROUP} AS g FROM ${src} WHERE ${pred} ORDER BY g`);
      const want = match.rows.map((r) => Number(r[0]));
      const gotRows = cylon.rows.map((r) => Number(r[0]));
      const got = [...new Set(gotRows.map((k) => Math.floor(k / GROUP)))];
      const problems = [];
      const missing = want.filter((g) => !got.includes(g));
      if (missing.length) problems.push(`row groups ${missing} hold matching rows but were skipped`);
      if (exact === true && got.length !== want.length) problems.push(`read row groups [${got}], only [${want}] match`);
      if (!exact && got.length !== GROUPS) problems.push(`read row groups [${got}], expected all ${GROUPS}`);
      const rep = cylon.report;
      if (rep.row_groups_read !== got.length || rep.row_groups_skipped !== GROUPS - got.length) {
        problems.push(`report ${JSON.stringify(rep)} does not match the ${got.length} groups read`);
      }
      // The footer comes with the file's last 64 KiB; past that only the groups read.
      const size = statSync(path).size, tail = Math.min(size, 65536);
      if (got.length <= 1 && rep.bytes_read - tail > size / 5) {
        problems.push(`read ${rep.bytes_read} of the file's ${size} bytes for ${got.length} group(s)`);
      }
      const list = got.length ? got.join(', ') : '-1';
      const rows = await readDuck(`SELECT * FROM ${src} WHERE k // ${GROUP} IN (${list}) ORDER BY k`);
      problems.push(...compare(cylon, rows));
      return problems;
    });
  }
  return cases;
}

// ---- main -----------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.dump)) throw new Error(`parquet_dump not found at ${args.dump}`);
  const scratch = mkdtempSync(join(tmpdir(), 'cylon-parquet-diff-'));
  let passed = 0, failed = 0;
  try {
    const cases = [...await testingCases(args), ...await badCases(args),
      ...await writtenCases(args, scratch), ...await selectCases(args, scratch)];
    for (const kase of cases) {
      if (args.filters.length && !args.filters.some((f) => kase.name.includes(f))) continue;
      let problems;
      try {
        problems = await kase.run();
      } catch (e) {
        problems = [`harness error: ${e.stack ?? e.message}`];
      }
      if (problems.length === 0) {
        passed++;
        console.log(`ok   ${kase.name}`);
      } else {
        failed++;
        console.log(`FAIL ${kase.name}`);
        for (const p of problems) console.log(`     ${p.replaceAll('\n', '\n     ')}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    close();
  }
  console.log(`parquet_diff: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`parquet_diff: ${e.message}`);
  process.exitCode = 1;
}
