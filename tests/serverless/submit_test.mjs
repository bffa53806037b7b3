// submit_test.mjs - the serverless path end to end on loopback: redis-server, s3rver (npm)
// and `cylon lambda-local` started here, `cylon submit` run against them, the published
// result compared with DuckDB's answer to the same query on the same data.
//
//   node tests/serverless/submit_test.mjs --cylon build/cylon [--workers N]
//
// Cases: a join + groupby plan over two CSV tables in S3 (output under a temporary prefix,
// published by _manifest.json), then faults that must each fail with a clear error, leave
// no manifest, no temporary objects and no job keys in Redis: an unknown operator, Redis
// unreachable, a wrong token, a bucket that does not exist. The worker count is a
// parameter: with N > 1 the ranks join a tcp communicator through the Redis bootstrap and
// the N parts together must equal DuckDB's answer.
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

try { // s3rver's listings use DES, which OpenSSL 3 keeps in its legacy provider
  createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch (e) {
  if (process.execArgv.includes('--openssl-legacy-provider')) throw e;
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', ...process.execArgv,
    ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../oracle/package.json'));
const S3rver = require('s3rver');
const duck = await import(join(here, '../oracle/duck.mjs'));

const args = { cylon: null, workers: 1 };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--cylon') args.cylon = process.argv[++i];
  else if (process.argv[i] === '--workers') args.workers = Number(process.argv[++i]);
  else throw new Error(`unknown option ${process.argv[i]}`);
}
if (!args.cylon || !existsSync(args.cylon)) throw new Error('--cylon PATH is required');

let failures = 0;
function expect(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'cylon-sls-'));
const BUCKET = 'cylon';
const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'),
  configureBuckets: [{ name: BUCKET }] });
const s3Port = (await s3.run()).port;

const redisPort = await freePort();
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1',
  '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
function redisCli(...a) {
  const r = spawnSync('redis-cli', ['-p', String(redisPort), ...a], { encoding: 'utf8' });
  return r.stdout.trim();
}
for (let i = 0; i < 100 && redisCli('PING') !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));

// The host gets no storage variables: the workers must get them from the event.
const baseEnv = { PATH: process.env.PATH, HOME: tmp };
for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'])
  if (process.env[k]) baseEnv[k] = process.env[k];
const readyFile = join(tmp, 'll.port');
const host = spawn(args.cylon, ['lambda-local', '--port', '0', '--ready-file', readyFile,
  '--timeout', '120', '--memory', '0', '--concurrency', '64'],
{ env: baseEnv, stdio: ['ignore', 'ignore', 'pipe'] });
// The host's and its workers' standard error: shown, and checked for sanitizer reports.
let hostStderr = '';
host.stderr.on('data', (d) => { hostStderr += d; process.stderr.write(d); });
for (let i = 0; i < 200 && !existsSync(readyFile); i++) await new Promise((r) => setTimeout(r, 50));
const llPort = Number(readFileSync(readyFile, 'utf8'));

const s3Env = { ...baseEnv, AWS_ENDPOINT_URL: `http://127.0.0.1:${s3Port}`,
  AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

function s3Request(method, key, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s3Port, method, path: `/${BUCKET}/${key}` },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
    req.on('error', reject);
    req.end(body);
  });
}
async function s3Keys(prefix) {
  const r = await s3Request('GET', `?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  return [...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
}

// ---- data: deterministic, written to S3 and to local files for DuckDB ---------------
let seed = 12345;
const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
const regions = ['north', 'south', 'east', 'west', 'centre'];
let orders = 'k,v\n', customers = 'k,region\n';
for (let i = 0; i < 3000; i++) orders += `${rnd(500)},${rnd(1000) - 200}\n`;
for (let k = 0; k < 400; k++) customers += `${k},${regions[rnd(5)]}\n`;
writeFileSync(join(tmp, 'orders.csv'), orders);
writeFileSync(join(tmp, 'customers.csv'), customers);
await s3Request('PUT', 'in/orders.csv', orders);
await s3Request('PUT', 'in/customers.csv', customers);

const plan = (extra = {}) => ({ steps: [
  { id: 'o', op: 'read', path: `s3://${extra.bucket ?? BUCKET}/in/orders.csv` },
  { id: 'c', op: 'read', path: `s3://${BUCKET}/in/customers.csv` },
  { id: 'j', op: 'join', left: 'o', right: 'c', on: ['k'], how: 'inner' },
  { id: 'g', op: extra.op ?? 'groupby', input: 'j', by: ['region'], aggs: { v: ['sum', 'count'] } },
  { op: 'write', input: 'g', path: 'g.csv' }] });

async function submit(name, planObj, opts = {}) {
  const planPath = join(tmp, `${name}.json`);
  writeFileSync(planPath, JSON.stringify(planObj));
  const argv = ['submit', planPath, '--platform', 'lambda', '--workers', String(opts.workers ?? args.workers),
    '--function', 'cylon', '--endpoint', `http://127.0.0.1:${llPort}`,
    '--bootstrap', opts.bootstrap ?? `redis://127.0.0.1:${redisPort}`,
    '--output', `s3://${BUCKET}/out/${name}`, '--timeout', '120', ...(opts.extra ?? [])];
  // Asynchronous: s3rver runs in this process and must keep serving meanwhile.
  return new Promise((resolve) => {
    const child = spawn(args.cylon, argv, { env: s3Env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => {
      expect(!/Sanitizer|runtime error:/.test(stderr), `${name}: no sanitizer report:\n${stderr}`);
      resolve({ status, stdout, stderr });
    });
  });
}

async function nothingLeft(name, what) {
  expect((await s3Keys(`out/${name}/`)).length === 0, `${what}: nothing under out/${name}/ ` +
    `(found ${(await s3Keys(`out/${name}/`)).join(', ')})`);
  expect(redisCli('KEYS', 'cylon:*') === '', `${what}: no job or bootstrap keys left in Redis ` +
    `(found ${redisCli('KEYS', 'cylon:*')})`);
}

try {
  // ---- the job ----
  // examples/join.json as it is (its inputs are s3://cylon/in/...): one Parquet part per
  // rank that has rows, listed by the manifest; DuckDB reads the parts back.
  const ok = await submit('result', JSON.parse(readFileSync(join(here, '../../examples/join.json'), 'utf8')));
  expect(ok.status === 0, `submit succeeds (status ${ok.status}): ${ok.stderr}`);
  const manifestKey = `out/result/_manifest.json`;
  const manifest = JSON.parse((await s3Request('GET', manifestKey)).body || '{}');
  const nfiles = manifest.files?.length ?? 0;
  expect(manifest.world === args.workers && nfiles >= 1 && nfiles <= args.workers,
    `1..${args.workers} part(s): ${JSON.stringify(manifest)}`);
  const localParts = [];
  for (const f of manifest.files ?? []) {
    const partKey = f.url.replace(`s3://${BUCKET}/`, '');
    expect(partKey.startsWith('out/result/_tmp/') && partKey.endsWith('.parquet'),
      `a Parquet part under the temporary prefix: ${partKey}`);
    const body = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: s3Port, path: `/${BUCKET}/${partKey}` }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
    const local = join(tmp, `part-${localParts.length}.parquet`);
    writeFileSync(local, body);
    localParts.push(`'${local}'`);
  }
  const got = localParts.length === 0 ? [] : (await duck.query(`SELECT region, v_sum, v_count
    FROM read_parquet([${localParts.join(',')}])`)).map((r) => `${r.region} ${r.v_sum} ${r.v_count}`).sort();
  const want = (await duck.query(`SELECT c.region, sum(o.v) AS s, count(o.v) AS n
    FROM read_csv('${join(tmp, 'orders.csv')}') o JOIN read_csv('${join(tmp, 'customers.csv')}') c
    USING (k) GROUP BY c.region`)).map((r) => `${r.region} ${r.s} ${r.n}`).sort();
  expect(got.length === 5 && JSON.stringify(got) === JSON.stringify(want),
    `result equals DuckDB's:\n got  ${got}\n want ${want}`);
  expect(/per GB-s/.test(ok.stderr) && /phase\s+min s/.test(ok.stderr), 'a summary is printed');
  expect(redisCli('KEYS', 'cylon:*') === '', `no job or bootstrap keys left after success ` +
    `(found ${redisCli('KEYS', 'cylon:*')})`);

  // ---- faults ----
  const unknownOp = await submit('badop', plan({ op: 'frobnicate' }));
  expect(unknownOp.status !== 0 && /unknown op "frobnicate"/.test(unknownOp.stderr),
    `unknown operator: ${unknownOp.stderr}`);
  await nothingLeft('badop', 'unknown operator');

  const deadPort = await freePort();
  const noRedis = await submit('noredis', plan(), { bootstrap: `redis://127.0.0.1:${deadPort}` });
  expect(noRedis.status !== 0 && new RegExp(`redis 127.0.0.1:${deadPort} unreachable`).test(noRedis.stderr),
    `redis unreachable: ${noRedis.stderr}`);
  await nothingLeft('noredis', 'redis unreachable');

  const wrongToken = await submit('token', plan(), { extra: ['--worker-token', 'not-the-token'] });
  expect(wrongToken.status !== 0 && /token of this event does not match/.test(wrongToken.stderr),
    `wrong token: ${wrongToken.stderr}`);
  await nothingLeft('token', 'wrong token');

  const noBucket = await submit('nobucket', plan({ bucket: 'no-such-bucket' }));
  expect(noBucket.status !== 0 && /no-such-bucket/.test(noBucket.stderr),
    `missing bucket: ${noBucket.stderr}`);
  await nothingLeft('nobucket', 'missing bucket');
} finally {
  const hostExit = new Promise((r) => host.on('close', (code) => r(code)));
  host.kill('SIGTERM');
  expect(await hostExit === 0, 'lambda-local exits cleanly on SIGTERM');
  expect(!/Sanitizer|runtime error:/.test(hostStderr), 'no sanitizer report from the host or workers');
  redis.kill('SIGTERM');
  await s3.close();
  duck.close();
  await new Promise((r) => setTimeout(r, 200));
  rmSync(tmp, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.error('submit_test: ok');
