// sigv4_diff.mjs - cylon's SigV4 signer against the official AWS signer from npm.
//
//   node tests/oracle/sigv4_diff.mjs --sign build/tests/oracle/sigv4_sign [--cases N]
//        [--seed S] [--verbose]
//
// Signs the same requests with cylon (the sigv4_sign program, tests/io/sigv4_sign.c) and
// with @smithy/signature-v4 (what the AWS SDK for JavaScript v3 signs S3 requests with,
// configured as its S3 client configures it: the path encoded once by the caller, payload
// hashes in x-amz-content-sha256) and compares them header by header: Authorization
// (credential scope, signed headers, signature), x-amz-date, x-amz-content-sha256,
// x-amz-security-token, and the encoded path; for presigned URLs every query parameter.
// The requests: hand-written S3 calls (GET with Range, PUT with a payload hash, the
// multipart calls with partNumber / uploadId, ListObjectsV2 with query values needing
// encoding, a session token, untidy header values, keys with spaces, unicode, '+', '~',
// '/', '%', '!', '*' and friends) and seeded random ones. The path is encoded for the AWS
// signer with the SDK's own escapeUri, so neither side borrows the other's encoding.
// Exit status 0 when every request signed the same.

import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SignatureV4 } = require('@smithy/signature-v4');
const { escapeUri } = require('@smithy/core/protocols');

const args = { sign: null, cases: 300, seed: 4242, verbose: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--sign') args.sign = process.argv[++i];
  else if (a === '--cases') args.cases = Number(process.argv[++i]);
  else if (a === '--seed') args.seed = Number(process.argv[++i]);
  else if (a === '--verbose' || a === '-v') args.verbose = true;
  else throw new Error(`unknown option ${a}`);
}
if (!args.sign || !existsSync(args.sign)) throw new Error('--sign PATH_TO_sigv4_sign is required');

/** The hash constructor the signer wants, on node's crypto (as @smithy/hash-node does). */
class Sha256 {
  constructor(secret) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

const sha256Hex = (s) => createHash('sha256').update(s).digest('hex');
const EMPTY = sha256Hex('');

/** S3 keys are encoded segment by segment, '/' kept (the SDK's greedy label). */
const encodePath = (p) => p.split('/').map(escapeUri).join('/');

// ---- the two signers --------------------------------------------------------------------

/** cylon's answer for request r. */
function ours(r) {
  const argv = ['--method', r.method, '--host', r.host, '--path', r.path, '--time',
    String(r.time), '--region', r.region, '--service', 's3', '--access-key', r.ak,
    '--secret-key', r.sk];
  if (r.token) argv.push('--token', r.token);
  for (const [k, v] of r.query) argv.push('--query', `${k}=${v}`);
  for (const [k, v] of Object.entries(r.headers)) argv.push('--header', `${k}:${v}`);
  if (r.payloadHash) argv.push('--payload-hash', r.payloadHash);
  if (r.presign) argv.push('--presign', String(r.presign));
  const p = spawnSync(args.sign, argv, { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`sigv4_sign failed (${p.status}): ${p.stderr}`);
  return JSON.parse(p.stdout);
}

/** The AWS signer's answer for request r, in the same shape. */
async function theirs(r) {
  const signer = new SignatureV4({ credentials: { accessKeyId: r.ak, secretAccessKey: r.sk,
    sessionToken: r.token }, region: r.region, service: 's3', sha256: Sha256,
  uriEscapePath: false, applyChecksum: true });
  const query = {};
  for (const [k, v] of r.query) {
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  const payload = r.payloadHash ?? (r.presign ? 'UNSIGNED-PAYLOAD' : EMPTY);
  const request = { method: r.method, protocol: 'https:', hostname: r.host,
    path: encodePath(r.path), query, headers: { host: r.host, ...r.headers,
      'x-amz-content-sha256': payload } };
  const signingDate = new Date(r.time * 1000);
  if (r.presign) {
    // cylon signs a presigned request's headers as headers; the SDK would hoist x-amz-*
    // ones into the query unless told not to (both are valid SigV4).
    const keep = new Set(['x-amz-content-sha256', ...Object.keys(r.headers).map((h) => h.toLowerCase())]);
    const signed = await signer.presign(request, { signingDate, expiresIn: r.presign,
      unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: keep });
    return { path: signed.path, query: signed.query };
  }
  const signed = await signer.sign(request, { signingDate });
  return { path: request.path, headers: signed.headers };
}

/** "AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b, Signature=c" -> {Credential, ...}. */
function authParts(h) {
  const m = /^AWS4-HMAC-SHA256 (.*)$/.exec(h ?? '');
  if (!m) return { raw: h };
  return Object.fromEntries(m[1].split(',').map((s) => s.trim().split(/=(.*)/s).slice(0, 2)));
}

/** Our encoded query string as a map of decoded names to values (arrays when repeated). */
function queryMap(q) {
  const out = {};
  for (const part of q ? q.split('&') : []) {
    const [k, v] = part.split(/=(.*)/s).map(decodeURIComponent);
    if (k in out) out[k] = [].concat(out[k], v);
    else out[k] = v ?? '';
  }
  return out;
}

/** The differences between the two answers (empty when they agree). */
async function compare(r) {
  const a = ours(r);
  const b = await theirs(r);
  const diffs = [];
  const same = (what, x, y) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) diffs.push(`${what}: cylon ${JSON.stringify(x)} aws ${JSON.stringify(y)}`);
  };
  same('path', a.path, b.path);
  if (r.presign) {
    const qa = queryMap(a.query), qb = { ...b.query };
    for (const k of new Set([...Object.keys(qa), ...Object.keys(qb)])) {
      const sort = (v) => (Array.isArray(v) ? [...v].sort() : v);
      same(`query ${k}`, sort(qa[k]), sort(qb[k]));
    }
    return { diffs, a };
  }
  const pa = authParts(a.authorization), pb = authParts(b.headers.authorization);
  for (const k of ['Credential', 'SignedHeaders', 'Signature', 'raw']) same(`Authorization ${k}`, pa[k], pb[k]);
  for (const h of ['x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'])
    same(h, a[h] ?? undefined, b.headers[h]);
  return { diffs, a };
}

// ---- the requests -----------------------------------------------------------------------

const base = { host: 'examplebucket.s3.amazonaws.com', region: 'us-east-1',
  ak: 'AKIAIOSFODNN7EXAMPLE', sk: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  time: 1700000000, query: [], headers: {} };
const req = (over) => ({ ...base, ...over });

const fixed = [
  ['GET with Range', req({ method: 'GET', path: '/data/part 0001.parquet',
    headers: { range: 'bytes=1048576-2097151' } })],
  ['GET with Range, path style on a custom endpoint', req({ method: 'GET', host: '127.0.0.1:9000',
    path: '/bucket/dir/ü€/file.csv', headers: { Range: 'bytes=-65536' } })],
  ['PUT with a payload hash', req({ method: 'PUT', path: '/out/result.csv',
    payloadHash: sha256Hex('k,v\n1,2\n'), headers: { 'content-type': 'text/csv',
      'x-amz-meta-origin': 'cylon' } })],
  ['CreateMultipartUpload', req({ method: 'POST', path: '/big/object.parquet',
    query: [['uploads', '']] })],
  ['UploadPart with partNumber and uploadId', req({ method: 'PUT', path: '/big/object.parquet',
    query: [['partNumber', '17'], ['uploadId', 'VXBsb2FkIElE/aGVyZQ+dGhpcw==~x y']],
    payloadHash: sha256Hex('part bytes') })],
  ['CompleteMultipartUpload', req({ method: 'POST', path: '/big/object.parquet',
    query: [['uploadId', 'abc/def+ghi==']], payloadHash: sha256Hex('<CompleteMultipartUpload/>'),
    headers: { 'content-type': 'application/xml' } })],
  ['AbortMultipartUpload', req({ method: 'DELETE', path: '/big/object.parquet',
    query: [['uploadId', 'abc/def+ghi==']] })],
  ['ListObjectsV2 with values needing encoding', req({ method: 'GET', path: '/',
    query: [['list-type', '2'], ['prefix', 'a b/c+d~e/ü€!*\'()'], ['max-keys', '7'],
      ['continuation-token', '1a/b+c==?&='], ['encoding-type', 'url'], ['delimiter', '/'],
      ['start-after', 'x y%z']] })],
  ['query names needing encoding, repeated names, empty values', req({ method: 'GET',
    path: '/k', query: [['a b', '1'], ['z', ''], ['m', '2'], ['m', '1'], ['ü', 'ü']] })],
  ['session token', req({ method: 'GET', path: '/secret/data.csv',
    token: 'IQoJb3JpZ2luX2VjEHMaCXVzLWVhc3QtMSJHMEUCIQ+/long==', headers: { range: 'bytes=0-9' } })],
  ['untidy header values', req({ method: 'PUT', path: '/h', payloadHash: EMPTY,
    headers: { 'x-amz-meta-a': '  two   spaces\tand tab  ', 'X-Amz-Meta-B': 'Case' } })],
  ['keys with every awkward character', req({ method: 'GET',
    path: '/bucket/!\'()*$&,;=@:+ %~#[]{}"<>^`|\\/ü/日本/😀/x..y/./z' })],
  ['HEAD in another region', req({ method: 'HEAD', path: '/k', region: 'eu-central-1',
    host: 'b.s3.eu-central-1.amazonaws.com' })],
  ['presigned GET', req({ method: 'GET', path: '/test.txt', presign: 86400 })],
  ['presigned PUT with a token and a query', req({ method: 'PUT', path: '/up/ü x.bin',
    presign: 3600, token: 'tok/en+==', query: [['partNumber', '1'], ['uploadId', 'u/+=']] })],
];

/** Seeded random requests (xorshift, so a failure can be replayed with --seed). */
function randomCases(n, seed) {
  let x = seed >>> 0 || 1;
  const rnd = (k) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % k;
  };
  const alphabet = [...'abcXYZ019-._~ /+=&?%!*\'()$@:,;#[]"', 'ü', '€', '日', '😀', '\t'];
  const word = (len) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
  const out = [];
  for (let i = 0; i < n; i++) {
    const query = [];
    for (let q = rnd(4); q > 0; q--) query.push([word(1 + rnd(6)).replaceAll('=', 'e'), word(rnd(8))]);
    const headers = {};
    for (let h = rnd(3); h > 0; h--) headers[`x-amz-meta-${'abcdef'[rnd(6)]}${i}`] = word(1 + rnd(10)).replaceAll('\t', ' ').replace(/:/g, ';');
    if (rnd(2)) headers.range = `bytes=${rnd(1000)}-${1000 + rnd(1000)}`;
    out.push([`random ${i}`, req({ method: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'][rnd(5)],
      path: `/${word(1 + rnd(20))}`.replace(/\/\.{1,2}(?=\/|$)/g, '/x'), query, headers,
      time: 946684800 + rnd(1e9), region: ['us-east-1', 'eu-west-3', 'ap-south-1'][rnd(3)],
      token: rnd(3) === 0 ? word(20) : undefined,
      payloadHash: rnd(2) ? sha256Hex(word(30)) : undefined,
      presign: rnd(5) === 0 ? 1 + rnd(604800) : undefined })]);
  }
  return out;
}

// ---- run --------------------------------------------------------------------------------

let failed = 0, count = 0;
for (const [name, r] of [...fixed, ...randomCases(args.cases, args.seed)]) {
  count++;
  try {
    const { diffs, a } = await compare(r);
    if (diffs.length) {
      failed++;
      console.log(`FAIL  ${name}\n      ${diffs.join('\n      ')}\n      canonical request:\n${a.canonicalRequest}`);
    } else if (args.verbose || !name.startsWith('random')) {
      console.log(`ok    ${name}`);
    }
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}: ${e.message}`);
  }
}
console.log(failed ? `${failed} of ${count} requests signed differently` : `all ${count} requests signed the same`);
process.exit(failed ? 1 : 0);
