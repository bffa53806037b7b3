// scaling.mjs - the scaling study (issue 8, docs/experiments.md) as one command:
//
//   bench/scaling [--quick | --smoke] [--repeat N] [--out DIR] [--platforms tcp,mpi,lambda]
//                 [--ops join,sort,groupby] [--modes weak,strong] [--ranks 1,2,4,8]
//                 [--weak-rows N] [--strong-rows N] [--unique F] [--threads T] [--build DIR]
//                 [--data DIR] [--no-plots]
//
// For each operator (the join of two int64 k, v tables with a unique factor, the seed's
// experiment; a sort; a group-by), each scaling mode (weak: --weak-rows per rank per table;
// strong: --strong-rows per table in all), each world size and each platform:
//   tcp    cylon run PLAN --workers P (the embedded bootstrap, tcp over loopback)
//   mpi    mpirun -np P cylon run PLAN --platform mpi
//   lambda cylon submit PLAN --platform lambda --workers P against cylon lambda-local, with
//          redis-server and s3rver started here (the serverless path of tests/serverless)
// it runs the plan once, the operator --repeat times in it (each repetition its own step,
// on the tables read once), and keeps every repetition. World sizes above this machine's
// cores are oversubscribed and marked so everywhere. DuckDB runs the same operator on the
// same total data in one process, as the single-node reference, and its row counts check
// cylon's.
//
// The data: per table N rows, row i (i in [0, N)) being
//   a: k = (i * 2654435761 + 1) mod M, v = i      b: k = (i * 2246822519 + 7) mod M, v = i
// with M = max(1, floor(F x N)) (as bench/dist_bench.c), written by DuckDB as P Parquet
// part files (one per rank: a directory read deals parts out by file), on disk for tcp and
// mpi (cached in --data DIR, default bench/data/scaling) and in s3rver for lambda.
//
// Times: each plan is read (untimed by the figures below, kept as read_s), the operator
// (op_s: the slowest rank's time of the operator's step, from `cylon run --metrics` or the
// workers' metrics through `cylon submit`), and a count of the result (aggregate
// count_all, so nothing big is gathered). wall_s is the whole command, start-up included.
//
// Output in --out DIR (default bench/results/scaling-TIME): runs.csv (every run),
// summary.csv and summary.md (median, min, max per configuration, efficiencies, DuckDB),
// scaling-OP.png (gnuplot: time and efficiency against world size, a line per platform),
// and meta.json (the machine, the load, the options). bench/scaling_model.py predicts
// larger runs from runs.csv.
import '../tests/oracle/openssl_legacy.mjs'; // first: may re-run this script with OpenSSL's legacy provider
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';


const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const CORES = cpus().length;
const OPS = ['join', 'sort', 'groupby'];
const PLATFORMS = ['tcp', 'mpi', 'lambda'];

const PRESETS = {
  // about 12 minutes on a 2-core machine shared with other builds (docs/experiments.md)
  default: { weakRows: 200_000, strongRows: 800_000, repeat: 3, ranks: [1, 2, 4, 8] },
  quick: { weakRows: 50_000, strongRows: 200_000, repeat: 2, ranks: [1, 2, 4, 8] },
  smoke: { weakRows: 5_000, strongRows: 10_000, repeat: 1, ranks: [1, 2], platforms: ['tcp'] },
};

function usage() {
  return 'usage: bench/scaling [--quick | --smoke] [--repeat N] [--out DIR] ' +
    '[--platforms tcp,mpi,lambda] [--ops join,sort,groupby] [--modes weak,strong] ' +
    '[--ranks 1,2,4,8] [--weak-rows N] [--strong-rows N] [--unique F] [--threads T] ' +
    '[--build DIR] [--data DIR] [--no-plots]';
}

function parseArgs(argv) {
  let preset = 'default';
  const o = {};
  const list = (v) => v.split(',').filter(Boolean);
  const count = (name, v) => {
    const n = Number(String(v).replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const need = () => {
      if (v === undefined) throw new Error(`${a} needs a value (${usage()})`);
      i++;
      return v;
    };
    switch (a) {
      case '--quick': preset = 'quick'; break;
      case '--smoke': preset = 'smoke'; break;
      case '--repeat': o.repeat = count(a, need()); break;
      case '--out': o.out = resolve(need()); break;
      case '--platforms': o.platforms = list(need()); break;
      case '--ops': o.ops = list(need()); break;
      case '--modes': o.modes = list(need()); break;
      case '--ranks': o.ranks = list(need()).map((x) => count(a, x)); break;
      case '--weak-rows': o.weakRows = count(a, need()); break;
      case '--strong-rows': o.strongRows = count(a, need()); break;
      case '--unique': o.unique = Number(need()); break;
      case '--threads': o.threads = count(a, need()); break;
      case '--build': o.build = resolve(need()); break;
      case '--data': o.data = resolve(need()); break;
      case '--no-plots': o.plots = false; break;
      case '-h': case '--help': console.log(usage()); process.exit(0); break;
      default: throw new Error(`unknown option '${a}' (${usage()})`);
    }
  }
  const p = PRESETS[preset];
  const args = { preset, platforms: PLATFORMS, ops: OPS, modes: ['weak', 'strong'], unique: 0.9,
    threads: 1, build: join(root, 'build'), data: join(root, 'bench', 'data', 'scaling'), plots: preset !== 'smoke', ...p, ...o };
  for (const x of args.platforms) if (!PLATFORMS.includes(x)) throw new Error(`unknown platform '${x}' (tcp, mpi, lambda)`);
  for (const x of args.ops) if (!OPS.includes(x)) throw new Error(`unknown operator '${x}' (join, sort, groupby)`);
  for (const x of args.modes) if (!['weak', 'strong'].includes(x)) throw new Error(`unknown mode '${x}' (weak, strong)`);
  if (!(args.unique > 0 && args.unique <= 1)) throw new Error(`--unique: expected a fraction in (0, 1], got ${args.unique}`);
  args.ranks = [...new Set(args.ranks)].sort((x, y) => x - y);
  if (!args.out) {
    args.out = join(root, 'bench', 'results', `scaling-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  }
  return args;
}

// ---- small tools ----------------------------------------------------------------------

/** Run a command without blocking the event loop (s3rver serves from this process). */
function runCmd(cmd, argv, opts = {}) {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => { stderr += `${cmd}: ${e.message}`; });
    child.on('close', (status, signal) => resolveRun({ status: status ?? 128, signal, stdout, stderr,
      seconds: (performance.now() - t0) / 1000 }));
  });
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 3) => (x === undefined || x === null || Number.isNaN(x) ? '' : Number(x).toFixed(d));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ---- data -------------------------------------------------------------------------------

const tableSql = (table, lo, hi, n, unique) => {
  const m = Math.max(1, Math.floor(unique * n));
  const [mult, add] = table === 'a' ? [2654435761, 1] : [2246822519, 7];
  return `SELECT ((i * ${mult} + ${add}) % ${m})::BIGINT AS k, i::BIGINT AS v FROM range(${lo}, ${hi}) t(i)`;
};

/** The directory of table TABLE (a or b) with N rows in P parts, made once. */
async function dataset(duck, dataDir, table, n, parts, unique) {
  const dir = join(dataDir, `${table}-n${n}-p${parts}-u${unique}`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let r = 0; r < parts; r++) {
    const lo = Math.floor((n * r) / parts), hi = Math.floor((n * (r + 1)) / parts);
    const file = join(dir, `part-${String(r).padStart(5, '0')}.parquet`);
    await duck.run(`COPY (${tableSql(table, lo, hi, n, unique)}) TO '${file}' (FORMAT parquet)`);
  }
  writeFileSync(done, '');
  return dir;
}

// ---- plans ------------------------------------------------------------------------------

/** The plan of OP over the table directories (paths or s3:// prefixes ending in '/'): read
 *  the tables once, then REPEAT times the operator (step opI) and a count of its result
 *  (countI: aggregate count_all, so nothing big is gathered). */
function plan(op, a, b, repeat) {
  const steps = [{ id: 'a', op: 'read', path: a, format: 'parquet' }];
  if (op === 'join') steps.push({ id: 'b', op: 'read', path: b, format: 'parquet' });
  for (let i = 1; i <= repeat; i++) {
    if (op === 'join') {
      // the seed's experiment is the shuffle join (auto would broadcast a side under 8 MiB)
      steps.push({ id: `op${i}`, op: 'join', left: 'a', right: 'b', on: ['k'], how: 'inner', strategy: 'shuffle' });
    } else if (op === 'sort') {
      steps.push({ id: `op${i}`, op: 'sort', input: 'a', by: ['k'] });
    } else {
      steps.push({ id: `op${i}`, op: 'groupby', input: 'a', by: ['k'], aggs: { v: ['sum', 'count'] } });
    }
    steps.push({ id: `count${i}`, op: 'aggregate', input: `op${i}`, aggs: [{ op: 'count_all', name: 'rows' }] });
  }
  return { name: `scaling-${op}`, steps };
}

// ---- DuckDB, the single-node reference ---------------------------------------------------

const DUCK_SQL = {
  join: 'CREATE TABLE t AS SELECT * FROM a JOIN b USING (k)',
  sort: 'CREATE TABLE t AS SELECT * FROM a ORDER BY k',
  groupby: 'CREATE TABLE t AS SELECT k, sum(v) AS v_sum, count(v) AS v_count FROM a GROUP BY k',
};

/** Load the tables (untimed), time the operator, count its rows. */
async function duckMeasure(duck, spec) {
  await duck.run('DROP TABLE IF EXISTS a; DROP TABLE IF EXISTS b; DROP TABLE IF EXISTS t');
  await duck.run(`CREATE TABLE a AS SELECT * FROM read_parquet('${spec.a}/*.parquet')`);
  if (spec.b) await duck.run(`CREATE TABLE b AS SELECT * FROM read_parquet('${spec.b}/*.parquet')`);
  const t0 = performance.now();
  await duck.run(DUCK_SQL[spec.op]);
  const seconds = (performance.now() - t0) / 1000;
  const rows = Number((await duck.queryTable('SELECT count(*) FROM t')).rows[0][0]);
  const threads = Number((await duck.queryTable("SELECT current_setting('threads')")).rows[0][0]);
  return { seconds, rows, threads };
}

/** DuckDB's figures for OP on the tables: REPEAT runs, each on a fresh in-memory database
 *  (closed and made again) in this process. */
async function duckReference(duck, op, a, b, repeat) {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    duck.close();
    runs.push(await duckMeasure(duck, { op, a, b }));
  }
  duck.close();
  const secs = runs.map((r) => r.seconds);
  return { seconds: median(secs), min: Math.min(...secs), max: Math.max(...secs), rows: runs[0].rows,
    threads: runs[0].threads, runs: secs };
}

// ---- the serverless stack: redis-server, s3rver, cylon lambda-local ----------------------

async function startServerless(cylon, tmp, threads, maxWorld) {
  const require = createRequire(join(root, 'tests', 'oracle', 'package.json'));
  const S3rver = require('s3rver');
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'),
    configureBuckets: [{ name: 'cylon' }] });
  const s3Port = (await s3.run()).port;
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
  redis.on('error', (e) => console.error(`scaling: redis-server: ${e.message} (scripts/install-deps)`));
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('redis-cli', ['-p', String(redisPort), 'PING'], { encoding: 'utf8' });
    if ((r.stdout ?? '').trim() === 'PONG') break;
    await sleep(50);
  }
  const readyFile = join(tmp, 'lambda-local.port');
  // Workers inherit the host's environment: one compute thread each, as the other platforms.
  const hostEnv = { PATH: process.env.PATH, HOME: tmp, CYLON_NUM_THREADS: String(threads) };
  const host = spawn(cylon, ['lambda-local', '--port', '0', '--ready-file', readyFile,
    '--timeout', '900', '--memory', '0', '--concurrency', String(Math.max(16, maxWorld))],
  { env: hostEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let hostLog = '';
  host.stderr.on('data', (d) => { hostLog = (hostLog + d).slice(-20000); });
  for (let i = 0; i < 200 && !existsSync(readyFile); i++) await sleep(50);
  if (!existsSync(readyFile)) throw new Error(`cylon lambda-local did not start:\n${hostLog}`);
  const llPort = Number(readFileSync(readyFile, 'utf8'));
  const env = { PATH: process.env.PATH, HOME: tmp, AWS_ENDPOINT_URL: `http://127.0.0.1:${s3Port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  const uploaded = new Set();
  return {
    env, redisPort, llPort, hostLog: () => hostLog,
    /** Put a local dataset directory into the bucket; its s3:// prefix. */
    async upload(dir) {
      const name = dir.split('/').at(-1);
      if (!uploaded.has(name)) {
        for (const f of readdirSync(dir).filter((x) => x.endsWith('.parquet')).sort()) {
          const body = readFileSync(join(dir, f));
          await new Promise((res, rej) => {
            const req = http.request({ host: '127.0.0.1', port: s3Port, method: 'PUT',
              path: `/cylon/in/${name}/${f}`, headers: { 'Content-Length': body.length } }, (resp) => {
              resp.resume();
              resp.on('end', () => (resp.statusCode === 200 ? res() : rej(new Error(`s3rver PUT ${f}: ${resp.statusCode}`))));
            });
            req.on('error', rej);
            req.end(body);
          });
        }
        uploaded.add(name);
      }
      return `s3://cylon/in/${name}/`;
    },
    async stop() {
      const exited = new Promise((r) => host.on('close', r));
      host.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      redis.kill('SIGTERM');
      await s3.close();
    },
  };
}

// ---- one run ------------------------------------------------------------------------------

/** Run PLAN on PLATFORM with P ranks; the launch's figures and each repetition's (the
 *  operator step's time and traffic, its result's rows), or throw naming the cause. */
async function runOnce(ctx, platform, planPath, p, repeat) {
  const ids = Array.from({ length: repeat }, (_, i) => i + 1);
  const { cylon, threads } = ctx;
  const env = { ...process.env, CYLON_NUM_THREADS: String(threads) };
  if (platform === 'tcp' || platform === 'mpi') {
    const metrics = join(ctx.tmp, 'metrics.json');
    rmSync(metrics, { force: true });
    const runArgs = ['run', planPath, '--quiet', '--metrics', metrics, '--timeout', '900'];
    const r = platform === 'tcp'
      ? await runCmd(cylon, [...runArgs, '--workers', String(p)], { env })
      : await runCmd('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', String(p),
        '--mca', 'btl', 'self,vader,tcp', '--mca', 'btl_vader_single_copy_mechanism', 'none',
        '-x', `CYLON_NUM_THREADS=${threads}`, cylon, ...runArgs, '--platform', 'mpi'], { env });
    if (r.status !== 0 || !existsSync(metrics)) {
      throw new Error(`${platform} ${p} ranks failed (status ${r.status}):\n${r.stderr.slice(-3000)}`);
    }
    const m = JSON.parse(readFileSync(metrics, 'utf8'));
    const step = (id) => m.steps.find((s) => s.id === id) ?? {};
    const reads = m.steps.filter((s) => s.op === 'read');
    return { wall_s: r.seconds, total_s: m.seconds, read_s: reads.reduce((t, s) => t + s.seconds, 0),
      bootstrap_s: null, world: m.world, backend: m.backend,
      reps: ids.map((i) => ({ op_s: step(`op${i}`).seconds, count_s: step(`count${i}`).seconds,
        bytes_moved: step(`op${i}`).bytes_moved, out_rows: step(`op${i}`).rows })) };
  }
  // lambda: cylon submit against lambda-local; without --output it prints each rank's
  // metrics (a JSON line per rank) on standard output.
  const sls = ctx.serverless;
  const r = await runCmd(cylon, ['submit', planPath, '--platform', 'lambda', '--workers', String(p),
    '--function', 'cylon', '--endpoint', `http://127.0.0.1:${sls.llPort}`,
    '--bootstrap', `redis://127.0.0.1:${sls.redisPort}`, '--timeout', '900', '--memory', '2048'],
  { env: sls.env });
  if (r.status !== 0) throw new Error(`lambda ${p} ranks failed (status ${r.status}):\n${r.stderr.slice(-3000)}`);
  const ranks = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  if (ranks.length !== p) throw new Error(`lambda ${p} ranks: ${ranks.length} metrics lines:\n${r.stdout}`);
  const maxOf = (f) => Math.max(...ranks.map(f));
  const stepOf = (rk, id) => rk.steps.find((s) => s.id === id) ?? { seconds: 0, rows: 0 };
  // The workers report traffic for the whole job only: shared out evenly over the
  // repetitions (the counts' few bytes included).
  const moved = ranks.reduce((t, rk) => t + rk.bytes_sent, 0);
  return { wall_s: r.seconds, total_s: maxOf((rk) => rk.seconds.total), read_s: maxOf((rk) => rk.seconds.read),
    bootstrap_s: maxOf((rk) => rk.seconds.bootstrap + rk.seconds.connect), world: ranks[0].world, backend: 'tcp',
    reps: ids.map((i) => ({ op_s: maxOf((rk) => stepOf(rk, `op${i}`).seconds),
      count_s: maxOf((rk) => stepOf(rk, `count${i}`).seconds), bytes_moved: Math.round(moved / repeat),
      out_rows: ranks.reduce((t, rk) => t + stepOf(rk, `op${i}`).rows, 0) })) };
}

// ---- reports -----------------------------------------------------------------------------

const RUN_COLUMNS = ['platform', 'operator', 'mode', 'world', 'oversubscribed', 'rows_per_table',
  'rows_per_rank', 'threads_per_rank', 'repeat', 'wall_s', 'total_s', 'read_s', 'op_s', 'count_s',
  'bootstrap_s', 'bytes_moved', 'out_rows', 'duckdb_rows', 'rows_match', 'load1'];
const SUMMARY_COLUMNS = ['platform', 'operator', 'mode', 'world', 'oversubscribed', 'rows_per_table',
  'runs', 'op_median_s', 'op_min_s', 'op_max_s', 'total_median_s', 'wall_median_s', 'read_median_s',
  'bootstrap_median_s', 'bytes_moved', 'speedup', 'efficiency', 'duckdb_s', 'duckdb_min_s',
  'duckdb_max_s', 'cylon_over_duckdb'];

const csvLine = (cols, row) => cols.map((c) => {
  const v = row[c];
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(6);
  return String(v);
}).join(',');

function summarise(runs, duck, args) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.platform}|${r.operator}|${r.mode}|${r.world}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const out = [];
  for (const rs of groups.values()) {
    const f = rs[0];
    const ops = rs.map((r) => r.op_s);
    const d = duck.get(`${f.operator}|${f.rows_per_table}`);
    out.push({ platform: f.platform, operator: f.operator, mode: f.mode, world: f.world,
      oversubscribed: f.oversubscribed, rows_per_table: f.rows_per_table, runs: rs.length,
      op_median_s: median(ops), op_min_s: Math.min(...ops), op_max_s: Math.max(...ops),
      total_median_s: median(rs.map((r) => r.total_s)), wall_median_s: median(rs.map((r) => r.wall_s)),
      read_median_s: median(rs.map((r) => r.read_s)),
      bootstrap_median_s: f.bootstrap_s === null ? null : median(rs.map((r) => r.bootstrap_s)),
      bytes_moved: median(rs.map((r) => r.bytes_moved)),
      duckdb_s: d?.seconds, duckdb_min_s: d?.min, duckdb_max_s: d?.max });
  }
  // Efficiencies against the same platform's 1-rank median (weak: T1 / TP; strong:
  // speed-up T1 / TP and efficiency T1 / (P x TP)).
  for (const s of out) {
    const one = out.find((x) => x.platform === s.platform && x.operator === s.operator &&
      x.mode === s.mode && x.world === Math.min(...args.ranks));
    const base = one ? one.op_median_s * one.world : NaN;
    s.speedup = s.mode === 'strong' ? base / s.op_median_s : NaN;
    s.efficiency = s.mode === 'weak' ? one.op_median_s / s.op_median_s : base / (s.world * s.op_median_s);
    s.cylon_over_duckdb = s.duckdb_s ? s.op_median_s / s.duckdb_s : NaN;
  }
  const order = (x) => [OPS.indexOf(x.operator), x.mode === 'weak' ? 0 : 1, PLATFORMS.indexOf(x.platform), x.world];
  out.sort((x, y) => {
    const a = order(x), b = order(y);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  });
  return out;
}

function markdown(summary, meta) {
  const lines = [];
  lines.push(`Machine: ${meta.machine.cores} cores (${meta.machine.cpu}), ` +
    `${(meta.machine.memory_bytes / 2 ** 30).toFixed(1)} GiB; load average ` +
    `${meta.load_start.map((x) => x.toFixed(1)).join(' ')} at the start, ` +
    `${meta.load_end.map((x) => x.toFixed(1)).join(' ')} at the end. ` +
    `${meta.options.threads} compute thread(s) per rank; DuckDB ${meta.duckdb_threads} threads. ` +
    `Times are medians of ${meta.options.repeat} run(s) of the operator's step (the slowest rank), ` +
    'with [min, max]; * marks world sizes above the cores (oversubscribed).', '');
  for (const op of OPS) {
    for (const mode of ['weak', 'strong']) {
      const rows = summary.filter((s) => s.operator === op && s.mode === mode);
      if (rows.length === 0) continue;
      lines.push(`### ${op}, ${mode} scaling (${mode === 'weak' ? `${meta.options.weakRows} rows per rank per table` :
        `${meta.options.strongRows} rows per table in all`})`, '');
      lines.push('| platform | ranks | rows/table | cylon s [min, max] | efficiency | speed-up | read s | total s | wall s | moved MiB | DuckDB s | cylon/DuckDB |');
      lines.push('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const s of rows) {
        lines.push(`| ${s.platform} | ${s.world}${s.oversubscribed ? '*' : ''} | ${s.rows_per_table} | ` +
          `${fmt(s.op_median_s)} [${fmt(s.op_min_s)}, ${fmt(s.op_max_s)}] | ${fmt(s.efficiency, 2)} | ` +
          `${s.mode === 'strong' ? fmt(s.speedup, 2) : ''} | ${fmt(s.read_median_s)} | ${fmt(s.total_median_s)} | ` +
          `${fmt(s.wall_median_s)} | ${fmt(s.bytes_moved / 2 ** 20, 1)} | ${fmt(s.duckdb_s)} | ${fmt(s.cylon_over_duckdb, 2)} |`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** scaling-OP.png: 2 x 2 panels (weak, strong) x (time, efficiency), a line per platform. */
function plots(summary, args, outDir) {
  if (spawnSync('gnuplot', ['--version']).status !== 0) {
    console.error('scaling: gnuplot not found (scripts/install-deps installs gnuplot-nox): no plots');
    return [];
  }
  const made = [];
  const datDir = join(outDir, 'plot-data');
  mkdirSync(datDir, { recursive: true });
  const colours = { tcp: '#1f77b4', mpi: '#2ca02c', lambda: '#d62728', duckdb: '#555555' };
  const xmax = Math.max(...args.ranks) * 1.5;
  for (const op of args.ops) {
    const panels = [];
    for (const mode of args.modes) {
      const timeSeries = [], effSeries = [];
      for (const platform of args.platforms) {
        const rows = summary.filter((s) => s.operator === op && s.mode === mode && s.platform === platform);
        if (rows.length === 0) continue;
        const f = join(datDir, `${op}-${mode}-${platform}.dat`);
        writeFileSync(f, '# world median min max efficiency duckdb\n' + rows.map((s) =>
          `${s.world} ${s.op_median_s} ${s.op_min_s} ${s.op_max_s} ${s.efficiency} ${s.duckdb_s ?? 'NaN'}`).join('\n') + '\n');
        timeSeries.push(`'${f}' using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb '${colours[platform]}' title 'cylon ${platform}'`);
        effSeries.push(`'${f}' using 1:5 with linespoints lw 2 pt 7 lc rgb '${colours[platform]}' title 'cylon ${platform}'`);
        if (platform === args.platforms[0]) {
          timeSeries.push(`'${f}' using 1:6 with linespoints dt 2 lw 2 pt 6 lc rgb '${colours.duckdb}' title 'DuckDB, 1 process, same total rows'`);
        }
      }
      if (timeSeries.length === 0) continue;
      const what = mode === 'weak' ? `${args.weakRows.toLocaleString('en')} rows/rank/table` :
        `${args.strongRows.toLocaleString('en')} rows/table in all`;
      panels.push(`set title '${op}, ${mode} scaling (${what}): time'\nset ylabel 'seconds (median, min-max)'\n` +
        `set yrange [0:*]\nplot ${timeSeries.join(', ')}`);
      panels.push(`set title '${op}, ${mode} scaling: efficiency'\nset ylabel '${mode === 'weak' ? 'T1 / TP' : 'T1 / (P x TP)'}'\n` +
        `set yrange [0:1.3]\nplot ${effSeries.join(', ')}, 1 with lines dt 3 lc rgb '#999999' notitle`);
    }
    if (panels.length === 0) continue;
    const png = join(outDir, `scaling-${op}.png`);
    const rows = panels.length / 2;
    const script = [`set terminal pngcairo size 1200,${430 * rows} font 'sans,10'`, `set output '${png}'`,
      `set multiplot layout ${rows},2`, 'set logscale x 2', `set xrange [0.7:${xmax}]`,
      `set xtics (${args.ranks.map((r) => `"${r}${r > CORES ? '*' : ''}" ${r}`).join(', ')})`,
      `set xlabel 'world size (ranks; * oversubscribed: more than the ${CORES} cores)'`,
      'set key top left font ",9"', 'set grid', ...panels, 'unset multiplot'].join('\n');
    const r = spawnSync('gnuplot', [], { input: script, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gnuplot failed for ${op}:\n${r.stderr}`);
    made.push(png);
  }
  return made;
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cylon = join(args.build, 'cylon');
  if (!existsSync(cylon)) throw new Error(`${cylon} not found: build first (scripts/build)`);
  if (args.platforms.includes('mpi') && spawnSync('mpirun', ['--version']).status !== 0) {
    throw new Error('mpirun not found (scripts/install-deps installs openmpi-bin); or leave out --platforms mpi');
  }
  mkdirSync(args.out, { recursive: true });
  const tmp = join(args.out, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const dataDir = args.data;
  mkdirSync(dataDir, { recursive: true });
  const duck = await import('../tests/oracle/duck.mjs');
  const meta = { date: new Date().toISOString(), options: { ...args, build: relative(root, args.build) },
    machine: { cores: CORES, cpu: cpus()[0]?.model, memory_bytes: totalmem(), free_bytes_at_start: freemem(),
      node: process.version }, load_start: loadavg() };
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  meta.commit = git.status === 0 ? git.stdout.trim() : null;
  console.log(`scaling: ${args.preset} run; ops ${args.ops.join(',')}; modes ${args.modes.join(',')}; ` +
    `platforms ${args.platforms.join(',')}; ranks ${args.ranks.join(',')} (${CORES} cores: ` +
    `${args.ranks.filter((r) => r > CORES).join(',') || 'none'} oversubscribed); weak ${args.weakRows} ` +
    `rows/rank/table, strong ${args.strongRows} rows/table; ${args.repeat} repeat(s); ` +
    `load ${meta.load_start.map((x) => x.toFixed(1)).join(' ')}`);

  // Every configuration, its data made (and uploaded) first.
  const configs = [];
  for (const op of args.ops) {
    for (const mode of args.modes) {
      for (const p of args.ranks) {
        const n = mode === 'weak' ? args.weakRows * p : args.strongRows;
        configs.push({ op, mode, p, n,
          a: await dataset(duck, dataDir, 'a', n, p, args.unique),
          b: op === 'join' ? await dataset(duck, dataDir, 'b', n, p, args.unique) : null });
      }
    }
  }

  // DuckDB on the same total data, once per (operator, rows): the reference and the oracle.
  const duckRef = new Map();
  for (const c of configs) {
    const key = `${c.op}|${c.n}`;
    if (!duckRef.has(key)) duckRef.set(key, await duckReference(duck, c.op, c.a, c.b, args.repeat));
  }
  duck.close();
  meta.duckdb_threads = [...duckRef.values()][0]?.threads;

  const ctx = { cylon, threads: args.threads, tmp, serverless: null };
  if (args.platforms.includes('lambda')) {
    ctx.serverless = await startServerless(cylon, tmp, args.threads, Math.max(...args.ranks));
  }
  const runs = [];
  const csvPath = join(args.out, 'runs.csv');
  writeFileSync(csvPath, RUN_COLUMNS.join(',') + '\n');
  let mismatches = 0;
  try {
    for (const platform of args.platforms) {
      for (const c of configs) {
        const planPath = join(tmp, `${platform}-${c.op}-${c.mode}-${c.p}.json`);
        const paths = platform === 'lambda'
          ? [await ctx.serverless.upload(c.a), c.b ? await ctx.serverless.upload(c.b) : null]
          : [`${c.a}/`, c.b ? `${c.b}/` : null];
        writeFileSync(planPath, JSON.stringify(plan(c.op, ...paths, args.repeat), null, 1));
        const ref = duckRef.get(`${c.op}|${c.n}`);
        const load1 = loadavg()[0];
        const launch = await runOnce(ctx, platform, planPath, c.p, args.repeat);
        for (let rep = 1; rep <= args.repeat; rep++) {
          const m = { ...launch, ...launch.reps[rep - 1] };
          delete m.reps;
          const row = { platform, operator: c.op, mode: c.mode, world: c.p, oversubscribed: c.p > CORES ? 1 : 0,
            rows_per_table: c.n, rows_per_rank: Math.round(c.n / c.p), threads_per_rank: args.threads, repeat: rep,
            ...m, duckdb_rows: ref.rows, rows_match: m.out_rows === ref.rows ? 1 : 0, load1 };
          if (!row.rows_match) {
            mismatches++;
            console.error(`scaling: ${platform} ${c.op} ${c.mode} ${c.p} ranks: cylon made ${m.out_rows} rows, DuckDB ${ref.rows}`);
          }
          runs.push(row);
          writeFileSync(csvPath, csvLine(RUN_COLUMNS, row) + '\n', { flag: 'a' });
          console.log(`${platform.padEnd(6)} ${c.op.padEnd(7)} ${c.mode.padEnd(6)} P=${String(c.p).padEnd(2)}` +
            `${c.p > CORES ? '*' : ' '} rows ${String(c.n).padStart(9)}  run ${rep}: op ${fmt(m.op_s)} s, ` +
            `read ${fmt(m.read_s)} s, wall ${fmt(m.wall_s)} s, moved ${fmt(m.bytes_moved / 2 ** 20, 1)} MiB` +
            `${row.rows_match ? '' : '  ROWS DIFFER FROM DUCKDB'}`);
        }
      }
    }
  } finally {
    if (ctx.serverless) await ctx.serverless.stop();
  }
  meta.load_end = loadavg();
  const summary = summarise(runs, duckRef, args);
  writeFileSync(join(args.out, 'summary.csv'), SUMMARY_COLUMNS.join(',') + '\n' +
    summary.map((s) => csvLine(SUMMARY_COLUMNS, s)).join('\n') + '\n');
  const md = markdown(summary, meta);
  writeFileSync(join(args.out, 'summary.md'), md + '\n');
  meta.duckdb = Object.fromEntries(duckRef);
  meta.pngs = args.plots ? plots(summary, args, args.out).map((p) => relative(args.out, p)) : [];
  writeFileSync(join(args.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  rmSync(tmp, { recursive: true, force: true });
  console.log('\n' + md);
  console.log(`results in ${relative(process.cwd(), args.out) || '.'}: runs.csv, summary.csv, summary.md, ` +
    `meta.json${meta.pngs.length ? ', ' + meta.pngs.join(', ') : ''}`);
  if (mismatches) throw new Error(`${mismatches} run(s) made a different number of rows from DuckDB`);
}

try {
  await main();
} catch (e) {
  console.error(`scaling: ${e.message}`);
  process.exitCode = 1;
}
