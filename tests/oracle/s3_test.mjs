// s3_test.mjs - cylon's S3 client against an S3 API server, on loopback only.
//
//   node tests/oracle/s3_test.mjs --check build/tests/oracle/s3_check --cylon build/cylon
//        [--verbose] [NAME_SUBSTRING...]
//
// Starts s3rver (npm) on a free 127.0.0.1 port with a temporary directory and a bucket,
// and in front of it a small HTTP proxy that logs every request and can be told to answer
// the next requests with 503 SlowDown or 500 InternalError, to reset the connection, or to
// hang, before forwarding again. cylon reaches s3rver through the proxy (AWS_ENDPOINT_URL),
// driven by the s3_check program (tests/io/s3_check.c) and the cylon command, and each
// case checks what arrived (reading objects back from s3rver directly) and what the
// requests looked like: small PUTs and multipart uploads, ranged reads (a Parquet footer),
// parallel and split reads, paginated listings, deletes, aborts, missing keys and buckets,
// retries after injected faults and their limit, credentials from the environment, a
// shared credentials file and a container credentials endpoint, CSV, Parquet and Arrow IPC
// tables (head and schema on Parquet fetching only the footer and the row groups shown)
// and datasets on s3://. Every message cylon printed is checked for the secret key and the
// session token, which must never appear. Servers are stopped at the end.
// Exit status 0 when every case passed.

import './openssl_legacy.mjs'; // first: may re-run this script with OpenSSL's legacy provider
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFaultProxy } from './s3_fault_proxy.mjs';


const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

const BUCKET = 'cylon';
const ACCESS_KEY = 'S3RVER'; // s3rver's account; it checks the key id, not signatures
const SECRET = 'cylonTest/Secret+Never=Printed'; // s3rver ignores it; we grep for it
const TOKEN = 'cylonSessionToken/Never+Printed==';

// ---- options ----------------------------------------------------------------------------

const args = { check: null, cylon: null, verbose: false, filters: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--check') args.check = process.argv[++i];
  else if (a === '--cylon') args.cylon = process.argv[++i];
  else if (a === '--verbose' || a === '-v') args.verbose = true;
  else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
  else args.filters.push(a);
}
if (!args.check || !existsSync(args.check)) throw new Error('--check PATH_TO_s3_check is required');

// ---- servers ----------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'cylon-s3-'));
const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'),
  configureBuckets: [{ name: BUCKET }] });
const s3Port = (await s3.run()).port;

/** The proxy (s3_fault_proxy.mjs): a log of requests and a queue of faults for the next ones. */
const proxy = await startFaultProxy(s3Port);
const proxyPort = proxy.port;

/** A container credentials endpoint: answers JSON to the right Authorization only. */
const creds = { calls: 0 };
const credsServer = http.createServer((req, res) => {
  creds.calls++;
  if (req.headers.authorization !== 'Bearer container-token-xyz') {
    res.writeHead(401);
    return res.end('{"message": "bad token container-token-xyz"}');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ AccessKeyId: ACCESS_KEY, SecretAccessKey: SECRET, Token: TOKEN,
    Expiration: new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z') }));
});
await new Promise((r) => credsServer.listen(0, '127.0.0.1', r));
const credsPort = credsServer.address().port;

async function stopServers() {
  await proxy.close();
  await new Promise((r) => credsServer.close(r));
  await s3.close();
  rmSync(tmp, { recursive: true, force: true });
}

// ---- running cylon ----------------------------------------------------------------------

/** The environment of a cylon run: only what is set here (no proxies, no real AWS). */
function cylonEnv(extra = {}) {
  const env = { PATH: process.env.PATH, HOME: join(tmp, 'home'),
    AWS_ENDPOINT_URL: `http://127.0.0.1:${proxyPort}`, AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-east-1', CYLON_S3_RETRY_BASE_MS: '5',
    NO_PROXY: '*', no_proxy: '*' };
  if (process.env.ASAN_OPTIONS) env.ASAN_OPTIONS = process.env.ASAN_OPTIONS;
  if (process.env.UBSAN_OPTIONS) env.UBSAN_OPTIONS = process.env.UBSAN_OPTIONS;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const messages = []; // every stderr, checked for secrets at the end

/** Run a program asynchronously (s3rver lives in this process): {status, stdout, stderr}. */
function run(program, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { env: cylonEnv(env) });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => {
      const r = { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      messages.push(r.stderr, r.stdout);
      if (args.verbose) console.log(`  $ ${[program, ...argv].join(' ')} -> ${status}\n${r.stderr}`);
      resolve(r);
    });
  });
}
/** Run s3_check with arguments, and an environment object last when wanted. */
const check = (...a) => {
  const env = typeof a.at(-1) === 'object' ? a.pop() : {};
  return run(args.check, a, env);
};
const cylon = (argv, env) => run(args.cylon, argv, env);

/** An object's bytes straight from s3rver (anonymous GET), or null when missing. */
function s3Get(key) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s3Port, path: `/${BUCKET}/${key}` }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(parts) : null));
    }).on('error', reject);
  });
}

const file = (name, data) => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};
const url = (key) => `s3://${BUCKET}/${key}`;

// ---- the cases --------------------------------------------------------------------------

const cases = [];
const test = (name, fn) => cases.push({ name, fn });
function expect(cond, what) {
  if (!cond) throw new Error(what);
}
function ok(r, what) {
  expect(r.status === 0, `${what}: exit ${r.status}: ${r.stderr.trim()}`);
  return r;
}
function fails(r, what, ...needles) {
  expect(r.status === 1, `${what}: expected a failure, got exit ${r.status}`);
  for (const n of needles) expect(r.stderr.includes(n), `${what}: message lacks "${n}": ${r.stderr.trim()}`);
  return r;
}
const requestsSince = (mark) => proxy.log.slice(mark);

const big = randomBytes(12 * 1024 * 1024 + 123);
const bigFile = file('big.bin', big);

test('put small: one PutObject with a payload hash', async () => {
  const data = randomBytes(1000);
  const mark = proxy.log.length;
  ok(await check('put', file('small.bin', data), url('up/small.bin')), 'put');
  expect((await s3Get('up/small.bin'))?.equals(data), 'object differs');
  const reqs = requestsSince(mark);
  expect(reqs.length === 1 && reqs[0].method === 'PUT' && !reqs[0].url.includes('uploadId'),
    `one PUT expected, got ${reqs.map((r) => r.method + ' ' + r.url).join(', ')}`);
  const h = reqs[0].headers;
  expect(/^[0-9a-f]{64}$/.test(h['x-amz-content-sha256']), 'x-amz-content-sha256 is not a hash');
  expect(/^\d{8}T\d{6}Z$/.test(h['x-amz-date']), 'no x-amz-date');
  expect(h.authorization.startsWith(`AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/`) &&
    h.authorization.includes('SignedHeaders=host;x-amz-content-sha256;x-amz-date,'),
    `authorization: ${h.authorization}`);
});

test('put large: a multipart upload of 8 MiB parts', async () => {
  const mark = proxy.log.length;
  ok(await check('put', bigFile, url('up/big.bin')), 'put');
  expect((await s3Get('up/big.bin'))?.equals(big), 'object differs');
  const reqs = requestsSince(mark).map((r) => `${r.method} ${r.url}`);
  expect(reqs[0].startsWith('POST') && reqs[0].includes('uploads='), `starts with ${reqs[0]}`);
  expect(reqs.filter((r) => r.startsWith('PUT') && /partNumber=\d/.test(r)).length === 2,
    `two parts expected: ${reqs.join(', ')}`);
  expect(reqs.at(-1).startsWith('POST') && reqs.at(-1).includes('uploadId='), `ends ${reqs.at(-1)}`);
});

test('put large with small parts, and a fault in the middle', async () => {
  const data = big.subarray(0, 11 * 1024 * 1024);
  proxy.faults = ['pass', 'pass', '503', 'reset'];
  ok(await check('put', file('mid.bin', data), url('up/mid.bin'), '777777',
    { CYLON_S3_PART_BYTES: String(5 * 1024 * 1024) }), 'put');
  expect((await s3Get('up/mid.bin'))?.equals(data), 'object differs');
});

test('abort: nothing is published', async () => {
  ok(await check('abort', bigFile, url('up/aborted.bin')), 'abort');
  ok(await check('abort', file('tiny.bin', 'abc'), url('up/aborted2.bin')), 'abort small');
  expect((await s3Get('up/aborted.bin')) === null, 'aborted object exists');
  expect((await s3Get('up/aborted2.bin')) === null, 'aborted small object exists');
});

test('ranged reads: start, middle, end, whole; one GET each', async () => {
  for (const [off, len] of [[0, 10], [5_000_000, 123_456], [big.length - 8, 8], [0, -1],
    [big.length - 70000, 70000], [big.length, 0]]) {
    const out = join(tmp, 'range.out');
    const mark = proxy.log.length;
    const r = ok(await check('get', url('up/big.bin'), String(off), String(len), out), 'get');
    expect(r.stdout.trim() === String(big.length), `size ${r.stdout.trim()}`);
    const want = big.subarray(off, len < 0 ? big.length : off + len);
    expect(readFileSync(out).equals(want), `bytes differ at ${off}+${len}`);
    const gets = requestsSince(mark);
    expect(gets.every((g) => g.headers.range), 'a GET without Range');
    expect(gets.length <= (len < 0 ? 3 : 2), `${gets.length} requests for one read`);
  }
});

test('a Parquet footer read by range', async () => {
  const pq = join(here, '../../../shared/data/parquet-testing/data/alltypes_plain.parquet');
  const data = readFileSync(pq);
  ok(await check('put', pq, url('pq/alltypes_plain.parquet')), 'put');
  const out = join(tmp, 'footer.out');
  ok(await check('get', url('pq/alltypes_plain.parquet'), String(data.length - 8), '8', out), 'tail');
  const tail = readFileSync(out);
  expect(tail.subarray(4).toString() === 'PAR1', 'no PAR1 magic at the end');
  const footerLen = tail.readUInt32LE(0);
  const at = data.length - 8 - footerLen;
  ok(await check('get', url('pq/alltypes_plain.parquet'), String(at), String(footerLen), out), 'footer');
  expect(readFileSync(out).equals(data.subarray(at, at + footerLen)), 'footer differs');
});

test('parallel reads from 8 threads, and one read split in parallel ranges', async () => {
  const out = join(tmp, 'par.out');
  ok(await check('parallel', url('up/big.bin'), '8', out), 'parallel');
  expect(readFileSync(out).equals(big), 'parallel read differs');
  const huge = Buffer.concat([big, big, randomBytes(777)]); // > 16 MiB: split into 8 MiB GETs
  ok(await check('put', file('huge.bin', huge), url('up/huge.bin')), 'put huge');
  const mark = proxy.log.length;
  ok(await check('get', url('up/huge.bin'), '1', '-1', out), 'get huge');
  expect(readFileSync(out).equals(huge.subarray(1)), 'split read differs');
  expect(requestsSince(mark).length >= 4, 'the big read was not split');
});

test('list: pagination, prefix as a directory, hidden names skipped', async () => {
  const keys = [];
  for (let i = 0; i < 23; i++) keys.push(`many/part-${String(i).padStart(3, '0')}.csv`);
  keys.push('many/sub/deeper.csv', 'many/.hidden.csv', 'many/sub/.tmp/x.csv', 'many2/other.csv',
    'many/with space+plus%.csv');
  const one = file('one.csv', 'a\n1\n');
  for (const k of keys) ok(await check('put', one, url(k)), `put ${k}`);
  const mark = proxy.log.length;
  const r = ok(await check('list', url('many'), { CYLON_S3_LIST_PAGE: '4' }), 'list');
  const got = r.stdout.trim().split('\n');
  const want = keys.filter((k) => k.startsWith('many/') && !k.includes('/.'))
    .sort().map((k) => `${url(k)}\t4`);
  expect(JSON.stringify(got) === JSON.stringify(want), `listing:\n${got.join('\n')}\nwanted:\n${want.join('\n')}`);
  const pages = requestsSince(mark);
  expect(pages.length >= 7 && pages.slice(1).every((p) => p.url.includes('continuation-token=')),
    `${pages.length} pages`);
  const slash = ok(await check('list', url('many/')), 'list with slash');
  expect(slash.stdout.trim().split('\n').length === want.length, 'trailing slash lists differently');
  const exact = ok(await check('list', url('many/part-001.csv')), 'list one object');
  expect(exact.stdout.trim() === `${url('many/part-001.csv')}\t4`, `one object: ${exact.stdout}`);
  fails(await check('list', url('nothing/here')), 'empty prefix', 's3://cylon/nothing/here', 'no objects');
});

test('missing key and missing bucket: clear errors', async () => {
  const out = join(tmp, 'x.out');
  fails(await check('get', url('no/such/key.csv'), '0', '1', out), 'missing key',
    's3://cylon/no/such/key.csv', 'NoSuchKey', 'HTTP 404');
  fails(await check('get', 's3://no-such-bucket/k.csv', '0', '1', out), 'missing bucket',
    's3://no-such-bucket/k.csv', 'NoSuchBucket');
  fails(await check('list', 's3://no-such-bucket/k/'), 'list missing bucket', 'NoSuchBucket');
  fails(await check('put', file('t.bin', 'x'), 's3://no-such-bucket/k.bin'), 'put missing bucket',
    'NoSuchBucket');
  fails(await check('table', url('no/such/key.csv')), 'table of a missing key', 'NoSuchKey');
  fails(await check('get', 's3://Bad Bucket/k', '0', '1', out), 'bad url', 'not a bucket name');
});

test('retries: 503 SlowDown, 500, resets and a hang, then success', async () => {
  const out = join(tmp, 'r.out');
  for (const faults of [['503', '503', '503'], ['500'], ['reset', 'reset'], ['503', 'reset', '500']]) {
    proxy.faults = [...faults];
    const mark = proxy.log.length;
    ok(await check('get', url('up/big.bin'), '100', '1000', out), `get after ${faults}`);
    expect(readFileSync(out).equals(big.subarray(100, 1100)), 'bytes differ after retries');
    expect(requestsSince(mark).length >= faults.length + 1, 'fewer requests than faults');
  }
  proxy.faults = ['hang'];
  ok(await check('get', url('up/big.bin'), '0', '10', out, { CYLON_S3_TIMEOUT_MS: '700' }),
    'get after a hang');
  proxy.faults = ['503', '503'];
  ok(await check('put', file('rp.bin', 'retried put'), url('up/retried.bin')), 'put after 503s');
  expect((await s3Get('up/retried.bin'))?.toString() === 'retried put', 'retried put differs');
});

test('retries are bounded, with a clear final error', async () => {
  proxy.faults = Array(10).fill('503');
  const r = fails(await check('get', url('up/big.bin'), '0', '10', join(tmp, 'b.out'),
    { AWS_MAX_ATTEMPTS: '3' }), 'get', 's3://cylon/up/big.bin', 'SlowDown', 'after 3 attempts');
  expect(r.stderr.includes('Please reduce your request rate'), 'the S3 message is missing');
  proxy.faults = Array(10).fill('reset');
  fails(await check('size', url('up/big.bin'), { AWS_MAX_ATTEMPTS: '2' }), 'resets', 'after 2 attempts');
  proxy.faults = [];
});

test('delete: the object goes; a missing one is fine', async () => {
  ok(await check('put', file('d.bin', 'x'), url('del/d.bin')), 'put');
  ok(await check('delete', url('del/d.bin')), 'delete');
  expect((await s3Get('del/d.bin')) === null, 'still there');
  ok(await check('delete', url('del/d.bin')), 'delete again');
  fails(await check('delete', 's3://no-such-bucket/d.bin'), 'delete in a missing bucket', 'NoSuchBucket');
});

test('credentials: session token, shared file, container endpoint, none', async () => {
  const out = join(tmp, 'c.out');
  let mark = proxy.log.length;
  ok(await check('size', url('up/big.bin'), { AWS_SESSION_TOKEN: TOKEN }), 'with a token');
  expect(requestsSince(mark).every((r) => r.headers['x-amz-security-token'] === TOKEN &&
    r.headers.authorization.includes('x-amz-security-token')), 'token not sent and signed');
  const credFile = file('credentials', `# test\n[default]\naws_access_key_id = nobody\n` +
    `aws_secret_access_key = ${SECRET}\n\n[profile test]\naws_access_key_id=${ACCESS_KEY}\n` +
    `aws_secret_access_key=${SECRET}\naws_session_token = ${TOKEN}\n`);
  const fileEnv = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SHARED_CREDENTIALS_FILE: credFile };
  mark = proxy.log.length;
  ok(await check('get', url('up/big.bin'), '0', '5', out, { ...fileEnv, AWS_PROFILE: 'test' }),
    'profile test');
  expect(requestsSince(mark)[0].headers['x-amz-security-token'] === TOKEN, 'file token unused');
  fails(await check('size', url('up/big.bin'), fileEnv), 'default profile key is not s3rver\'s',
    'InvalidAccessKeyId');
  fails(await check('size', url('up/big.bin'), { ...fileEnv, AWS_PROFILE: 'nope' }),
    'missing profile', "profile 'nope'", 'does not exist');
  const container = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${credsPort}/creds`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: 'Bearer container-token-xyz' };
  mark = proxy.log.length;
  ok(await check('get', url('up/big.bin'), '0', '5', out, container), 'container endpoint');
  expect(requestsSince(mark).every((r) => r.headers['x-amz-security-token'] === TOKEN),
    'container token unused');
  const bad = fails(await check('size', url('up/big.bin'),
    { ...container, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'Bearer wrong' }), 'bad container token',
  'HTTP 401');
  expect(!bad.stderr.includes('container-token-xyz') && !bad.stderr.includes('wrong'),
    'the container token leaked');
  fails(await check('size', url('up/big.bin'), { ...container,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds' }), 'insecure endpoint', 'https');
  fails(await check('size', url('up/big.bin'), { AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined }), 'no credentials', 'no AWS credentials');
});

test('tables: CSV and Arrow IPC on s3:// through cylon convert and head', async () => {
  if (!args.cylon) return;
  let csv = 'k,v,s\n';
  for (let i = 0; i < 20000; i++) csv += `${i},${(i * 0.25).toFixed(2)},"s ${i % 97}"\n`;
  const local = file('t.csv', csv);
  ok(await cylon(['convert', local, url('tables/t.csv')]), 'csv up');
  ok(await cylon(['convert', url('tables/t.csv'), join(tmp, 'back.csv')]), 'csv down');
  const back = readFileSync(join(tmp, 'back.csv'), 'utf8');
  ok(await cylon(['convert', local, join(tmp, 'direct.csv')]), 'csv local');
  expect(back === readFileSync(join(tmp, 'direct.csv'), 'utf8'), 'csv through s3 differs');
  ok(await cylon(['convert', url('tables/t.csv'), url('tables/t.arrow')]), 'csv to ipc on s3');
  ok(await cylon(['convert', url('tables/t.arrow'), join(tmp, 'ipc.csv')]), 'ipc down');
  expect(readFileSync(join(tmp, 'ipc.csv'), 'utf8') === back, 'ipc through s3 differs');
  const head = ok(await cylon(['head', url('tables/t.arrow')]), 'head');
  expect(head.stdout.includes('20,000 rows') || head.stdout.includes('20000'), `head: ${head.stdout}`);
  fails(await cylon(['head', url('tables/missing.csv')]), 'head missing', 'NoSuchKey');
});

test('tables: Parquet on s3:// through cylon convert, schema and head (ranged reads)', async () => {
  if (!args.cylon) return;
  let csv = 'k,x,s\n';
  for (let i = 0; i < 100000; i++) csv += `${i},${i}.25,s${(i * 7919) % 100003}\n`;
  const local = file('pq.csv', csv);
  ok(await cylon(['convert', local, url('tables/t.parquet'), '--row-group-rows', '10000',
    '--compression', 'none']), 'parquet up');
  const stored = await s3Get('tables/t.parquet');
  expect(stored && stored.subarray(0, 4).toString() === 'PAR1' &&
    stored.subarray(-4).toString() === 'PAR1', 'the object is not a Parquet file');
  ok(await cylon(['convert', url('tables/t.parquet'), join(tmp, 'pq_back.csv')]), 'parquet down');
  expect(readFileSync(join(tmp, 'pq_back.csv'), 'utf8') === csv, 'CSV -> Parquet on s3 -> CSV differs');
  ok(await cylon(['convert', url('tables/t.parquet'), url('tables/t2.parquet'), '--compression',
    'zstd']), 'parquet to parquet on s3');
  ok(await cylon(['convert', url('tables/t2.parquet'), join(tmp, 'pq_back2.csv')]), 'zstd down');
  expect(readFileSync(join(tmp, 'pq_back2.csv'), 'utf8') === csv, 'zstd copy on s3 differs');
  let mark = proxy.log.length;
  const schema = ok(await cylon(['schema', url('tables/t.parquet')]), 'schema');
  expect(/^k\s+int64$/m.test(schema.stdout) && /^x\s+float64$/m.test(schema.stdout) &&
    /^s\s+utf8$/m.test(schema.stdout), `schema: ${schema.stdout}`);
  // Bytes asked for by ranged GETs since mark: "a-b", or "-n" for the last n (a GET
  // without Range counts as the whole object).
  const fetched = () => requestsSince(mark).filter((r) => r.method === 'GET').reduce((n, r) => {
    const m = /^bytes=(\d*)-(\d+)$/.exec(r.headers.range ?? '');
    if (!m) return n + stored.length;
    return n + (m[1] === '' ? Number(m[2]) : Number(m[2]) - Number(m[1]) + 1);
  }, 0);
  // The footer comes with the object's last 64 KiB (s3rver answers that with the first,
  // so cylon may ask twice); nothing else.
  expect(fetched() < stored.length / 8, `schema fetched ${fetched()} of ${stored.length} bytes`);
  mark = proxy.log.length;
  const head = ok(await cylon(['head', url('tables/t.parquet'), '-n', '2', '-w', '200']), 'head');
  const lastS = `s${(99999 * 7919) % 100003}`;
  for (const want of ['100000 rows', '99999', lastS, ' 0.25 ', ' 99999.25 ']) {
    expect(head.stdout.includes(want), `head lacks "${want}": ${head.stdout}`);
  }
  // Footer, first and last of 10 row groups: well under half the file.
  expect(fetched() < stored.length / 2, `head fetched ${fetched()} of ${stored.length} bytes`);
  fails(await cylon(['schema', url('tables/missing.parquet')]), 'schema missing', 'NoSuchKey');
});

test('datasets on a prefix: shares for 1..4 and 7 ranks make the whole', async () => {
  const parts = [];
  for (let p = 0; p < 5; p++) {
    let t = 'id,name\n';
    for (let i = 0; i < 100 + p; i++) t += `${p * 1000 + i},n${i}\n`;
    parts.push(t);
    ok(await check('put', file(`p${p}.csv`, t), url(`ds/part-${p}.csv`)), 'put part');
  }
  ok(await check('put', file('succ', ''), url('ds/_SUCCESS')), 'put _SUCCESS');
  const whole = ok(await check('dataset', url('ds/'), '0', '1'), 'whole').stdout;
  const wantRows = parts.map((t) => t.split('\n').slice(1, -1)).flat();
  expect(JSON.stringify(whole.trim().split('\n').slice(1)) === JSON.stringify(wantRows), 'whole differs');
  for (const world of [2, 3, 4, 7]) {
    let rows = [];
    for (let rank = 0; rank < world; rank++) {
      const r = ok(await check('dataset', url('ds'), String(rank), String(world)), `rank ${rank}/${world}`);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0] === 'id,name', `rank ${rank}/${world} header ${lines[0]}`);
      rows = rows.concat(lines.slice(1));
    }
    expect(JSON.stringify(rows) === JSON.stringify(wantRows), `union of ${world} shares differs`);
  }
});

// ---- run --------------------------------------------------------------------------------

let failed = 0;
try {
  for (const c of cases) {
    if (args.filters.length && !args.filters.some((f) => c.name.includes(f))) continue;
    try {
      await c.fn();
      console.log(`ok    ${c.name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL  ${c.name}\n      ${e.message.replaceAll('\n', '\n      ')}`);
    }
  }
  const leaks = messages.filter((m) => m.includes(SECRET) || m.includes(TOKEN) ||
    m.includes('container-token-xyz'));
  if (leaks.length) {
    failed++;
    console.log(`FAIL  a secret appeared in cylon's output:\n${leaks[0]}`);
  } else {
    console.log(`ok    no secret in ${messages.length} outputs`);
  }
} finally {
  await stopServers();
}
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
