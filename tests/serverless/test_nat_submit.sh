#!/usr/bin/env bash
# test_nat_submit.sh CYLON - `cylon submit` with its 4 workers behind real NATs: the lab of
# tests/net/netns_lab.sh (a public namespace, four masquerading routers, four private
# namespaces), with nat_test.mjs run in the public namespace (s3rver, redis-server,
# `cylon lambda-local --worker-netns` and `cylon rendezvous` on 203.0.113.1) and each worker
# started by lambda-local in its own private namespace.
# 1. port-preserving masquerade: every pair punches through; the summary says 6 direct and
#    the result equals DuckDB's;
# 2. masquerade fully-random (a symmetric NAT): punching fails, the job completes through
#    the relay, the summary says 6 relayed, the result again equals DuckDB's.
# Needs root, iproute2 and nftables like net/test_nat_netns; fails saying what is missing.
set -uo pipefail
cylon=$1
here=$(cd "$(dirname "$0")" && pwd)
lab_name=test_nat_submit
# shellcheck source=../net/netns_lab.sh
source "$here/../net/netns_lab.sh"
lab_require
[[ -x $cylon ]] || fail "usage: test_nat_submit.sh CYLON"
command -v node >/dev/null || fail "node is missing: run scripts/install-deps"
lab_setup
netns=${lab_pre}w1,${lab_pre}w2,${lab_pre}w3,${lab_pre}w4

run() { # $1: direct or relay
  ip netns exec "$lab_pub" node "$here/nat_test.mjs" --cylon "$cylon" --host 203.0.113.1 \
    --netns "$netns" --expect "$1" || fail "the job behind NATs ($1) failed its checks"
}

for i in 1 2 3 4; do nat_rules "$i"; done
run direct
for i in 1 2 3 4; do nat_rules "$i" fully-random; done
run relay
echo "test_nat_submit: ok"
