// scaling_smoke.mjs - bench/scaling --smoke end to end: tiny tables, 1 and 2 ranks of local
// tcp, every operator and mode. Checks the CSV of runs has the documented columns and one
// row per run, that every run's result row count equals DuckDB's on the same data (DuckDB
// counts it, not cylon), and that the summary table is written.
//
//   node tests/oracle/scaling_smoke.mjs --build BUILD_DIR
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let build = null;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--build') build = process.argv[++i];
  else throw new Error(`unknown option ${process.argv[i]}`);
}
if (!build || !existsSync(join(build, 'cylon'))) throw new Error('--build DIR (holding cylon) is required');

let failures = 0;
const expect = (cond, what) => {
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
};

const tmp = mkdtempSync(join(tmpdir(), 'cylon-scaling-'));
try {
  const r = spawnSync(join(root, 'bench', 'scaling'), ['--smoke', '--build', build, '--out', join(tmp, 'out'),
    '--data', join(tmp, 'data')], { encoding: 'utf8', timeout: 240_000 });
  expect(r.status === 0, `bench/scaling --smoke succeeds (status ${r.status ?? r.signal}):\n${r.stderr}`);

  const lines = existsSync(join(tmp, 'out', 'runs.csv'))
    ? readFileSync(join(tmp, 'out', 'runs.csv'), 'utf8').trim().split('\n') : [];
  const header = (lines[0] ?? '').split(',');
  const want = ['platform', 'operator', 'mode', 'world', 'oversubscribed', 'rows_per_table',
    'rows_per_rank', 'threads_per_rank', 'repeat', 'wall_s', 'total_s', 'read_s', 'op_s', 'count_s',
    'bootstrap_s', 'bytes_moved', 'out_rows', 'duckdb_rows', 'rows_match', 'load1'];
  expect(JSON.stringify(header) === JSON.stringify(want), `runs.csv columns:\n got  ${header}\n want ${want}`);
  const runs = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
  // 3 operators x 2 modes x 2 world sizes x 1 repeat on tcp
  expect(runs.length === 12, `12 runs in runs.csv, got ${runs.length}`);
  const seen = new Set(runs.map((x) => `${x.operator} ${x.mode} ${x.world}`));
  for (const op of ['join', 'sort', 'groupby']) {
    for (const mode of ['weak', 'strong']) {
      for (const w of [1, 2]) expect(seen.has(`${op} ${mode} ${w}`), `a run of ${op} ${mode} on ${w} rank(s)`);
    }
  }
  for (const x of runs) {
    const what = `${x.platform} ${x.operator} ${x.mode} ${x.world}`;
    expect(x.platform === 'tcp', `${what}: platform tcp`);
    expect(x.oversubscribed === '0', `${what}: 1 or 2 ranks are not oversubscribed on this machine's cores`);
    const rows = Number(x.rows_per_table);
    expect(rows === (x.mode === 'weak' ? 5000 * Number(x.world) : 10000), `${what}: rows per table ${rows}`);
    expect(Number(x.duckdb_rows) > 0 && x.out_rows === x.duckdb_rows && x.rows_match === '1',
      `${what}: cylon's rows ${x.out_rows} equal DuckDB's ${x.duckdb_rows}`);
    if (x.operator === 'sort') expect(Number(x.duckdb_rows) === rows, `${what}: a sort keeps every row`);
    expect(Number(x.op_s) > 0 && Number(x.wall_s) > 0, `${what}: times recorded`);
    expect((Number(x.bytes_moved) > 0) === (x.world === '2'), `${what}: bytes moved ${x.bytes_moved} only between ranks`);
  }
  const md = existsSync(join(tmp, 'out', 'summary.md')) ? readFileSync(join(tmp, 'out', 'summary.md'), 'utf8') : '';
  expect(/### join, weak scaling/.test(md) && /\| tcp \| 2 \|/.test(md), 'summary.md has the tables');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.error('scaling_smoke: ok');
