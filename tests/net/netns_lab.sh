# shellcheck shell=bash
# netns_lab.sh - a small internet of network namespaces with real NATs, for the NAT tests
# (tests/net/test_nat_netns.sh, tests/serverless/test_nat_submit.sh). Sourced, not run:
#
#   lab_name=my_test; source netns_lab.sh; lab_setup
#
#   $lab_pub  the "internet": 203.0.113.1 on its loopback, routes between routers
#   rI        four routers (I = 1..4), each masquerading its LAN behind 10.77.I.2, and
#             dropping unsolicited inbound connections, as home and cloud NATs do
#   wI        four hosts, all at the same private address 192.168.0.2 behind their rI
#
# Namespaces are named ${lab_pre}pub, ${lab_pre}rI, ${lab_pre}wI (unique per run) and are
# removed on exit with every process in $pids and the directory $work. Needs root (ip
# netns), iproute2 and nftables (scripts/install-deps); without them it fails saying what
# is missing.
lab_name=${lab_name:-netns_lab}
lab_id=$(printf '%04x' $(( (RANDOM ^ $$) & 0xffff )))
lab_pre=cyn$lab_id
lab_pub=${lab_pre}pub
work=$(mktemp -d)
pids=()
made=()

fail() {
  echo "$lab_name: FAIL: $*" >&2
  exit 1
}

cleanup() {
  local p ns
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  # Deleting a namespace deletes the veth ends in it, and so their peers.
  for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

lab_require() {
  [[ $EUID -eq 0 ]] ||
    fail "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); run this test as root"
  command -v ip >/dev/null || fail "'ip' (iproute2) is missing: run scripts/install-deps"
  command -v nft >/dev/null || fail "'nft' (nftables) is missing: run scripts/install-deps"
}

# Run a command, failing the test with its output when it fails.
must() {
  local out
  out=$("$@" 2>&1) || fail "'$*' failed: $out"
}

new_ns() {
  local out
  out=$(ip netns add "$1" 2>&1) || fail "cannot create network namespace $1 ($out): this" \
    "test needs root with CAP_SYS_ADMIN, and a kernel with network namespaces"
  made+=("$1")
  must ip -n "$1" link set lo up
}

lab_setup() {
  local i r w
  new_ns "$lab_pub"
  must ip -n "$lab_pub" addr add 203.0.113.1/32 dev lo
  must ip netns exec "$lab_pub" sysctl -qw net.ipv4.ip_forward=1
  for i in 1 2 3 4; do
    r=${lab_pre}r$i w=${lab_pre}w$i
    new_ns "$r"
    new_ns "$w"
    must ip link add "p$i" netns "$lab_pub" type veth peer name wan netns "$r"
    must ip link add lan netns "$r" type veth peer name eth0 netns "$w"
    must ip -n "$lab_pub" addr add "10.77.$i.1/24" dev "p$i"
    must ip -n "$lab_pub" link set "p$i" up
    must ip -n "$r" addr add "10.77.$i.2/24" dev wan
    must ip -n "$r" addr add 192.168.0.1/24 dev lan
    must ip -n "$r" link set wan up
    must ip -n "$r" link set lan up
    must ip -n "$r" route add default via "10.77.$i.1"
    must ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
    must ip -n "$w" addr add 192.168.0.2/24 dev eth0
    must ip -n "$w" link set eth0 up
    must ip -n "$w" route add default via 192.168.0.1
  done
}

# The NAT of router I: masquerading (with extra flags: fully-random makes it symmetric),
# and no unsolicited connection from the outside gets in (dropped, not refused).
nat_rules() {
  local r=${lab_pre}r$1 flags=${2:-}
  ip netns exec "$r" nft flush ruleset 2>/dev/null
  must ip netns exec "$r" nft -f - <<EOR
table ip nat {
  chain outbound { type nat hook postrouting priority srcnat; oifname "wan" masquerade $flags; }
}
table inet guard {
  chain to_router { type filter hook input priority filter; iifname "wan" ct state new drop; }
  chain to_lan { type filter hook forward priority filter; iifname "wan" ct state new drop; }
}
EOR
}
