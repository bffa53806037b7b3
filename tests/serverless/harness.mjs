// harness.mjs - the servers of a serverless job on loopback, for the end-to-end tests
// (submit_test.mjs, faults_test.mjs): s3rver (npm) with a bucket, optionally behind the
// fault-injecting proxy (../oracle/s3_fault_proxy.mjs), redis-server, `cylon lambda-local`
// (the workers get no storage variables of their own: everything comes through the event)
// and, on request, `cylon rendezvous`; then `cylon submit` runs, S3 and Redis inspection,
// the test data (two CSV tables) and DuckDB's answer on it. Everything is stopped by stop().
import '../oracle/openssl_legacy.mjs'; // first: may re-run this script with OpenSSL's legacy provider
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';


const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../oracle/package.json'));
const S3rver = require('s3rver');
const { startFaultProxy } = await import(join(here, '../oracle/s3_fault_proxy.mjs'));
export const duck = await import(join(here, '../oracle/duck.mjs'));
export const repoRoot = join(here, '../..');

let failures = 0;
export function expect(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}
export function finish(name) {
  if (failures) {
    console.error(`${failures} check(s) failed`);
    process.exit(1);
  }
  console.error(`${name}: ok`);
}

export async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sanitizerReport = /Sanitizer|runtime error:/;

/** Start the servers. opts: cylon (path), workers (default for submit), proxy (S3 through
 *  the fault proxy), rendezvous (start `cylon rendezvous` with this token), host (the
 *  address every server listens on and the workers are given; default 127.0.0.1),
 *  hostArgs (more `cylon lambda-local` options, e.g. --worker-netns). */
export async function startServers(opts) {
  const env = {};
  const HOST = opts.host ?? '127.0.0.1';
  const tmp = env.tmp = mkdtempSync(join(tmpdir(), 'cylon-sls-'));
  const BUCKET = env.BUCKET = 'cylon';
  const s3 = new S3rver({ port: 0, address: HOST, silent: true, directory: join(tmp, 's3'),
    configureBuckets: [{ name: BUCKET }] });
  const s3Port = (await s3.run()).port;
  const proxy = env.proxy = opts.proxy ? await startFaultProxy(s3Port) : null;

  const redisPort = env.redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', HOST,
    '--save', '', '--appendonly', 'no', '--dir', tmp,
    // off loopback (the NAT test's private network), Redis wants this said explicitly
    ...(HOST === '127.0.0.1' ? [] : ['--protected-mode', 'no'])], { stdio: 'ignore' });
  env.redisCli = (...a) => spawnSync('redis-cli', ['-h', HOST, '-p', String(redisPort), ...a],
    { encoding: 'utf8' }).stdout.trim();
  for (let i = 0; i < 100 && env.redisCli('PING') !== 'PONG'; i++) await sleep(50);

  // The host gets no storage variables: the workers must get them from the event.
  const baseEnv = { PATH: process.env.PATH, HOME: tmp };
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'])
    if (process.env[k]) baseEnv[k] = process.env[k];
  const readyFile = join(tmp, 'll.port');
  const host = spawn(opts.cylon, ['lambda-local', '--port', '0', '--ready-file', readyFile,
    '--timeout', '120', '--memory', '0', '--concurrency', '64', '--bind', HOST,
    ...(opts.hostArgs ?? [])],
  { env: baseEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  // The host's and its workers' standard error: shown, and checked for sanitizer reports.
  env.hostStderr = '';
  host.stderr.on('data', (d) => { env.hostStderr += d; process.stderr.write(d); });
  for (let i = 0; i < 200 && !existsSync(readyFile); i++) await sleep(50);
  const llPort = Number(readFileSync(readyFile, 'utf8'));

  let rdv = null;
  env.rendezvousLog = '';
  if (opts.rendezvous) {
    rdv = spawn(opts.cylon, ['rendezvous', '--port', '0', '--bind', HOST],
      { env: { ...baseEnv, CYLON_RENDEZVOUS_TOKEN: opts.rendezvous }, stdio: ['ignore', 'pipe', 'pipe'] });
    rdv.stderr.on('data', (d) => { env.rendezvousLog += d; });
    env.rendezvous = await new Promise((resolve, reject) => {
      let out = '';
      rdv.stdout.on('data', (d) => {
        out += d;
        const m = /listening on ([^\s]+)/.exec(out);
        if (m) resolve(m[1]);
      });
      rdv.on('close', (code) => reject(new Error(`cylon rendezvous exited (${code}): ${env.rendezvousLog}`)));
    });
  }

  const s3Endpoint = `http://${HOST}:${proxy ? proxy.port : s3Port}`;
  env.s3Env = { ...baseEnv, AWS_ENDPOINT_URL: s3Endpoint, AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

  // S3 as the test sees it: s3rver directly, never through the proxy.
  env.s3Request = (method, key, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: s3Port, method, path: `/${BUCKET}/${key}` },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
    req.on('error', reject);
    req.end(body);
  });
  env.s3Keys = async (prefix) => {
    const r = await env.s3Request('GET', `?list-type=2&prefix=${encodeURIComponent(prefix)}`);
    return [...r.body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  };

  /** `cylon submit` of planObj as job `name` (output under out/NAME); opts: workers,
   *  bootstrap, extra (arguments), env (more variables), timeout (seconds). Asynchronous:
   *  s3rver and the proxy run in this process and must keep serving meanwhile. */
  env.submit = async (name, planObj, o = {}) => {
    const planPath = join(tmp, `${name}.json`);
    writeFileSync(planPath, JSON.stringify(planObj));
    const argv = ['submit', planPath, '--platform', 'lambda', '--workers',
      String(o.workers ?? opts.workers ?? 1), '--function', 'cylon',
      '--endpoint', `http://${HOST}:${llPort}`,
      '--bootstrap', o.bootstrap ?? `redis://${HOST}:${redisPort}`,
      '--output', `s3://${BUCKET}/out/${name}`, '--timeout', String(o.timeout ?? 120),
      ...(o.extra ?? [])];
    return new Promise((resolve) => {
      const child = spawn(opts.cylon, argv, { env: { ...env.s3Env, ...(o.env ?? {}) } });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => {
        expect(!sanitizerReport.test(stderr), `${name}: no sanitizer report:\n${stderr}`);
        resolve({ status, stdout, stderr });
      });
    });
  };

  /** After a failed job: nothing published or left under out/NAME/, no keys in Redis. */
  env.nothingLeft = async (name, what) => {
    const left = await env.s3Keys(`out/${name}/`);
    expect(left.length === 0, `${what}: nothing under out/${name}/ (found ${left.join(', ')})`);
    expect(env.redisCli('KEYS', 'cylon:*') === '', `${what}: no job or bootstrap keys left in ` +
      `Redis (found ${env.redisCli('KEYS', 'cylon:*')})`);
  };

  // ---- data: deterministic, written to S3 and to local files for DuckDB ----
  let seed = 12345;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const regions = ['north', 'south', 'east', 'west', 'centre'];
  let orders = 'k,v\n', customers = 'k,region\n';
  for (let i = 0; i < 3000; i++) orders += `${rnd(500)},${rnd(1000) - 200}\n`;
  for (let k = 0; k < 400; k++) customers += `${k},${regions[rnd(5)]}\n`;
  writeFileSync(join(tmp, 'orders.csv'), orders);
  writeFileSync(join(tmp, 'customers.csv'), customers);
  await env.s3Request('PUT', 'in/orders.csv', orders);
  await env.s3Request('PUT', 'in/customers.csv', customers);

  /** The join + groupby of the tests over the two tables (op and bucket changeable). */
  env.plan = (extra = {}) => ({ steps: [
    { id: 'o', op: 'read', path: `s3://${extra.bucket ?? BUCKET}/in/orders.csv` },
    { id: 'c', op: 'read', path: `s3://${BUCKET}/in/customers.csv` },
    { id: 'j', op: 'join', left: 'o', right: 'c', on: ['k'], how: 'inner' },
    { id: 'g', op: extra.op ?? 'groupby', input: 'j', by: ['region'], aggs: { v: ['sum', 'count'] } },
    { op: 'write', input: 'g', path: 'g.csv' }] });
  env.joinExample = () => JSON.parse(readFileSync(join(repoRoot, 'examples/join.json'), 'utf8'));

  /** DuckDB's answer to the join + groupby, as sorted "region sum count" lines. */
  env.want = async () => (await duck.query(`SELECT c.region, sum(o.v) AS s, count(o.v) AS n
    FROM read_csv('${join(tmp, 'orders.csv')}') o JOIN read_csv('${join(tmp, 'customers.csv')}') c
    USING (k) GROUP BY c.region`)).map((r) => `${r.region} ${r.s} ${r.n}`).sort();

  /** The published result of job NAME (Parquet parts of examples/join.json, listed by the
   *  manifest) as DuckDB reads it back: {manifest, got}. */
  env.published = async (name, world) => {
    const manifest = JSON.parse((await env.s3Request('GET', `out/${name}/_manifest.json`)).body
      .toString() || '{}');
    const nfiles = manifest.files?.length ?? 0;
    expect(manifest.world === world && nfiles >= 1 && nfiles <= world,
      `${name}: 1..${world} part(s): ${JSON.stringify(manifest)}`);
    const localParts = [];
    for (const f of manifest.files ?? []) {
      const partKey = f.url.replace(`s3://${BUCKET}/`, '');
      expect(partKey.startsWith(`out/${name}/_tmp/`) && partKey.endsWith('.parquet'),
        `${name}: a Parquet part under the temporary prefix: ${partKey}`);
      const local = join(tmp, `${name}-part-${localParts.length}.parquet`);
      writeFileSync(local, (await env.s3Request('GET', partKey)).body);
      localParts.push(`'${local}'`);
    }
    const got = localParts.length === 0 ? [] : (await duck.query(`SELECT region, v_sum, v_count
      FROM read_parquet([${localParts.join(',')}])`)).map((r) => `${r.region} ${r.v_sum} ${r.v_count}`).sort();
    return { manifest, got };
  };

  env.stop = async () => {
    const hostExit = new Promise((r) => host.on('close', (code) => r(code)));
    host.kill('SIGTERM');
    expect(await hostExit === 0, 'lambda-local exits cleanly on SIGTERM');
    expect(!sanitizerReport.test(env.hostStderr), 'no sanitizer report from the host or workers');
    if (rdv) {
      const rdvExit = new Promise((r) => rdv.on('close', (code) => r(code)));
      rdv.kill('SIGTERM');
      expect(await rdvExit === 0, 'cylon rendezvous exits cleanly on SIGTERM');
      expect(!sanitizerReport.test(env.rendezvousLog), 'no sanitizer report from the rendezvous');
    }
    redis.kill('SIGTERM');
    if (proxy) await proxy.close();
    await s3.close();
    duck.close();
    await sleep(200);
    rmSync(tmp, { recursive: true, force: true });
  };
  return env;
}
