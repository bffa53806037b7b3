// dist.mjs - benchmark the distributed runtime on this machine, next to DuckDB.
//
//   node bench/dist.mjs [--repeat N] [--shuffle-rows N] [--weak-rows N] [--strong-rows N]
//                       [--ranks 1,2,4] [--unique F] [--backends tcp] [--build DIR]
//                       [--skip shuffle,weak,strong] [--threads T]
//
// (a) Shuffle throughput over loopback at 2 and 4 ranks (cy_dist_shuffle of a k, v int64
//     table on k): bytes moved between ranks per second, and that as a fraction of this
//     machine's memcpy bandwidth (one thread) measured in the same run.
// (b) The join of two int64 k, v tables (inner on k, unique factor F, the shuffle
//     strategy) on 1, 2 and 4 ranks: weak scaling (--weak-rows per rank, default 5M) and
//     strong scaling (--strong-rows in all, default 20M), as times and efficiencies
//     (weak: T1 / TP; strong: T1 / (P x TP)), with DuckDB's single-process time for the same
//     total rows beside each line (the same rows: both sides compute them from the row
//     number, see bench/dist_bench.c).
//
// Each figure is the median of --repeat runs (default 3), each a fresh process
// (build/bench/cylon_dist_bench, forking its ranks), with the best run beside it. Every run
// times the operation twice: cold (the first in the process, on freshly mapped memory) and
// warm (again, on the memory the first run freed, as a long-running worker would); the
// figures are the warm ones, with the cold median shown too. Each rank gets cores / P compute
// threads, so P ranks use the cores one rank would; --threads T gives every rank T instead
// (--threads 1: one rank per core, as MPI runs usually are). Results also go to
// bench/results/dist-<time>.json. The mpi backend is run when it is in this build
// (cylon_dist_bench cannot fork MPI ranks: it is skipped with a note otherwise).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// The rows both engines join: row i of N, M = floor(F x N) (bench/dist_bench.c).
const tableSql = (n, m, mult, add) =>
  `SELECT ((i * ${mult} + ${add}) % ${m})::BIGINT AS k, i::BIGINT AS v FROM range(${n}) t(i)`;

async function duckChild(spec) {
  const { run, queryTable, close } = await import('../tests/oracle/duck.mjs');
  const m = Math.max(1, Math.floor(spec.unique * spec.rows));
  await run(`CREATE TABLE a AS ${tableSql(spec.rows, m, 2654435761, 1)}`);
  await run(`CREATE TABLE b AS ${tableSql(spec.rows, m, 2246822519, 7)}`);
  const t0 = performance.now();
  await run('CREATE TABLE t AS SELECT * FROM a JOIN b USING (k)');
  const seconds = (performance.now() - t0) / 1000;
  const rows = Number((await queryTable('SELECT count(*) FROM t')).rows[0][0]);
  close();
  process.stdout.write(JSON.stringify({ seconds, rows,
    max_rss_bytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
}

function parseArgs(argv) {
  const a = { repeat: 3, shuffleRows: 10_000_000, weakRows: 5_000_000, strongRows: 20_000_000,
    ranks: [1, 2, 4], unique: 0.9, backends: ['tcp'], build: join(root, 'build'), skip: [], threads: 0 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--repeat': a.repeat = Number(v); i++; break;
      case '--shuffle-rows': a.shuffleRows = Number(v); i++; break;
      case '--weak-rows': a.weakRows = Number(v); i++; break;
      case '--strong-rows': a.strongRows = Number(v); i++; break;
      case '--ranks': a.ranks = v.split(',').map(Number); i++; break;
      case '--unique': a.unique = Number(v); i++; break;
      case '--backends': a.backends = v.split(','); i++; break;
      case '--build': a.build = resolve(v); i++; break;
      case '--skip': a.skip = v.split(','); i++; break;
      case '--threads': a.threads = Number(v); i++; break;
      case '-h': case '--help':
        console.log('usage: node bench/dist.mjs [--repeat N] [--shuffle-rows N] [--weak-rows N] ' +
          '[--strong-rows N] [--ranks 1,2,4] [--unique F] [--backends tcp,mpi] [--build DIR] ' +
          '[--skip shuffle,weak,strong] [--threads T]');
        process.exit(0);
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

function runJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (b) => (b / 1048576).toFixed(1);
const fmt = (x, d = 3) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

// The median run (warm seconds), with the best warm time and the median cold time.
function medianRun(bench, args, repeat) {
  const runs = Array.from({ length: repeat }, () => runJson(bench, args));
  const m = median(runs.map((r) => r.seconds));
  return { ...runs.find((r) => r.seconds === m) ?? runs[0], seconds: m,
    best_seconds: Math.min(...runs.map((r) => r.seconds)),
    cold_seconds: median(runs.map((r) => r.cold_seconds)), runs };
}

function duckJoin(rows, unique, repeat) {
  const runs = Array.from({ length: repeat }, () => runJson(process.execPath,
    [fileURLToPath(import.meta.url), '--duck-child', JSON.stringify({ rows, unique })]));
  return { seconds: median(runs.map((r) => r.seconds)), rows: runs[0].rows,
    max_rss_bytes: median(runs.map((r) => r.max_rss_bytes)), runs };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const bench = join(a.build, 'bench', 'cylon_dist_bench');
  if (!existsSync(bench)) throw new Error(`${bench} not found: build first (scripts/build)`);
  const out = { date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version,
      loadavg_at_start: loadavg() },
    options: { ...a, build: relative(root, a.build) }, notes: [] };
  const backends = a.backends.filter((b) => {
    if (b !== 'mpi') return true;
    out.notes.push('mpi: skipped (cylon_dist_bench forks its ranks; the mpi backend needs ' +
      'mpirun and is not in this branch yet)');
    return false;
  });

  const threads = a.threads > 0 ? ['--threads', String(a.threads)] : [];
  const mem = runJson(bench, ['memcpy']);
  out.memcpy = mem;
  console.log(`memcpy (one thread, 256 MiB, best of 5): ${fmt(mem.gbps, 2)} GB/s`);

  if (!a.skip.includes('shuffle')) {
    console.log(`\n(a) shuffle of ${a.shuffleRows} rows (k, v int64) on k, loopback`);
    console.log(['backend', 'ranks', 'seconds', 'best s', 'cold s', 'moved MiB', 'GB/s', 'of memcpy',
      'best GB/s', 'best of memcpy', 'peak MiB/rank'].join('\t'));
    out.shuffle = [];
    for (const backend of backends) {
      for (const p of [2, 4]) {
        const r = medianRun(bench, ['shuffle', '--ranks', String(p), '--rows', String(a.shuffleRows),
          '--backend', backend, ...threads], a.repeat);
        r.gbps = r.bytes_moved / r.seconds / 1e9;
        r.of_memcpy = r.gbps / mem.gbps;
        r.best_gbps = r.bytes_moved / r.best_seconds / 1e9;
        out.shuffle.push(r);
        console.log([backend, p, fmt(r.seconds), fmt(r.best_seconds), fmt(r.cold_seconds),
          mib(r.bytes_moved), fmt(r.gbps, 2), `${(100 * r.of_memcpy).toFixed(1)}%`,
          fmt(r.best_gbps, 2), `${(100 * r.best_gbps / mem.gbps).toFixed(1)}%`,
          mib(r.peak_bytes)].join('\t'));
      }
    }
  }

  for (const mode of ['weak', 'strong']) {
    if (a.skip.includes(mode)) continue;
    const perRank = mode === 'weak';
    console.log(`\n(b) join, ${mode} scaling: ${perRank ? `${a.weakRows} rows per rank` :
      `${a.strongRows} rows in all`} per table, unique ${a.unique}`);
    console.log(['backend', 'ranks', 'rows/table', 'threads/rank', 'cylon s', 'best s', 'cold s',
      'efficiency', 'speed-up', 'best speed-up', 'out rows', 'duckdb s', 'cylon/duckdb'].join('\t'));
    out[mode] = [];
    const duckCache = new Map();
    for (const backend of backends) {
      let t1, best1;
      for (const p of a.ranks) {
        const rows = perRank ? a.weakRows * p : a.strongRows;
        const r = medianRun(bench, ['join', '--ranks', String(p), '--rows', String(rows),
          '--unique', String(a.unique), '--backend', backend, ...threads], a.repeat);
        if (p === 1) t1 = r.seconds, best1 = r.best_seconds;
        r.best_speedup = best1 === undefined ? NaN : best1 / r.best_seconds;
        r.efficiency = t1 === undefined ? NaN : perRank ? t1 / r.seconds : t1 / (p * r.seconds);
        r.speedup = t1 === undefined ? NaN : t1 / r.seconds;
        if (!duckCache.has(rows)) duckCache.set(rows, duckJoin(rows, a.unique, a.repeat));
        r.duckdb = duckCache.get(rows);
        if (r.duckdb.rows !== r.out_rows) {
          console.error(`warning: ${mode} ${p} ranks: cylon made ${r.out_rows} rows, DuckDB ${r.duckdb.rows}`);
        }
        out[mode].push(r);
        console.log([backend, p, rows, r.threads, fmt(r.seconds), fmt(r.best_seconds),
          fmt(r.cold_seconds), fmt(r.efficiency, 2), fmt(r.speedup, 2), fmt(r.best_speedup, 2), r.out_rows, fmt(r.duckdb.seconds), fmt(r.seconds / r.duckdb.seconds, 2)]
          .join('\t'));
      }
    }
  }
  for (const n of out.notes) console.log(`note: ${n}`);
  out.machine.loadavg_at_end = loadavg();
  console.log(`load average: ${out.machine.loadavg_at_start.map((x) => x.toFixed(1)).join(' ')} at ` +
    `the start, ${out.machine.loadavg_at_end.map((x) => x.toFixed(1)).join(' ')} at the end ` +
    `(${cpus().length} cpus)`);
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  out.commit = git.status === 0 ? git.stdout.trim() : null;
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `dist-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`results: ${relative(root, path)}`);
}

try {
  if (process.argv[2] === '--duck-child') await duckChild(JSON.parse(process.argv[3]));
  else await main();
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
}
