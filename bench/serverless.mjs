// serverless.mjs - benchmark the serverless path on this machine: redis-server, s3rver and
// `cylon lambda-local` started here (free loopback ports, stopped at the end), `cylon submit`
// run against them.
//
//   node bench/serverless.mjs [--repeat N] [--fanout-workers N] [--orders N] [--customers N]
//                             [--skip fanout,join] [--build DIR]
//
// (a) Fan-out: from the start of `cylon submit` to every one of N (default 32) functions
//     running, i.e. each rank has taken its rank and published its first phase in Redis
//     (polled here every 2 ms on a connection of its own). Cold: lambda-local just started,
//     every invocation starts a process; warm: the same N environments are idle and reused.
// (b) Redis bootstrap and full-mesh connect of those N ranks: each worker's
//     `seconds.connect` (docs/serverless.md) from the job's summary, min / median / max
//     across ranks. A rank's connect includes waiting for the last rank to arrive, so the
//     minimum (the last rank to arrive) is the cost of the bootstrap and the mesh itself.
// (c) The same 4-rank join + group-by (examples/join.json's plan) over generated tables
//     (--orders rows, default 2,000,000; --customers keys, default 200,000), each a
//     directory of 4 CSV parts: through the serverless path (S3 in s3rver, Redis,
//     lambda-local, cylon submit --workers 4, Parquet parts and a manifest written to S3)
//     and with `cylon run --workers 4` on local copies of the same files. Wall time of each
//     command, median of --repeat runs (after one untimed warm-up each), and the ratio.
//
// Results also go to bench/results/serverless-<time>.json. Run `uptime` alongside: on a
// shared machine the figures move with the load, which is printed at the start and end.
import '../tests/oracle/openssl_legacy.mjs'; // first: may re-run this script with OpenSSL's legacy provider
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';


const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const require = createRequire(join(root, 'tests/oracle/package.json'));
const S3rver = require('s3rver');

function parseArgs(argv) {
  const a = { repeat: 3, fanoutWorkers: 32, orders: 2_000_000, customers: 200_000, skip: [],
    build: join(root, 'build') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--repeat': a.repeat = Number(v); i++; break;
      case '--fanout-workers': a.fanoutWorkers = Number(v); i++; break;
      case '--orders': a.orders = Number(v); i++; break;
      case '--customers': a.customers = Number(v); i++; break;
      case '--skip': a.skip = v.split(','); i++; break;
      case '--build': a.build = resolve(v); i++; break;
      case '-h': case '--help':
        console.log('usage: node bench/serverless.mjs [--repeat N] [--fanout-workers N] ' +
          '[--orders N] [--customers N] [--skip fanout,join] [--build DIR]');
        process.exit(0);
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 3) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

async function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// A minimal RESP client (one connection, commands answered in order): enough to watch the
// jobs' keys without spawning redis-cli every few milliseconds.
class Redis {
  constructor(port) {
    this.queue = [];
    this.buf = Buffer.alloc(0);
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (let r; this.queue.length && (r = Redis.parse(this.buf, 0));) {
        this.buf = this.buf.subarray(r.end);
        this.queue.shift()(r.value);
      }
    });
    this.sock.on('error', () => {});
  }

  cmd(...args) {
    return new Promise((res) => {
      this.queue.push(res);
      this.sock.write(`*${args.length}\r\n` +
        args.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join(''));
    });
  }

  static parse(b, i) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) return null;
    const type = String.fromCharCode(b[i]);
    const line = b.toString('utf8', i + 1, nl);
    if (type === '+' || type === '-') return { value: line, end: nl + 2 };
    if (type === ':') return { value: Number(line), end: nl + 2 };
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    if (type === '$') {
      if (b.length < nl + 4 + n) return null;
      return { value: b.toString('utf8', nl + 2, nl + 2 + n), end: nl + 4 + n };
    }
    const arr = [];
    let end = nl + 2;
    for (let k = 0; k < n; k++) {
      const r = Redis.parse(b, end);
      if (!r) return null;
      arr.push(r.value);
      end = r.end;
    }
    return { value: arr, end };
  }

  close() { this.sock.destroy(); }
}

// ---- the servers -----------------------------------------------------------------------
const BUCKET = 'cylon';
async function startServers(tmp, cylon) {
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'),
    configureBuckets: [{ name: BUCKET }] });
  const s3Port = (await s3.run()).port;
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
  const client = new Redis(redisPort);
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    const c = new Redis(redisPort);
    const pong = await Promise.race([c.cmd('PING'), sleep(200).then(() => null)]);
    c.close();
    if (pong === 'PONG') break;
  }
  const s = { tmp, cylon, s3, s3Port, redis, redisPort, host: null, llPort: 0 };
  s.redisClient = new Redis(redisPort);
  client.close();
  return s;
}

// lambda-local afresh: every environment starts cold.
async function startHost(s) {
  if (s.host) await stopHost(s);
  const readyFile = join(s.tmp, `ll-${Date.now()}.port`);
  s.host = spawn(s.cylon, ['lambda-local', '--port', '0', '--ready-file', readyFile, '--timeout', '300',
    '--memory', '0', '--concurrency', '64'], { env: { PATH: process.env.PATH, HOME: s.tmp },
    stdio: ['ignore', 'ignore', 'pipe'] });
  s.hostStderr = '';
  s.host.stderr.on('data', (d) => { s.hostStderr += d; });
  for (let i = 0; i < 200 && !existsSync(readyFile); i++) await sleep(50);
  s.llPort = Number(readFileSync(readyFile, 'utf8'));
}

async function stopHost(s) {
  const exit = new Promise((r) => s.host.on('close', r));
  s.host.kill('SIGTERM');
  await exit;
  s.host = null;
}

function s3Put(s, key, body) {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port: s.s3Port, method: 'PUT', path: `/${BUCKET}/${key}`,
      headers: { 'Content-Length': Buffer.byteLength(body) }, agent: false },
      (r) => { r.resume(); r.on('end', () => res(r.statusCode)); });
    req.on('error', (e) => rej(new Error(`PUT ${key} (${Buffer.byteLength(body)} bytes): ${e.message}`)));
    req.end(body);
  });
}

// Run `cylon submit`; with watch, time when each rank first shows a phase in Redis.
async function submit(s, planPath, workers, name, watch = false) {
  const argv = ['submit', planPath, '--platform', 'lambda', '--workers', String(workers),
    '--function', 'cylon', '--endpoint', `http://127.0.0.1:${s.llPort}`,
    '--bootstrap', `redis://127.0.0.1:${s.redisPort}`, '--output', `s3://${BUCKET}/out/${name}`,
    '--timeout', '300'];
  const env = { PATH: process.env.PATH, HOME: s.tmp, AWS_ENDPOINT_URL: `http://127.0.0.1:${s.s3Port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  const t0 = performance.now();
  const child = spawn(s.cylon, argv, { env });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((r) => child.on('close', (status) => r(status)));
  let finished = false;
  done.then(() => { finished = true; });
  let allRunning = NaN;
  const firstSeen = [];
  if (watch) {
    let key = null;
    while (!finished && Number.isNaN(allRunning)) {
      if (!key) {
        const keys = await s.redisClient.cmd('KEYS', 'cylon:job:*:phase');
        if (keys?.length) key = keys[0];
      }
      if (key) {
        const ranks = await s.redisClient.cmd('HKEYS', key);
        const now = (performance.now() - t0) / 1000;
        for (const r of ranks ?? []) if (firstSeen[r] === undefined) firstSeen[r] = now;
        if ((ranks?.length ?? 0) >= workers) allRunning = now;
      }
      await sleep(2);
    }
  }
  const status = await done;
  const wall = (performance.now() - t0) / 1000;
  if (status !== 0) throw new Error(`submit ${name} failed (${status}):\n${stderr}`);
  const phase = (p) => {
    const m = stderr.match(new RegExp(`^${p}\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)`, 'm'));
    return m ? { min: Number(m[1]), median: Number(m[2]), max: Number(m[3]) } : null;
  };
  const sent = Number(stderr.match(/fan-out ([\d.]+) s \(invocations sent\)/)?.[1]);
  const firstRank = firstSeen.filter((x) => x !== undefined);
  return { wall, status, all_running_s: allRunning, first_rank_s: firstRank.length ? Math.min(...firstRank) : NaN,
    invocations_sent_s: sent, connect: phase('connect'), total: phase('total'), stderr };
}

// ---- (a) and (b) -------------------------------------------------------------------------
async function benchFanout(s, a, out) {
  const n = a.fanoutWorkers;
  // A small job: the rows do not matter here, only starting and meeting.
  let orders = 'k,v\n', customers = 'k,region\n';
  for (let i = 0; i < 2000; i++) orders += `${(i * 37) % 300},${i % 97}\n`;
  for (let k = 0; k < 300; k++) customers += `${k},r${k % 7}\n`;
  await s3Put(s, 'fan/orders.csv', orders);
  await s3Put(s, 'fan/customers.csv', customers);
  const plan = { steps: [
    { id: 'o', op: 'read', path: `s3://${BUCKET}/fan/orders.csv` },
    { id: 'c', op: 'read', path: `s3://${BUCKET}/fan/customers.csv` },
    { id: 'j', op: 'join', left: 'o', right: 'c', on: ['k'], how: 'inner' },
    { id: 'g', op: 'groupby', input: 'j', by: ['region'], aggs: { v: ['sum'] } },
    { op: 'write', input: 'g', path: 'g.csv' }] };
  const planPath = join(s.tmp, 'fan.json');
  writeFileSync(planPath, JSON.stringify(plan));
  console.log(`\n(a) fan-out to ${n} functions and (b) bootstrap + full mesh of ${n} ranks ` +
    `(${a.repeat} runs; cold: lambda-local fresh, warm: its ${n} environments reused)`);
  console.log(['run', 'kind', 'sent s', 'first rank s', 'all running s', 'connect min s',
    'connect median s', 'connect max s', 'job wall s'].join('\t'));
  out.fanout = [];
  for (let r = 0; r < a.repeat; r++) {
    await startHost(s);
    for (const kind of ['cold', 'warm']) {
      const x = await submit(s, planPath, n, `fan-${r}-${kind}`, true);
      delete x.stderr;
      out.fanout.push({ run: r, kind, ...x });
      console.log([r, kind, fmt(x.invocations_sent_s), fmt(x.first_rank_s), fmt(x.all_running_s),
        fmt(x.connect?.min), fmt(x.connect?.median), fmt(x.connect?.max), fmt(x.wall)].join('\t'));
    }
  }
  for (const kind of ['cold', 'warm']) {
    const xs = out.fanout.filter((x) => x.kind === kind);
    console.log(`median ${kind}: all ${n} running ${fmt(median(xs.map((x) => x.all_running_s)))} s; ` +
      `connect min ${fmt(median(xs.map((x) => x.connect.min)))} s, max ` +
      `${fmt(median(xs.map((x) => x.connect.max)))} s`);
  }
}

// ---- (c) -----------------------------------------------------------------------------------
async function benchJoin(s, a, out) {
  const parts = 4;
  const dataDir = join(s.tmp, 'data');
  mkdirSync(join(dataDir, 'orders'), { recursive: true });
  mkdirSync(join(dataDir, 'customers'), { recursive: true });
  let seed = 12345;
  const rnd = (m) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % m);
  const regions = ['north', 'south', 'east', 'west', 'centre'];
  let bytes = 0;
  for (let p = 0; p < parts; p++) {
    const rows = [];
    for (let i = p; i < a.orders; i += parts) rows.push(`${rnd(Math.round(a.customers * 1.25))},${rnd(1000) - 200}`);
    const o = `k,v\n${rows.join('\n')}\n`;
    const c = ['k,region'];
    for (let k = p; k < a.customers; k += parts) c.push(`${k},${regions[rnd(5)]}`);
    const cs = `${c.join('\n')}\n`;
    writeFileSync(join(dataDir, 'orders', `part-${p}.csv`), o);
    writeFileSync(join(dataDir, 'customers', `part-${p}.csv`), cs);
    await s3Put(s, `big/orders/part-${p}.csv`, o);
    await s3Put(s, `big/customers/part-${p}.csv`, cs);
    bytes += o.length + cs.length;
  }
  const example = JSON.parse(readFileSync(join(root, 'examples/join.json'), 'utf8'));
  const withPaths = (orders, customers, outPath) => ({ steps: example.steps.map((st) => {
    if (st.id === 'orders') return { ...st, path: orders };
    if (st.id === 'customers') return { ...st, path: customers };
    if (st.op === 'write') return { ...st, path: outPath };
    return st;
  }) });
  const slsPlan = join(s.tmp, 'join-sls.json');
  writeFileSync(slsPlan, JSON.stringify(withPaths(`s3://${BUCKET}/big/orders/`,
    `s3://${BUCKET}/big/customers/`, 'per_region/')));
  const localPlan = join(s.tmp, 'join-local.json');
  let localRun = 0;
  console.log(`\n(c) examples/join.json on 4 ranks: ${a.orders} orders x ${a.customers} customers ` +
    `(4 CSV parts each, ${(bytes / 1048576).toFixed(1)} MiB), wall seconds, ${a.repeat} runs after a warm-up`);
  console.log(['run', 'serverless s', 'cylon run s', 'ratio'].join('\t'));
  const runLocal = () => {
    const outDir = join(s.tmp, `local-out-${localRun++}`);
    writeFileSync(localPlan, JSON.stringify(withPaths(join(dataDir, 'orders/'), join(dataDir, 'customers/'),
      join(outDir, 'per_region/'))));
    const t0 = performance.now();
    const r = spawnSync(s.cylon, ['run', localPlan, '--workers', '4', '-q', '--progress', 'none'],
      { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: s.tmp } });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`cylon run failed (${r.status}):\n${r.stderr}`);
    rmSync(outDir, { recursive: true, force: true });
    return wall;
  };
  await startHost(s);
  const cold = await submit(s, slsPlan, 4, 'join-warmup');
  runLocal();
  out.join = { orders: a.orders, customers: a.customers, bytes, cold_serverless_s: cold.wall, runs: [] };
  for (let r = 0; r < a.repeat; r++) {
    const x = await submit(s, slsPlan, 4, `join-${r}`);
    const local = runLocal();
    out.join.runs.push({ serverless_s: x.wall, run_s: local, connect: x.connect, total: x.total });
    console.log([r, fmt(x.wall), fmt(local), fmt(x.wall / local, 2)].join('\t'));
  }
  const sls = median(out.join.runs.map((x) => x.serverless_s));
  const loc = median(out.join.runs.map((x) => x.run_s));
  out.join.serverless_median_s = sls;
  out.join.run_median_s = loc;
  out.join.ratio = sls / loc;
  console.log(`median: serverless ${fmt(sls)} s, cylon run --workers 4 ${fmt(loc)} s: overhead ratio ` +
    `${fmt(sls / loc, 2)} (cold first serverless run ${fmt(cold.wall)} s)`);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const cylon = join(a.build, 'cylon');
  if (!existsSync(cylon)) throw new Error(`${cylon} not found: build first (scripts/build)`);
  const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const out = { date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model,
    node: process.version, loadavg_at_start: loadavg(), uptime_at_start: uptime() },
  options: { ...a, build: relative(root, a.build) } };
  console.log(`uptime at the start: ${out.machine.uptime_at_start}`);
  const tmp = mkdtempSync(join(tmpdir(), 'cylon-bench-sls-'));
  let s = null;
  try {
    s = await startServers(tmp, cylon);
    if (!a.skip.includes('fanout')) await benchFanout(s, a, out);
    if (!a.skip.includes('join')) await benchJoin(s, a, out);
  } finally {
    if (s) {
      if (s.host) await stopHost(s);
      s.redisClient.close();
      s.redis.kill('SIGTERM');
      await s.s3.close();
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  out.machine.loadavg_at_end = loadavg();
  out.machine.uptime_at_end = uptime();
  console.log(`uptime at the end: ${out.machine.uptime_at_end} (${cpus().length} cpus)`);
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  out.commit = git.status === 0 ? git.stdout.trim() : null;
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `serverless-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`results: ${relative(root, path)}`);
}

try {
  await main();
} catch (e) {
  console.error(`bench: ${e.stack}`);
  process.exitCode = 1;
}
