#!/usr/bin/env bash
# with_redis.sh COMMAND...: run COMMAND with a redis-server of its own, started on a free
# 127.0.0.1 port (CYLON_REDIS=redis://127.0.0.1:PORT in its environment) and stopped
# afterwards, whatever COMMAND's outcome. For tests of the redis backend.
set -uo pipefail
command -v redis-server >/dev/null || {
  echo "with_redis: redis-server not found: run scripts/install-deps" >&2
  exit 1
}
dir=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
# A port taken by someone else makes redis-server exit at once: try another.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" &
  pid=$!
  for _ in $(seq 50); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break 2
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
done
[[ -n $pid ]] || { echo "with_redis: could not start redis-server" >&2; exit 1; }
CYLON_REDIS=redis://127.0.0.1:$port "$@"
status=$?
# The redis backend deletes its keys when the ranks close: none may be left.
left=$(redis-cli -p "$port" dbsize 2>/dev/null)
if ((status == 0)) && [[ $left != 0 ]]; then
  echo "with_redis: $left keys left in redis after the run" >&2
  status=1
fi
exit $status
