#!/usr/bin/env python3
"""scaling_model.py - predict the distributed join, sort and group-by at 64 and 256 ranks,
on AWS Lambda and on a 10 GbE cluster, from what bench/scaling measured on this machine.

    python3 bench/scaling_model.py RUN_DIR [--weak-rows N] [--strong-rows N]
                                   [--ranks 64,256] [--out FILE]

RUN_DIR is a bench/scaling output directory (its runs.csv is read). The prediction is a
Markdown report on standard output (and in RUN_DIR/model.md, or --out FILE), with every
assumption printed next to the numbers. Standard library only (Debian's python3).

The model, per operator, for P ranks holding w rows per table each (weak: w given;
strong: w = N / P):

    op time   = compute + network
    compute   = w / rate + w * overhead
    network   = transfer(bytes each rank sends) + (P - 1) * per-peer latency

- rate: the operator's rows per table per second on one rank with one thread, from the
  1-rank runs (no communication; the largest such run).
- overhead: the extra seconds per row of a rank's share at 2 ranks (not oversubscribed),
  over what the local rate predicts: partitioning, serialising, the loopback transfer,
  concatenation, waiting. Measured on loopback, where the network is nearly free, it is
  counted as CPU work that every rank does at any P.
- bytes per row: bytes moved / rows per table, scaled by P / (P - 1) (with uniform keys a
  rank keeps 1 / P of its rows), from the runs at 2 or more ranks; each rank then sends
  w * bytes_per_row * (P - 1) / P and receives as much.
"""
import argparse
import csv
import os
import statistics
import sys

MIB = 1 << 20

# Published / assumed platform figures; printed with the prediction.
LAMBDA = {
    'sustained_mib_s': 75.0,   # per function, after the burst (the published figure)
    'burst_mib': 300.0,        # bytes a function can move at the burst rate first
    'burst_mib_s': 150.0,      # ASSUMED burst rate (2x sustained; not a published figure)
    'peer_latency_s': 0.0005,  # ASSUMED per peer per shuffle: one message round in a region
    'cold_start_s': 0.3,       # ASSUMED cold start of a small provided.al2023 binary
    'invoke_s': 0.004,         # ASSUMED per invocation of the fan-out from one client
    'connect_s': 0.002,        # ASSUMED per peer: hole-punched TCP connect in the mesh
    'memory_mb': 10240,        # the largest function (6 vCPUs); one rank uses one thread
}
CLUSTER = {
    'nic_gbit_s': 10.0,        # 10 GbE, full duplex, one NIC per node
    'nic_efficiency': 0.9,     # ASSUMED fraction of line rate TCP reaches
    'ranks_per_node': 16,      # ASSUMED 16 cores per node, one rank per core
    'peer_latency_s': 0.00003, # ASSUMED per peer per shuffle on a switched LAN
}


def load_runs(run_dir):
    path = os.path.join(run_dir, 'runs.csv')
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f'scaling_model: {path} has no runs')
    for r in rows:
        for k in ('world', 'oversubscribed', 'rows_per_table', 'rows_per_rank', 'bytes_moved'):
            r[k] = int(float(r[k] or 0))
        for k in ('op_s', 'wall_s', 'read_s'):
            r[k] = float(r[k] or 'nan')
    return rows


def fit(runs, op):
    """rate (rows/s, one rank), overhead (s per row per rank at P = 2), bytes per row."""
    mine = [r for r in runs if r['operator'] == op]
    ones = [r for r in mine if r['world'] == 1]
    if not ones:
        return None
    biggest = max(r['rows_per_table'] for r in ones)
    rate = statistics.median(r['rows_per_table'] / r['op_s'] for r in ones
                             if r['rows_per_table'] == biggest and r['op_s'] > 0)
    twos = [r for r in mine if r['world'] == 2 and not r['oversubscribed'] and r['op_s'] > 0
            and r['platform'] in ('tcp', 'mpi')]
    extra = [max(0.0, r['op_s'] - r['rows_per_rank'] / rate) / r['rows_per_rank'] for r in twos]
    overhead = statistics.median(extra) if extra else 0.0
    moved = [r['bytes_moved'] / r['rows_per_table'] * r['world'] / (r['world'] - 1)
             for r in mine if r['world'] > 1 and r['platform'] in ('tcp', 'mpi')]
    bytes_per_row = statistics.median(moved) if moved else 0.0
    return {'rate': rate, 'overhead': overhead, 'bytes_per_row': bytes_per_row,
            'fit_rows': biggest, 'fit_runs': len(ones), 'fit_twos': len(twos)}


def lambda_transfer(nbytes):
    burst = LAMBDA['burst_mib'] * MIB
    if nbytes <= burst:
        return nbytes / (LAMBDA['burst_mib_s'] * MIB)
    return burst / (LAMBDA['burst_mib_s'] * MIB) + (nbytes - burst) / (LAMBDA['sustained_mib_s'] * MIB)


def cluster_transfer(nbytes, p):
    rpn = min(CLUSTER['ranks_per_node'], p)
    if p <= rpn:
        return 0.0  # one node: the shuffle stays in memory (covered by the overhead)
    off_node = rpn * nbytes * (p - rpn) / (p - 1)  # a node's bytes to other nodes
    return off_node / (CLUSTER['nic_gbit_s'] * 1e9 / 8 * CLUSTER['nic_efficiency'])


def predict(f, p, w, platform, overhead=True):
    compute = w / f['rate'] + (w * f['overhead'] if p > 1 and overhead else 0.0)
    sent = w * f['bytes_per_row'] * (p - 1) / p
    if platform == 'lambda':
        network = lambda_transfer(sent) + (p - 1) * LAMBDA['peer_latency_s'] if p > 1 else 0.0
        startup = LAMBDA['cold_start_s'] + p * LAMBDA['invoke_s'] + (p - 1) * LAMBDA['connect_s']
    else:
        network = cluster_transfer(sent, p) + (p - 1) * CLUSTER['peer_latency_s'] if p > 1 else 0.0
        startup = None
    return {'compute': compute, 'sent': sent, 'network': network, 'time': compute + network,
            'startup': startup}


def report(runs, args):
    out = []
    ops = [op for op in ('join', 'sort', 'groupby') if any(r['operator'] == op for r in runs)]
    out.append('## Model: predicted operator times at %s ranks\n' % ', '.join(map(str, args.ranks)))
    out.append('Fitted on this machine (bench/scaling runs; one thread per rank), per operator: '
               'the one-rank rate, the per-row overhead of going distributed at 2 ranks, '
               'and the bytes moved per row. Predicted op time = w / rate + w x overhead + '
               'transfer(bytes sent per rank) + (P - 1) x per-peer latency, w = rows per rank '
               'per table.\n')
    out.append('Assumptions:\n')
    out.append(f"- Lambda: {LAMBDA['sustained_mib_s']:.0f} MiB/s sustained per function after a "
               f"burst of {LAMBDA['burst_mib']:.0f} MiB (published figures); the burst itself at "
               f"{LAMBDA['burst_mib_s']:.0f} MiB/s (assumed); send and receive limited "
               f"separately (full duplex, assumed); {LAMBDA['peer_latency_s'] * 1e3:.1f} ms per "
               "peer per shuffle (assumed); one Lambda vCPU computes as fast as one thread of "
               "this machine (assumed); start-up (not in the op time) = "
               f"{LAMBDA['cold_start_s']} s cold start + {LAMBDA['invoke_s'] * 1e3:.0f} ms per "
               f"invocation of the fan-out + {LAMBDA['connect_s'] * 1e3:.0f} ms per peer connect "
               "(assumed).")
    out.append(f"- 10 GbE cluster: {CLUSTER['ranks_per_node']} ranks per node (one per core) "
               f"sharing one {CLUSTER['nic_gbit_s']:.0f} Gb/s NIC at "
               f"{CLUSTER['nic_efficiency']:.0%} of line rate; keys uniform, so a node sends "
               "(P - ranks per node) / (P - 1) of its shuffle off-node; "
               f"{CLUSTER['peer_latency_s'] * 1e6:.0f} us per peer per shuffle; a core as fast "
               "as one thread here (all assumed).")
    out.append('- Uniform keys (no skew), no stragglers, memory enough (the Lambda column '
               'gives the estimated need per rank: 3 x the rank\'s input bytes); reading the '
               'input from S3 and writing results are not included.\n')
    for op in ops:
        f = fit(runs, op)
        if f is None:
            out.append(f'{op}: no 1-rank run to fit; skipped.\n')
            continue
        out.append(f"### {op}\n")
        out.append(f"Fitted: rate {f['rate'] / 1e6:.2f} M rows/s per rank "
                   f"({f['fit_runs']} run(s) of {f['fit_rows']:,} rows on 1 rank), overhead "
                   f"{f['overhead'] * 1e9:.0f} ns per row at 2 ranks ({f['fit_twos']} run(s)), "
                   f"{f['bytes_per_row']:.1f} bytes moved per row.\n")
        out.append('| platform | mode | ranks | rows/rank/table | compute s | sent MiB/rank | '
                   'network s | op s | efficiency | op s, no overhead | start-up s | memory MiB/rank |')
        out.append('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        tables = 2 if op == 'join' else 1
        for platform in ('lambda', 'cluster'):
            for mode in ('weak', 'strong'):
                for p in args.ranks:
                    w = args.weak_rows if mode == 'weak' else args.strong_rows / p
                    r = predict(f, p, w, platform)
                    bare = predict(f, p, w, platform, overhead=False)
                    one = predict(f, 1, w if mode == 'weak' else args.strong_rows, platform)
                    eff = one['time'] / r['time'] if mode == 'weak' else one['time'] / (p * r['time'])
                    mem = 3 * w * 16 * tables / MIB
                    memtxt = f'{mem:,.0f}' + (' (too big)' if platform == 'lambda' and mem > LAMBDA['memory_mb'] else '')
                    out.append(f"| {'Lambda' if platform == 'lambda' else '10 GbE cluster'} | {mode} | {p} | "
                               f"{w:,.0f} | {r['compute']:.2f} | {r['sent'] / MIB:,.1f} | "
                               f"{r['network']:.2f} | {r['time']:.2f} | {eff:.2f} | {bare['time']:.2f} | "
                               f"{'' if r['startup'] is None else format(r['startup'], '.2f')} | {memtxt} |")
        out.append('')
    out.append(f'Weak scaling: {args.weak_rows:,.0f} rows per rank per table; strong scaling: '
               f'{args.strong_rows:,.0f} rows per table in all. Efficiency: weak T1 / TP, strong '
               'T1 / (P x TP), T1 the same model at 1 rank (no network). "op s, no overhead" '
               'leaves out the fitted per-row cost of going distributed (a lower bound: local '
               'work and the network only); the overhead was measured on a loaded 2-core '
               'machine where 2 ranks compete with other jobs for the cores, so the truth at '
               'scale on dedicated cores should lie between the two.\n')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('run_dir')
    ap.add_argument('--weak-rows', type=float, default=5e6, help='rows per rank per table (weak)')
    ap.add_argument('--strong-rows', type=float, default=1e9, help='rows per table in all (strong)')
    ap.add_argument('--ranks', default='64,256')
    ap.add_argument('--out')
    args = ap.parse_args()
    args.ranks = [int(x) for x in args.ranks.split(',') if x]
    text = report(load_runs(args.run_dir), args)
    print(text)
    with open(args.out or os.path.join(args.run_dir, 'model.md'), 'w') as f:
        f.write(text + '\n')


if __name__ == '__main__':
    main()
