// submit_test.mjs - the serverless path end to end on loopback: redis-server, s3rver (npm),
// `cylon lambda-local` and `cylon rendezvous` started here (harness.mjs), `cylon submit` run
// against them, the published result compared with DuckDB's answer to the same query on
// the same data.
//
//   node tests/serverless/submit_test.mjs --cylon build/cylon [--workers N]
//
// Cases: examples/join.json (a join + groupby over two CSV tables in S3, Parquet parts
// under a temporary prefix, published by _manifest.json), then faults that must each fail
// with a clear error, leave no manifest, no temporary objects and no job keys in Redis: an
// unknown operator, Redis unreachable, a wrong token, a bucket that does not exist. The
// worker count is a parameter: with N > 1 the ranks join a tcp communicator through the
// Redis bootstrap and the N parts together must equal DuckDB's answer; the same job then
// runs with its ranks connecting through the rendezvous server (every pair direct on
// loopback, as the summary must say) and relayed by it (CYLON_NAT_RELAY=1: every pair
// relayed), each again equal to DuckDB's answer.
import { startServers, expect, finish, freePort } from './harness.mjs';
import { existsSync } from 'node:fs';

const args = { cylon: null, workers: 1 };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--cylon') args.cylon = process.argv[++i];
  else if (process.argv[i] === '--workers') args.workers = Number(process.argv[++i]);
  else throw new Error(`unknown option ${process.argv[i]}`);
}
if (!args.cylon || !existsSync(args.cylon)) throw new Error('--cylon PATH is required');

const RDV_TOKEN = 'rendezvous-token-of-the-test';
const S = await startServers({ cylon: args.cylon, workers: args.workers,
  rendezvous: args.workers > 1 ? RDV_TOKEN : null });
const N = args.workers;
const pairs = (N * (N - 1)) / 2;

try {
  // ---- the job ----
  // examples/join.json as it is (its inputs are s3://cylon/in/...): one Parquet part per
  // rank that has rows, listed by the manifest; DuckDB reads the parts back.
  const want = await S.want();
  const ok = await S.submit('result', S.joinExample());
  expect(ok.status === 0, `submit succeeds (status ${ok.status}): ${ok.stderr}`);
  const { got } = await S.published('result', N);
  expect(got.length === 5 && JSON.stringify(got) === JSON.stringify(want),
    `result equals DuckDB's:\n got  ${got}\n want ${want}`);
  expect(/per GB-s/.test(ok.stderr) && /phase\s+min s/.test(ok.stderr), 'a summary is printed');
  if (N > 1)
    expect(new RegExp(`pairs: ${pairs} direct, 0 relayed`).test(ok.stderr),
      `the summary gives the mesh's paths (all direct): ${ok.stderr}`);
  expect(S.redisCli('KEYS', 'cylon:*') === '', `no job or bootstrap keys left after success ` +
    `(found ${S.redisCli('KEYS', 'cylon:*')})`);

  // ---- through the rendezvous server ----
  if (N > 1) {
    for (const mode of ['direct', 'relay']) {
      const name = `rdv-${mode}`;
      // CYLON_DIRECT=0: the workers share this machine, and would otherwise copy the
      // fixed-width shuffle's rows straight into each other's memory, not through the pairs
      // under test
      const env = { CYLON_RENDEZVOUS_TOKEN: RDV_TOKEN, CYLON_DIRECT: '0' };
      if (mode === 'relay') env.CYLON_NAT_RELAY = '1';
      const logMark = S.rendezvousLog.length;
      const r = await S.submit(name, S.joinExample(), { extra: ['--rendezvous', S.rendezvous], env });
      expect(r.status === 0, `${name}: submit succeeds (status ${r.status}): ${r.stderr}`);
      const res = await S.published(name, N);
      expect(JSON.stringify(res.got) === JSON.stringify(want),
        `${name}: result equals DuckDB's:\n got  ${res.got}\n want ${want}`);
      console.error(`${name}: ${r.stderr.slice(r.stderr.indexOf('pairs:'))}`);
      const line = mode === 'direct' ? `pairs: ${pairs} direct, 0 relayed` : `pairs: 0 direct, ${pairs} relayed`;
      expect(r.stderr.includes(line), `${name}: the summary says "${line}":\n${r.stderr}`);
      const pathWord = mode === 'direct' ? 'direct' : 'relay';
      expect(new RegExp(`path 0-1 ${pathWord}\\b`).test(r.stderr) &&
        new RegExp(`${N - 2}-${N - 1} ${pathWord}\\b`).test(r.stderr),
      `${name}: each pair's path is listed: ${r.stderr}`);
      const job = /job (j-[0-9a-f-]+)/.exec(r.stderr)?.[1];
      const log = S.rendezvousLog.slice(logMark);
      expect(job && log.includes(job), `${name}: the rendezvous server paired job ${job}:\n${log}`);
      expect(S.redisCli('KEYS', 'cylon:*') === '', `${name}: no keys left`);
    }
    // A wrong rendezvous token: refused by the server, named in the error, nothing left.
    const bad = await S.submit('rdv-token', S.joinExample(), { extra: ['--rendezvous', S.rendezvous],
      env: { CYLON_RENDEZVOUS_TOKEN: 'not-the-token' } });
    expect(bad.status !== 0 && /wrong token/.test(bad.stderr), `wrong rendezvous token: ${bad.stderr}`);
    await S.nothingLeft('rdv-token', 'wrong rendezvous token');
  }

  // ---- faults ----
  const unknownOp = await S.submit('badop', S.plan({ op: 'frobnicate' }));
  expect(unknownOp.status !== 0 && /unknown op "frobnicate"/.test(unknownOp.stderr),
    `unknown operator: ${unknownOp.stderr}`);
  await S.nothingLeft('badop', 'unknown operator');

  const deadPort = await freePort();
  const noRedis = await S.submit('noredis', S.plan(), { bootstrap: `redis://127.0.0.1:${deadPort}` });
  expect(noRedis.status !== 0 && new RegExp(`redis 127.0.0.1:${deadPort} unreachable`).test(noRedis.stderr),
    `redis unreachable: ${noRedis.stderr}`);
  await S.nothingLeft('noredis', 'redis unreachable');

  const wrongToken = await S.submit('token', S.plan(), { extra: ['--worker-token', 'not-the-token'] });
  expect(wrongToken.status !== 0 && /token of this event does not match/.test(wrongToken.stderr),
    `wrong token: ${wrongToken.stderr}`);
  await S.nothingLeft('token', 'wrong token');

  const noBucket = await S.submit('nobucket', S.plan({ bucket: 'no-such-bucket' }));
  expect(noBucket.status !== 0 && /no-such-bucket/.test(noBucket.stderr),
    `missing bucket: ${noBucket.stderr}`);
  await S.nothingLeft('nobucket', 'missing bucket');
} finally {
  await S.stop();
}
finish('submit_test');
