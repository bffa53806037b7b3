#!/usr/bin/env bash
# test_nat_netns.sh CYLON WORKER - NAT traversal through real NATs, in network namespaces
# this test makes (and removes, whatever happens):
#
#   pub       the "internet": `cylon rendezvous` on 203.0.113.1, routes between routers
#   rI        four routers (I = 1..4), each masquerading its LAN behind 10.77.I.2, and
#             dropping unsolicited inbound connections, as home and cloud NATs do
#   wI        four workers, all at the same private address 192.168.0.2 behind their rI
#
# 1. endpoint-independent NATs (Linux masquerading keeps the source port): every pair of
#    the 4 ranks punches through, the collectives are right (WORKER checks them against
#    hand-computed results) and every rank reports its 3 paths as direct;
# 2. every router maps each connection to a random port (masquerade fully-random, a
#    symmetric NAT): punching cannot work, the job completes through the relay and every
#    path reads relay;
# 3. only rank 0's router is symmetric: rank 0's pairs are relayed, the others direct;
# 4. a rank with a wrong token is refused with a message saying so.
# It also checks that `cylon rendezvous` refuses to start without a token or a port.
#
# The namespaces and routers are netns_lab.sh's. Needs root (ip netns), iproute2 and
# nftables (scripts/install-deps); without them it fails saying what is missing.
set -uo pipefail
cylon=$1 worker=$2
token=nat-test-token-$RANDOM$RANDOM
lab_name=test_nat_netns
# shellcheck source=netns_lab.sh
source "$(dirname "$0")/netns_lab.sh" # the namespaces, routers and NAT rules
lab_require
[[ -x $cylon && -x $worker ]] || fail "usage: test_nat_netns.sh CYLON WORKER"
id=$lab_id pre=$lab_pre pub=$lab_pub

# The command's own checks: no token, no port.
out=$(env -u CYLON_RENDEZVOUS_TOKEN "$cylon" rendezvous --port 0 2>&1) &&
  fail "a server without a token started"
[[ $out == *"no token: set CYLON_RENDEZVOUS_TOKEN"* ]] || fail "no token: unexpected message: $out"
out=$("$cylon" rendezvous --token x 2>&1)
(($? == 2)) && [[ $out == *"--port is required"* ]] || fail "no port: unexpected: $out"

lab_setup

# The rendezvous server, in the public namespace.
ip netns exec "$pub" env CYLON_RENDEZVOUS_TOKEN="$token" "$cylon" rendezvous --port 7077 \
  --bind 203.0.113.1 >"$work/server.out" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q listening "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on 203.0.113.1:7077" "$work/server.out" ||
  fail "the rendezvous server did not start: $(cat "$work/server.log")"

# Run a job of 4 ranks, rank r in namespace w(r+1); every rank must succeed and say its
# paths. $1 = name, $2 = the path each rank expects for each peer (see expect_paths).
run_job() {
  local name=$1 r rc status=0 rpids=()
  for r in 0 1 2 3; do
    ip netns exec "${pre}w$((r + 1))" env CYLON_RANK=$r CYLON_WORLD_SIZE=4 \
      CYLON_JOB="nat-$name-$id" CYLON_RENDEZVOUS=203.0.113.1:7077 \
      CYLON_RENDEZVOUS_TOKEN="$token" CYLON_NAT_PUNCH_MS=4000 \
      "$worker" --worker >"$work/$name.$r.out" 2>"$work/$name.$r.err" &
    rpids+=($!)
  done
  for r in 0 1 2 3; do
    wait "${rpids[r]}"
    rc=$?
    if ((rc != 0)); then
      echo "rank $r of job $name exited with $rc:" >&2
      cat "$work/$name.$r.err" >&2
      status=1
    fi
  done
  ((status == 0)) || fail "job $name failed (server log: $(tail -20 "$work/server.log"))"
  echo "job $name:"
  cat "$work/$name".?.out
}

# The path rank r must report to peer p under the policy $1: direct, relay, or mixed
# (pairs with rank 0 relayed).
path_of() {
  case $1 in
    direct | relay) echo "$1" ;;
    mixed) if (($2 == 0 || $3 == 0)); then echo relay; else echo direct; fi ;;
  esac
}

expect_paths() {
  local name=$1 policy=$2 r p want line
  for r in 0 1 2 3; do
    want="rank $r paths:"
    for p in 0 1 2 3; do
      ((p == r)) || want+=" $p:$(path_of "$policy" "$r" "$p")"
    done
    line=$(cat "$work/$name.$r.out")
    [[ $line == "$want" ]] || fail "job $name: expected '$want', got '$line'"
  done
}

# 1. endpoint-independent NATs: everyone punches through.
for i in 1 2 3 4; do nat_rules "$i"; done
run_job punched
expect_paths punched direct
grep -q "job nat-punched-$id: all 4 ranks registered" "$work/server.log" ||
  fail "the server did not pair job punched"
grep -q "nat-punched-$id: relaying" "$work/server.log" && fail "job punched used the relay"

# 2. symmetric NATs everywhere: punching fails, the relay carries the job.
for i in 1 2 3 4; do nat_rules "$i" fully-random; done
run_job symmetric
expect_paths symmetric relay
n=$(grep -c "job nat-symmetric-$id: relaying" "$work/server.log")
((n == 6)) || fail "job symmetric: the server relayed $n pairs, not 6"

# 3. only rank 0's NAT is symmetric.
nat_rules 1 fully-random
for i in 2 3 4; do nat_rules "$i"; done
run_job mixed
expect_paths mixed mixed
n=$(grep -c "job nat-mixed-$id: relaying" "$work/server.log")
((n == 3)) || fail "job mixed: the server relayed $n pairs, not 3"

# 4. a wrong token is refused, and says so.
if ip netns exec "${pre}w1" env CYLON_RANK=0 CYLON_WORLD_SIZE=4 CYLON_JOB="nat-bad-$id" \
    CYLON_RENDEZVOUS=203.0.113.1:7077 CYLON_RENDEZVOUS_TOKEN=guess "$worker" --worker \
    >"$work/bad.out" 2>"$work/bad.err"; then
  fail "a rank with a wrong token was let in"
fi
grep -q "refused us: wrong token for job nat-bad-$id" "$work/bad.err" ||
  fail "a wrong token: unexpected error: $(cat "$work/bad.err")"
echo "wrong token: $(cat "$work/bad.err")"

echo "test_nat_netns: ok"
