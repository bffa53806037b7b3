// faults_test.mjs - a serverless job's failures end to end on loopback (harness.mjs:
// redis-server, s3rver behind the fault-injecting proxy, `cylon lambda-local`), 4 workers:
//
//   node tests/serverless/faults_test.mjs --cylon build/cylon
//
// - A worker killed mid-job: rank 2 SIGKILLs itself as its join starts (the worker's test
//   hook CYLON_TEST_FAULT, passed on in the event), while its peers wait for its part of
//   the join's shuffle. The job must fail well before its deadline with an error naming
//   rank 2 and the signal (the invocation's failure mapped to its rank through Redis),
//   every other rank must stop (none still running when submit gives up), and nothing may
//   be published or left in S3 or Redis.
// - The job's deadline: rank 1 stalls in its join (the hook again) past submit's
//   --timeout; submit must abort naming the deadline and where the ranks were, every
//   rank must stop, nothing published, no keys left.
// - S3 503s: the proxy answers the first attempt of every distinct S3 request with 503
//   SlowDown; the workers (and submit) retry, the job succeeds, and the result equals
//   DuckDB's. Its warm workers ran the two jobs above: none may carry their test hook on.
import { startServers, expect, finish } from './harness.mjs';
import { existsSync } from 'node:fs';

const args = { cylon: null };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--cylon') args.cylon = process.argv[++i];
  else throw new Error(`unknown option ${process.argv[i]}`);
}
if (!args.cylon || !existsSync(args.cylon)) throw new Error('--cylon PATH is required');

const N = 4;
const S = await startServers({ cylon: args.cylon, workers: N, proxy: true });

/** The lines of submit's "how each rank ended:" report, by rank. */
function ends(stderr) {
  const out = {};
  const i = stderr.indexOf('how each rank ended:');
  if (i < 0) return out;
  for (const m of stderr.slice(i).matchAll(/^ {2}rank (\d+): (.*)$/gm)) out[m[1]] = m[2];
  return out;
}

function everyRankStopped(name, stderr, cause) {
  // Shown in the test's log: the failure and how each rank ended.
  const i = stderr.search(/^job \S+ failed/m);
  console.error(`${name}:\n${i >= 0 ? stderr.slice(i) : stderr}`);
  const e = ends(stderr);
  for (let r = 0; r < N; r++) {
    expect(r in e, `${name}: rank ${r}'s end is reported:\n${stderr}`);
    expect(!/still running|succeeded/.test(e[r] ?? ''), `${name}: rank ${r} stopped: ${e[r]}`);
  }
  for (let r = 0; r < N; r++)
    if (r !== cause) expect(/^Aborted|lost rank|aborted/.test(e[r] ?? ''),
      `${name}: rank ${r} failed because of the job's failure, not by itself: ${e[r]}`);
}

try {
  const want = await S.want();

  // ---- a worker killed in the middle of the job ----
  const killed = await S.submit('killed', S.plan(), { env: { CYLON_TEST_FAULT: 'kill:2:join' } });
  expect(killed.status === 1, `killed: submit fails (status ${killed.status})`);
  expect(/job j-\S+ failed: rank 2 failed: Runtime\.ExitError: the runtime was killed by signal 9/
    .test(killed.stderr), `killed: the error names rank 2 and the signal:\n${killed.stderr}`);
  expect(!/deadline/.test(killed.stderr), `killed: failed by the kill, not the deadline`);
  everyRankStopped('killed', killed.stderr, 2);
  await S.nothingLeft('killed', 'killed worker');

  // ---- the job's deadline ----
  const late = await S.submit('late', S.plan(), { timeout: 5,
    env: { CYLON_TEST_FAULT: 'sleep:1:join:60' } });
  expect(late.status === 1, `late: submit fails (status ${late.status})`);
  expect(/job j-\S+ failed: the job's deadline \(--timeout 5 s\) passed with rank/.test(late.stderr),
    `late: the error names the deadline and the ranks still running:\n${late.stderr}`);
  expect(/passed with [^\n]*rank 1 \(join j\)/.test(late.stderr),
    `late: rank 1 is named, in its join:\n${late.stderr}`);
  everyRankStopped('late', late.stderr, 1);
  await S.nothingLeft('late', 'deadline');

  // ---- S3 503s, retried ----
  S.proxy.firstAttempts = '503';
  const mark = S.proxy.log.length;
  const slow = await S.submit('slowdown', S.joinExample(), { env: { CYLON_S3_RETRY_BASE_MS: '10' } });
  S.proxy.firstAttempts = null;
  expect(slow.status === 0, `slowdown: submit succeeds through 503s (status ${slow.status}):\n${slow.stderr}`);
  const log = S.proxy.log.slice(mark);
  const refusedReads = log.filter((e) => e.fault === '503' && e.method === 'GET' && e.url.includes('/in/'));
  const refusedWrites = log.filter((e) => e.fault === '503' && e.method !== 'GET' && e.url.includes('/_tmp/'));
  // Ranks reading the same bytes send the same request: only the first of those is refused.
  expect(refusedReads.length >= 1 && refusedWrites.length >= N,
    `slowdown: workers' reads (${refusedReads.length}) and every rank's write ` +
    `(${refusedWrites.length}) got 503s`);
  for (const e of refusedReads.concat(refusedWrites))
    expect(log.some((x) => x !== e && !x.fault && x.method === e.method && x.url === e.url &&
      (x.headers.range ?? '') === (e.headers.range ?? '')), `slowdown: ${e.method} ${e.url} retried`);
  console.error(`slowdown: ${log.filter((e) => e.fault).length} of ${log.length} S3 requests ` +
    `answered 503 SlowDown, each retried`);
  const { got } = await S.published('slowdown', N);
  expect(JSON.stringify(got) === JSON.stringify(want),
    `slowdown: result equals DuckDB's:\n got  ${got}\n want ${want}`);
  expect(S.redisCli('KEYS', 'cylon:*') === '', 'slowdown: no keys left');
} finally {
  await S.stop();
}
finish('faults_test');
