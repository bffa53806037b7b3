// nat_test.mjs - the serverless path with its workers behind real NATs: run by
// test_nat_submit.sh inside the lab's "public" namespace (tests/net/netns_lab.sh), where
// s3rver, redis-server, `cylon lambda-local` and `cylon rendezvous` listen on 203.0.113.1;
// lambda-local starts each worker in one of the four private namespaces (--worker-netns),
// so the workers reach all of them through their masquerading routers.
//
//   node tests/serverless/nat_test.mjs --cylon build/cylon --host ADDR --netns A,B,C,D
//        --expect direct|relay
//
// `cylon submit` of examples/join.json with 4 workers through the rendezvous server: the
// result equals DuckDB's, the summary says all 6 pairs took the expected path (direct: the
// routers keep ports and hole punching works; relay: they map ports at random, a symmetric
// NAT, and the job completes through the relay), and the rendezvous server saw the ranks
// from the four routers' public addresses (10.77.I.2), i.e. from behind their NATs.
import { startServers, expect, finish } from './harness.mjs';
import { existsSync } from 'node:fs';

const args = { cylon: null, host: null, netns: null, expect: null };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || i + 1 >= process.argv.length) throw new Error(`bad option ${process.argv[i]}`);
  args[k] = process.argv[++i];
}
if (!args.cylon || !existsSync(args.cylon)) throw new Error('--cylon PATH is required');
if (!args.host || !args.netns || !['direct', 'relay'].includes(args.expect))
  throw new Error('--host, --netns and --expect direct|relay are required');

const TOKEN = 'nat-submit-token-of-the-test';
const N = 4, pairs = 6;
// One environment per namespace: --concurrency 4 keeps environment k in namespace k.
const S = await startServers({ cylon: args.cylon, workers: N, rendezvous: TOKEN, host: args.host,
  hostArgs: ['--concurrency', String(N), '--worker-netns', args.netns] });

try {
  const want = await S.want();
  const name = `nat-${args.expect}`;
  const r = await S.submit(name, S.joinExample(), { extra: ['--rendezvous', S.rendezvous],
    // CYLON_DIRECT=0: all rows through the NATs (the workers share this machine's kernel)
    env: { CYLON_RENDEZVOUS_TOKEN: TOKEN, CYLON_DIRECT: '0' } });
  expect(r.status === 0, `${name}: submit succeeds (status ${r.status}): ${r.stderr}`);
  const { got } = await S.published(name, N);
  expect(got.length === 5 && JSON.stringify(got) === JSON.stringify(want),
    `${name}: result equals DuckDB's:\n got  ${got}\n want ${want}`);
  console.error(`${name}: ${r.stderr.slice(r.stderr.indexOf('pairs:'))}`);
  const line = args.expect === 'direct' ? `pairs: ${pairs} direct, 0 relayed`
    : `pairs: 0 direct, ${pairs} relayed`;
  expect(r.stderr.includes(line), `${name}: the summary says "${line}":\n${r.stderr}`);
  const word = args.expect === 'direct' ? 'direct' : 'relay';
  for (let a = 0; a < N; a++)
    for (let b = a + 1; b < N; b++)
      expect(new RegExp(`\\b${a}-${b} ${word}\\b`).test(r.stderr), `${name}: pair ${a}-${b} ${word}`);
  for (let i = 1; i <= N; i++)
    expect(S.rendezvousLog.includes(`10.77.${i}.2`),
      `${name}: a rank registered from behind router ${i} (10.77.${i}.2):\n${S.rendezvousLog}`);
  expect(S.redisCli('KEYS', 'cylon:*') === '', `${name}: no keys left`);
} finally {
  await S.stop();
}
finish(`nat_test ${args.expect}`);
