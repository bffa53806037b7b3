// dist.mjs - benchmark the distributed runtime on this machine, next to DuckDB.
//
//   node bench/dist.mjs [--repeat N] [--shuffle-rows N] [--weak-rows N] [--strong-rows N]
//                       [--ranks 1,2,4] [--unique F] [--backends tcp] [--build DIR]
//                       [--skip shuffle,weak,strong] [--threads T]
//
// (a) Shuffle throughput on this machine at 2 and 4 ranks (cy_dist_shuffle of a k, v int64
//     table on k): bytes moved between ranks per second, and that as a fraction of this
//     machine's memcpy bandwidth (one thread) measured in the same run. Each twice: with
//     the rows copied straight into the other ranks' memory (transfer "direct", the
//     default for ranks of one machine) and through the backend's loopback sockets
//     (CYLON_DIRECT=0, transfer "sockets").
// (b) The join of two int64 k, v tables (inner on k, unique factor F, the shuffle
//     strategy) on 1, 2 and 4 ranks: weak scaling (--weak-rows per rank, default 5M) and
//     strong scaling (--strong-rows in all, default 20M), as times, speed-ups and
//     efficiencies against two baselines, both printed: 1 rank x 1 thread (the seed
//     system's setup, one single-threaded process per rank) and 1 rank x all cores (the
//     best one process does here); weak: T1 / TP, strong: T1 / TP and T1(1x1) / (P x TP).
//     DuckDB's single-process time for the same total rows is beside each line (the same
//     rows: both sides compute them from the row number, see bench/dist_bench.c).
//
// Each figure is the median of --repeat runs (default 3), each a fresh process
// (build/bench/cylon_dist_bench, forking its ranks), with the best run beside it. Every run
// times the operation twice: cold (the first in the process, on freshly mapped memory) and
// warm (again, on the memory the first run freed, as a long-running worker would); the
// figures are the warm ones, with the cold median shown too. Each rank of P > 1 gets cores / P
// compute threads, so P ranks use the cores one rank would; --threads T gives every rank
// (and the one baseline) T instead. Results also go to
// bench/results/dist-<time>.json. The machine may be shared: each line ends with the 1-minute
// load average after its runs, and shows the warm run's CPU seconds (median; user + system,
// all threads) of the busiest rank (`cpu s max`) and of all ranks (`cpu s all`), which
// stretch far less with other people's load than wall times do. The mpi backend is run when it is in this build
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

function runJson(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26,
    env: { ...process.env, ...env } });
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
function medianRun(bench, args, repeat, env = {}) {
  const runs = Array.from({ length: repeat }, () => runJson(bench, args, env));
  const m = median(runs.map((r) => r.seconds));
  return { ...runs.find((r) => r.seconds === m) ?? runs[0], seconds: m, load1: loadavg()[0],
    best_seconds: Math.min(...runs.map((r) => r.seconds)),
    cold_seconds: median(runs.map((r) => r.cold_seconds)),
    cpu_max: median(runs.map((r) => r.cpu_max)), cpu_sum: median(runs.map((r) => r.cpu_sum)), runs };
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
    console.log(`\n(a) shuffle of ${a.shuffleRows} rows (k, v int64) on k, ranks on this machine`);
    console.log(['backend', 'transfer', 'ranks', 'seconds', 'best s', 'cold s', 'moved MiB', 'GB/s', 'of memcpy',
      'best GB/s', 'best of memcpy', 'cpu s max', 'cpu s all', 'peak MiB/rank', 'load'].join('\t'));
    out.shuffle = [];
    for (const backend of backends) {
      for (const [p, sockets] of [[2, false], [4, false], [2, true], [4, true]]) {
        const r = medianRun(bench, ['shuffle', '--ranks', String(p), '--rows', String(a.shuffleRows),
          '--backend', backend, ...threads], a.repeat, sockets ? { CYLON_DIRECT: '0' } : {});
        r.gbps = r.bytes_moved / r.seconds / 1e9;
        r.of_memcpy = r.gbps / mem.gbps;
        r.best_gbps = r.bytes_moved / r.best_seconds / 1e9;
        out.shuffle.push(r);
        console.log([backend, r.transfer, p, fmt(r.seconds), fmt(r.best_seconds), fmt(r.cold_seconds),
          mib(r.bytes_moved), fmt(r.gbps, 2), `${(100 * r.of_memcpy).toFixed(1)}%`,
          fmt(r.best_gbps, 2), `${(100 * r.best_gbps / mem.gbps).toFixed(1)}%`,
          fmt(r.cpu_max), fmt(r.cpu_sum), mib(r.peak_bytes), fmt(r.load1, 1)].join('\t'));
      }
    }
  }

  // Two baselines, both printed: one rank on one thread (the seed system's setup: one
  // single-threaded process per rank) and one rank on all the cores (what a single
  // process can do here). P ranks get cores / P threads each unless --threads is given.
  const cores = cpus().length;
  const baselines = a.threads > 0 ? [a.threads] : [...new Set([1, cores])];
  const bl = (t) => `1x${t}`;
  for (const mode of ['weak', 'strong']) {
    if (a.skip.includes(mode)) continue;
    const perRank = mode === 'weak';
    console.log(`\n(b) join, ${mode} scaling: ${perRank ? `${a.weakRows} rows per rank` :
      `${a.strongRows} rows in all`} per table, unique ${a.unique}; baselines: 1 rank on ` +
      `${baselines.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' and 1 rank on ')} ` +
      `(${perRank ? 'efficiency = T(baseline) / T(P ranks)' : 'speed-up = T(baseline) / T(P ranks), efficiency = speed-up / P against 1x1'})`);
    const vs = baselines.flatMap((t) => perRank ? [`eff vs ${bl(t)}`] :
      [`speed-up vs ${bl(t)}`, `best vs ${bl(t)}`]);
    console.log(['backend', 'ranks', 'rows/table', 'threads/rank', 'cylon s', 'best s', 'cold s',
      'cpu s max', 'cpu s all',
      ...vs, ...(perRank ? [] : ['efficiency']), 'out rows', 'duckdb s', 'cylon/duckdb', 'load'].join('\t'));
    out[mode] = [];
    const duckCache = new Map();
    for (const backend of backends) {
      const base = new Map(); // threads -> the 1-rank run
      const runs = [...baselines.map((t) => [1, t]),
        ...a.ranks.filter((p) => p > 1).map((p) => [p, a.threads > 0 ? a.threads : Math.max(1, Math.floor(cores / p))])];
      const done = runs.map(([p, t]) => {
        const rows = perRank ? a.weakRows * p : a.strongRows;
        const r = medianRun(bench, ['join', '--ranks', String(p), '--rows', String(rows),
          '--unique', String(a.unique), '--backend', backend, '--threads', String(t)], a.repeat);
        if (p === 1) base.set(t, r);
        return [p, rows, r];
      });
      for (const [p, rows, r] of done) { // every baseline is known now
        r.against = {};
        for (const bt of baselines) {
          const b = base.get(bt);
          r.against[bl(bt)] = { speedup: b.seconds / r.seconds, best_speedup: b.best_seconds / r.best_seconds };
        }
        const b11 = base.get(baselines[0]);
        r.efficiency = perRank ? b11.seconds / r.seconds : b11.seconds / (p * r.seconds);
        if (!duckCache.has(rows)) duckCache.set(rows, duckJoin(rows, a.unique, a.repeat));
        r.duckdb = duckCache.get(rows);
        if (r.duckdb.rows !== r.out_rows) {
          console.error(`warning: ${mode} ${p} ranks: cylon made ${r.out_rows} rows, DuckDB ${r.duckdb.rows}`);
        }
        out[mode].push(r);
        const cols = baselines.flatMap((bt) => {
          const x = r.against[bl(bt)];
          return perRank ? [fmt(x.speedup, 2)] : [fmt(x.speedup, 2), fmt(x.best_speedup, 2)];
        });
        console.log([backend, p, rows, r.threads, fmt(r.seconds), fmt(r.best_seconds),
          fmt(r.cold_seconds), fmt(r.cpu_max), fmt(r.cpu_sum), ...cols, ...(perRank ? [] : [fmt(r.efficiency, 2)]), r.out_rows,
          fmt(r.duckdb.seconds), fmt(r.seconds / r.duckdb.seconds, 2), fmt(r.load1, 1)].join('\t'));
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
