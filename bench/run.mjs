// run.mjs - benchmark cylon against DuckDB on the same data in the same run.
//
//   node bench/run.mjs [--rows N] [--repeat N] [--tasks a,b] [--threads N] [--seed S]
//                      [--build DIR]
//
// Data comes from `cylon gen` and is cached in bench/data/ by name, rows and seed. Each
// task runs --repeat times (default 3) with cylon (build/bench/cylon_bench, a fresh
// process per run) and with DuckDB (a fresh node process per run, so that its peak RSS,
// process.resourceUsage().maxRSS, belongs to that task alone); the medians are printed, one
// line per task, with the ratio cylon / DuckDB (below 1: cylon is faster). DuckDB's memory
// is shown raw and net of an idle node + DuckDB process (the baseline). Everything is also
// written to bench/results/<time>.json. See bench/README.md.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// Each task: what data it needs (columns for `cylon gen`) and how each side runs it.
// A task reads inputs (made by `cylon gen`: columns, unique factor, seed offset, rows as a
// fraction of --rows) and either times reading the first (read-csv) or loads them and times
// one operator (op), which DuckDB runs as `CREATE TABLE t AS <sql>` over tables a and b.
const KV = 'k:int64,v:int64';
const TASKS = {
  'read-csv-int2': { inputs: [{ data: 'int2', columns: KV }], kind: 'read-csv' },
  'read-csv-mixed4': { inputs: [{ data: 'mixed4', columns: 'k:int64,x:float64,s:string,d:date' }],
    kind: 'read-csv' },
  join: { kind: 'op', op: 'join', inputs: [{ data: 'kv', columns: KV, unique: 0.9 },
    { data: 'kv', columns: KV, unique: 0.9, seed: 1 }], sql: 'SELECT * FROM a JOIN b USING (k)' },
  groupby: { kind: 'op', op: 'groupby', inputs: [{ data: 'kv', columns: KV, unique: 0.1 }],
    sql: 'SELECT k, sum(v), avg(v), count(v) FROM a GROUP BY k' },
  sort: { kind: 'op', op: 'sort', inputs: [{ data: 'kv', columns: KV, unique: 0.9 }],
    sql: 'SELECT * FROM a ORDER BY k' },
  unique: { kind: 'op', op: 'unique', inputs: [{ data: 'kv', columns: KV, unique: 0.9 }],
    sql: 'SELECT DISTINCT ON (k) * FROM a' },
  union: { kind: 'op', op: 'union', inputs: [{ data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5 },
    { data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5, seed: 1 }],
    sql: 'SELECT * FROM a UNION SELECT * FROM b' },
  intersect: { kind: 'op', op: 'intersect', inputs: [{ data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5 },
    { data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5, seed: 1 }],
    sql: 'SELECT * FROM a INTERSECT SELECT * FROM b' },
  difference: { kind: 'op', op: 'difference', inputs: [{ data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5 },
    { data: 'k1', columns: 'k:int64', unique: 0.9, part: 0.5, seed: 1 }],
    sql: 'SELECT * FROM a EXCEPT SELECT * FROM b' },
  filter: { kind: 'op', op: 'filter', inputs: [{ data: 'kv', columns: KV, unique: 0.9 }],
    sql: 'SELECT * FROM a WHERE v < 500000000' },
};
// Parquet: write the mixed table (loaded untimed) with each codec, and read a file of it
// (written once by cylon_bench with that codec and cached) into memory.
const MIXED4 = { data: 'mixed4', columns: 'k:int64,x:float64,s:string,d:date' };
// The read-parquet-duckdb-* tasks read a file DuckDB wrote instead (its row groups, its
// encodings).
for (const codec of ['snappy', 'zstd']) {
  TASKS[`write-parquet-${codec}`] = { kind: 'write-parquet', compression: codec, inputs: [MIXED4] };
  TASKS[`read-parquet-${codec}`] = { kind: 'read-parquet', compression: codec, inputs: [MIXED4] };
  TASKS[`read-parquet-duckdb-${codec}`] = { kind: 'read-parquet', compression: codec,
    writer: 'duckdb', inputs: [MIXED4] };
}

// ---- DuckDB side: this same file run as a child process -------------------------------

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

// The SQL DuckDB runs for reading; it must materialise the whole result.
const readSql = (file) => `SELECT * FROM read_csv(${sqlString(file)})`;

async function duckChild(spec) {
  const { run, queryTable, close } = await import('../tests/oracle/duck.mjs');
  if (spec.threads) await run(`SET threads = ${Number(spec.threads)}`);
  let seconds = 0, rows = 0, fileBytes;
  if (spec.kind === 'baseline') {
    await queryTable('SELECT 1');
  } else if (spec.kind === 'read-csv') {
    const t0 = performance.now();
    await run(`CREATE TABLE t AS ${readSql(spec.files[0])}`);
    seconds = (performance.now() - t0) / 1000;
    rows = Number((await queryTable('SELECT count(*) FROM t')).rows[0][0]);
  } else if (spec.kind === 'read-parquet') {
    const t0 = performance.now();
    await run(`CREATE TABLE t AS SELECT * FROM read_parquet(${sqlString(spec.files[0])})`);
    seconds = (performance.now() - t0) / 1000;
    rows = Number((await queryTable('SELECT count(*) FROM t')).rows[0][0]);
  } else if (spec.kind === 'write-parquet' || spec.kind === 'make-parquet') {
    await run(`CREATE TABLE a AS ${readSql(spec.files[0])}`);
    const t0 = performance.now();
    await run(`COPY a TO ${sqlString(spec.out)} (FORMAT parquet, COMPRESSION ${spec.compression})`);
    seconds = (performance.now() - t0) / 1000;
    rows = Number((await queryTable('SELECT count(*) FROM a')).rows[0][0]);
    fileBytes = statSync(spec.out).size;
    if (spec.kind === 'write-parquet') rmSync(spec.out, { force: true });
  } else {
    // Inputs are loaded first, untimed, as cylon_bench does; only the operator is timed.
    for (const [i, f] of spec.files.entries()) await run(`CREATE TABLE ${'ab'[i]} AS ${readSql(f)}`);
    const t0 = performance.now();
    await run(`CREATE TABLE t AS ${spec.sql}`);
    seconds = (performance.now() - t0) / 1000;
    rows = Number((await queryTable('SELECT count(*) FROM t')).rows[0][0]);
  }
  const version = (await queryTable('SELECT version()')).rows[0][0];
  close();
  const maxRss = process.resourceUsage().maxRSS * 1024; // reported in kilobytes
  process.stdout.write(JSON.stringify({ seconds, rows, max_rss_bytes: maxRss, version,
    file_bytes: fileBytes }) + '\n');
}

// ---- the parent -------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { rows: 10_000_000, repeat: 3, tasks: Object.keys(TASKS), threads: 0, seed: 42,
    build: join(root, 'build') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--rows': a.rows = Number(v); i++; break;
      case '--repeat': a.repeat = Number(v); i++; break;
      case '--tasks': a.tasks = v.split(','); i++; break;
      case '--threads': a.threads = Number(v); i++; break;
      case '--seed': a.seed = Number(v); i++; break;
      case '--build': a.build = resolve(v); i++; break;
      case '-h': case '--help':
        console.log('usage: node bench/run.mjs [--rows N] [--repeat N] [--tasks a,b] ' +
          '[--threads N] [--seed S] [--build DIR]\ntasks: ' + Object.keys(TASKS).join(', '));
        process.exit(0);
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  for (const t of a.tasks) if (!TASKS[t]) throw new Error(`unknown task ${t} (have ${Object.keys(TASKS).join(', ')})`);
  if (!(a.rows > 0) || !(a.repeat > 0)) throw new Error('--rows and --repeat must be positive');
  return a;
}

/** Run a program; its stdout's last line is JSON. Throws with its stderr on failure. */
function runJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const mib = (b) => (b / 1048576).toFixed(1);

/** An input's data file, generated by `cylon gen` when not cached. */
function dataFile(input, args, cylon) {
  const dir = join(root, 'bench', 'data');
  mkdirSync(dir, { recursive: true });
  const rows = Math.round(args.rows * (input.part ?? 1));
  const seed = args.seed + (input.seed ?? 0);
  const unique = input.unique ?? 0.9;
  const name = `${input.data}-${rows}-u${unique}-s${seed}`;
  const file = join(dir, `${name}.csv`);
  if (!existsSync(file)) {
    const tmp = join(dir, `.${name}.${process.pid}.csv`);
    process.stderr.write(`generating ${relative(root, file)}\n`);
    const t0 = performance.now();
    const r = spawnSync(cylon, ['gen', '--rows', String(rows), '--seed', String(seed),
      '--unique', String(unique), '--columns', input.columns, '-o', tmp],
    { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`cylon gen failed (${r.status ?? r.error?.message})`);
    renameSync(tmp, file);
    process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return file;
}

/** The Parquet file of a CSV input with codec, written once by cylon_bench (or DuckDB)
 *  and cached. */
function parquetFile(csv, codec, bench, writer) {
  const file = csv.replace(/\.csv$/, `-${writer === 'duckdb' ? 'duckdb-' : ''}${codec}.parquet`);
  if (!existsSync(file)) {
    const tmp = join(dirname(file), `.${process.pid}-${codec}.parquet`);
    process.stderr.write(`writing ${relative(root, file)}\n`);
    if (writer === 'duckdb') {
      // make-parquet writes as write-parquet does, but keeps the file.
      runJson(process.execPath, [fileURLToPath(import.meta.url), '--duck-child',
        JSON.stringify({ kind: 'make-parquet', files: [csv], out: tmp, compression: codec })]);
    } else {
      runJson(bench, ['write-parquet', csv, tmp, '--compression', codec]);
    }
    renameSync(tmp, file);
  }
  return file;
}

/** A task's cylon_bench arguments (out: where a write task writes). */
function benchArgs(task, files, out, threads) {
  switch (task.kind) {
    case 'op': return ['op', task.op, ...files, ...threads];
    case 'write-parquet': return ['write-parquet', files[0], out, '--compression',
      task.compression, ...threads];
    default: return [task.kind, files[0], ...threads];
  }
}

function duckRun(spec) {
  return runJson(process.execPath, [fileURLToPath(import.meta.url), '--duck-child',
    JSON.stringify(spec)]);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cylon = join(args.build, 'cylon');
  const bench = join(args.build, 'bench', 'cylon_bench');
  for (const p of [cylon, bench]) {
    if (!existsSync(p)) throw new Error(`${p} not found: build first (scripts/build)`);
  }
  const baselines = Array.from({ length: args.repeat }, () =>
    duckRun({ kind: 'baseline', threads: args.threads }));
  const baseline = median(baselines.map((b) => b.max_rss_bytes));
  const results = [];
  const header = ['task', 'rows', 'cylon s', 'duckdb s', 'ratio', 'cylon peak MiB',
    'cylon rss MiB', 'duckdb rss MiB (net)', 'file MiB (cylon / duckdb)'];
  console.log(header.join('\t'));
  for (const name of args.tasks) {
    const task = TASKS[name];
    let files = task.inputs.map((input) => dataFile(input, args, cylon));
    if (task.kind === 'read-parquet') {
      files = [parquetFile(files[0], task.compression, bench, task.writer)];
    }
    const file = files[0];
    const threads = args.threads ? ['--threads', String(args.threads)] : [];
    const out = join(root, 'bench', 'data', `.out-${process.pid}.parquet`);
    const ours = [], theirs = [];
    for (let i = 0; i < args.repeat; i++) {
      ours.push(runJson(bench, benchArgs(task, files, out, threads)));
      rmSync(out, { force: true });
      theirs.push(duckRun({ kind: task.kind, files, sql: task.sql, threads: args.threads,
        compression: task.compression, out }));
    }
    const r = {
      task: name, rows: ours[0].rows, file: relative(root, file),
      cylon: { seconds: median(ours.map((x) => x.seconds)),
        peak_bytes: median(ours.map((x) => x.peak_bytes)),
        max_rss_bytes: median(ours.map((x) => x.max_rss_bytes)), runs: ours },
      duckdb: { seconds: median(theirs.map((x) => x.seconds)),
        max_rss_bytes: median(theirs.map((x) => x.max_rss_bytes)),
        baseline_rss_bytes: baseline, runs: theirs },
    };
    r.duckdb.net_rss_bytes = r.duckdb.max_rss_bytes - baseline;
    if (task.kind === 'write-parquet') {
      r.cylon.file_bytes = ours[0].file_bytes;
      r.duckdb.file_bytes = theirs[0].file_bytes;
    } else if (task.kind === 'read-parquet') {
      r.cylon.file_bytes = r.duckdb.file_bytes = ours[0].file_bytes;
    }
    r.ratio = r.cylon.seconds / r.duckdb.seconds;
    if (theirs[0].rows !== r.rows) {
      console.error(`warning: ${name}: cylon made ${r.rows} rows, DuckDB ${theirs[0].rows}`);
    }
    results.push(r);
    console.log([name, r.rows, r.cylon.seconds.toFixed(3), r.duckdb.seconds.toFixed(3),
      r.ratio.toFixed(2), mib(r.cylon.peak_bytes), mib(r.cylon.max_rss_bytes),
      `${mib(r.duckdb.max_rss_bytes)} (${mib(r.duckdb.net_rss_bytes)})`,
      r.cylon.file_bytes === undefined ? '' : task.kind === 'read-parquet'
        ? `${mib(r.cylon.file_bytes)}` : `${mib(r.cylon.file_bytes)} / ${mib(r.duckdb.file_bytes)}` +
          ` (${(r.cylon.file_bytes / r.duckdb.file_bytes).toFixed(2)})`].join('\t'));
  }
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const out = {
    date: new Date().toISOString(), commit: git.status === 0 ? git.stdout.trim() : null,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    duckdb_version: baselines[0].version, options: { rows: args.rows, repeat: args.repeat,
      threads: args.threads || 'default', seed: args.seed }, results,
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`results: ${relative(root, path)}`);
}

try {
  if (process.argv[2] === '--duck-child') await duckChild(JSON.parse(process.argv[3]));
  else await main();
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
}
