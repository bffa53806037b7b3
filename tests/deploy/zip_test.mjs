// zip_test.mjs - the Lambda zip of deploy/aws/build-zip.sh, unpacked and run as a function
// under `cylon lambda-local`: the zip has the layout Lambda expects, its `bootstrap` starts
// the packaged binary with the packaged libraries, and one invocation runs a small plan
// whose result is checked against a hand-computed answer.
//
//   node tests/deploy/zip_test.mjs --cylon build/cylon
//
// What it proves: the zip unpacks (with `unzip`, as Lambda does) into bootstrap, bin/cylon
// and lib/; bootstrap is executable and answers the Runtime API; the running environment's
// process is the packaged program (its /proc/PID/exe lies in the unpacked directory) and
// maps libcurl and hiredis from lib/, not from the system; the answer is metrics JSON and
// the plan's output (a group-by of a CSV file) equals the sums computed here. The zip's
// `cylon` wrapper runs any command, and S3 requests use the CA file of CURL_CA_BUNDLE, which
// the wrapper sets to this machine's own when unset.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
let cylon = null;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--cylon') cylon = resolve(process.argv[++i]);
  else throw new Error(`unknown option ${process.argv[i]}`);
}
if (!cylon || !existsSync(cylon)) throw new Error('--cylon PATH is required');

let failures = 0;
function expect(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tmp = mkdtempSync(join(tmpdir(), 'cylon-zip-'));
let host = null;
async function checkZip(dir, buildArgs, first) {
  mkdirSync(dir);
  // ---- build and unpack ----
  const zip = join(dir, 'cylon-lambda.zip');
  const built = spawnSync(join(root, 'deploy/aws/build-zip.sh'), ['--cylon', cylon, '--out', zip,
    ...buildArgs], { encoding: 'utf8' });
  process.stderr.write(built.stderr);
  if (built.status !== 0) throw new Error(`build-zip.sh failed (${built.status})`);
  if (first) {
    // --glibc system refuses a binary that needs a newer glibc than the target's, naming it.
    const tooNew = spawnSync(join(root, 'deploy/aws/build-zip.sh'), ['--cylon', cylon, '--out',
      join(dir, 'no.zip'), '--glibc', 'system', '--max-glibc', '2.0'], { encoding: 'utf8' });
    expect(tooNew.status === 1 && /needs glibc [\d.]+ but the target has 2\.0: .*GLIBC_/.test(tooNew.stderr) &&
      !existsSync(join(dir, 'no.zip')), `--glibc system with an older target fails clearly: ${tooNew.stderr}`);
  }
  const task = join(dir, 'task'); // what Lambda's /var/task would be
  const unzip = spawnSync('unzip', ['-q', zip, '-d', task], { encoding: 'utf8' });
  if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr}`);
  const top = readdirSync(task).sort();
  expect(JSON.stringify(top) === JSON.stringify(['bin', 'bootstrap', 'cylon', 'lib']),
    `the zip holds bootstrap, cylon, bin/, lib/ at its top: ${top}`);
  const mode = statSync(join(task, 'bootstrap')).mode;
  expect((mode & 0o111) === 0o111, `bootstrap is executable by all (mode ${mode.toString(8)})`);
  expect((statSync(join(task, 'bin/cylon')).mode & 0o111) === 0o111, 'bin/cylon is executable');
  const libs = readdirSync(join(task, 'lib'));
  for (const want of ['libcurl.so.4', 'libcrypto.so.3'])
    expect(libs.includes(want), `lib/ has ${want}: ${libs}`);
  expect(libs.some((l) => l.startsWith('libhiredis.so')), `lib/ has hiredis: ${libs}`);
  if (buildArgs.includes('system'))
    expect(!libs.some((l) => /^(ld-linux|libc\.so)/.test(l)), `no glibc in a --glibc system zip: ${libs}`);

  if (first) {
    // ---- the zip's `cylon` wrapper, and the CA file for S3 over https ----
    // A TCP listener that hangs up on the TLS hello: the request fails at the handshake, after
    // libcurl has loaded its CA file, so the error shows which file that was.
    const tlsless = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.on('data', () => sock.destroy());
    });
    await new Promise((r) => tlsless.listen(0, '127.0.0.1', r));
    const s3Https = async (extra) => new Promise((res) => {
      const child = spawn(join(task, 'cylon'), ['schema', 's3://b/k.csv'], { env: { PATH: process.env.PATH,
        HOME: dir, AWS_ENDPOINT_URL: `https://127.0.0.1:${tlsless.address().port}`, AWS_MAX_ATTEMPTS: '1',
        AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', ...extra } });
      let err = '';
      child.stderr.on('data', (d) => { err += d; });
      child.on('close', (status) => res({ status, err }));
    });
    const badCa = await s3Https({ CURL_CA_BUNDLE: join(dir, 'no-such-ca.pem') });
    expect(badCa.status === 1 && badCa.err.includes(join(dir, 'no-such-ca.pem')),
      `CURL_CA_BUNDLE is the CA file S3 requests use: ${badCa.err}`);
    const hostCa = await s3Https({});
    expect(hostCa.status === 1 && /SSL/.test(hostCa.err) && !/certificate file/.test(hostCa.err),
      `without CURL_CA_BUNDLE the wrapper finds this machine's CA file: ${hostCa.err}`);
    tlsless.close();
  }

  // ---- the data and the plan: sums of v per k, written as CSV ----
  let csv = 'k,v\n';
  const sums = new Map();
  for (let i = 0; i < 500; i++) {
    const k = (i * 7) % 13, v = (i * 31) % 101 - 50;
    csv += `${k},${v}\n`;
    sums.set(k, (sums.get(k) ?? 0) + v);
  }
  writeFileSync(join(dir, 'in.csv'), csv);
  const outCsv = join(dir, 'out.csv');
  const event = { job: 'j-1-zip', world: 1, plan: { steps: [
    { id: 't', op: 'read', path: join(dir, 'in.csv') },
    { id: 'g', op: 'groupby', input: 't', by: ['k'], aggs: { v: ['sum'] } },
    { op: 'write', input: 'g', path: outCsv }] } };

  // ---- the host, with the unpacked bootstrap as the function's runtime ----
  const env = { PATH: process.env.PATH, HOME: dir };
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'])
    if (process.env[k]) env[k] = process.env[k];
  const readyFile = join(dir, 'port');
  host = spawn(cylon, ['lambda-local', '--port', '0', '--ready-file', readyFile, '--memory', '0',
    '--timeout', '60', '--concurrency', '2', '--', join(task, 'bootstrap')],
  { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let hostStderr = '';
  host.stderr.on('data', (d) => { hostStderr += d; process.stderr.write(d); });
  for (let i = 0; i < 200 && !existsSync(readyFile); i++) await sleep(50);
  const port = Number(readFileSync(readyFile, 'utf8'));

  const body = JSON.stringify(event);
  const res = await new Promise((resolveRes, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST',
      path: '/2015-03-31/functions/cylon/invocations',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
        // lambda-local wants a SigV4 header as AWS does, but does not check it
        Authorization: 'AWS4-HMAC-SHA256 Credential=TEST/20260101/us-east-1/lambda/aws4_request, ' +
          'SignedHeaders=host, Signature=00' } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolveRes({ status: r.statusCode, headers: r.headers,
        body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
  expect(res.status === 200 && !res.headers['x-amz-function-error'],
    `the invocation succeeds: ${res.status} ${res.headers['x-amz-function-error'] ?? ''} ${res.body}`);
  let metrics = {};
  try { metrics = JSON.parse(res.body); } catch { /* reported below */ }
  expect(metrics.rows_read === 500 && metrics.rows_written === sums.size &&
    typeof metrics.seconds?.total === 'number', `metrics JSON: ${res.body}`);

  // The environment stays up, idle, for the next event: look at what it is running.
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === host.pid;
    } catch { return false; }
  });
  expect(children.length === 1, `one environment process under the host: ${children}`);
  for (const pid of children) {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    expect(exe.startsWith(task + '/'), `the environment runs a program from the zip: ${exe}`);
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    expect(maps.includes(join(task, 'bin/cylon')), 'it maps bin/cylon from the zip');
    // Every shared library it maps comes from the zip (glibc too when the zip bundles it).
    const mapped = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '')
      .filter((f) => /\.so(\.|$)/.test(f)))];
    const bundlesGlibc = libs.some((l) => l.startsWith('ld-linux'));
    const foreign = mapped.filter((f) => !f.startsWith(join(task, 'lib') + '/') &&
      (bundlesGlibc || !/\/(ld-linux[^/]*|lib(c|m|pthread|dl|rt|resolv)\.so[^/]*)$/.test(f)));
    expect(mapped.length > 5 && foreign.length === 0,
      `no library from outside the zip (glibc ${bundlesGlibc ? 'bundled' : 'from the system'}): ${foreign}`);
    for (const lib of ['libcurl.so.4', 'libhiredis.so']) {
      const lines = maps.split('\n').filter((l) => l.includes(`/${lib}`));
      expect(lines.length > 0 && lines.every((l) => l.includes(join(task, 'lib') + '/')),
        `${lib} comes from the zip's lib/: ${[...new Set(lines.map((l) => l.split(/\s+/).at(-1)))]}`);
    }
  }

  // ---- the result ----
  const got = existsSync(outCsv) ? readFileSync(outCsv, 'utf8').trim().split('\n') : [];
  const header = got.shift();
  expect(header === 'k,v_sum', `output header: ${header}`);
  const gotRows = got.map((l) => l.split(',').map(Number)).sort((a, b) => a[0] - b[0]);
  const want = [...sums.entries()].sort((a, b) => a[0] - b[0]);
  expect(JSON.stringify(gotRows) === JSON.stringify(want),
    `sums per k:\n got  ${JSON.stringify(gotRows)}\n want ${JSON.stringify(want)}`);

  const hostExit = new Promise((r) => host.on('close', (code) => r(code)));
  host.kill('SIGTERM');
  expect(await hostExit === 0, 'lambda-local exits cleanly on SIGTERM');
  host = null;
  expect(!/Sanitizer|runtime error:/.test(hostStderr), 'no sanitizer report from the host or worker');
}

try {
  // Here (Debian 12) the zip bundles glibc: its libraries need a newer one than AL2023's.
  await checkZip(join(tmp, 'bundled'), [], true);
  // As the Dockerfile builds it on AL2023: the system's glibc, libraries through
  // LD_LIBRARY_PATH (a target glibc as new as this machine's, so nothing is bundled).
  await checkZip(join(tmp, 'system'), ['--glibc', 'system', '--max-glibc', '99.0'], false);
} finally {
  if (host) host.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.error('zip_test: ok');
