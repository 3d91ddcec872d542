#!/usr/bin/env bash
# Fan-out benchmark: canhbao, uWebSockets.js and ws, one after another, each
# with the same subscribers and messages, measured by fanout_load. Prints one
# table at the end. See bench/fanout/README.md.
#
# Usage: bench/fanout/run.sh [SUBSCRIBERS...]     (default: 5000 15000)
# Environment: MESSAGES (20), PAUSE_MS (200), SERVERS ("canhbao uws ws"),
# FANOUT_LOAD (path of a built fanout_load; built with g++ when unset).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
canhbao="$root/build/server/canhbao"
messages=${MESSAGES:-20}
pause_ms=${PAUSE_MS:-200}
servers=${SERVERS:-canhbao uws ws}
if [ "$#" -gt 0 ]; then counts=("$@"); else counts=(5000 15000); fi

work=$(mktemp -d /tmp/canhbao-fanout.XXXXXX)
server_pid=""
redis_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Each process needs one descriptor per connection, plus a few.
ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)

tool=${FANOUT_LOAD:-}
if [ -z "$tool" ]; then
  tool="$work/fanout_load"
  g++ -std=c++20 -O2 -o "$tool" "$here/fanout_load.cpp"
fi
[ -x "$canhbao" ] || { echo "run.sh: $canhbao is missing; build it with deploy/build.sh canhbao" >&2; exit 1; }
[ -d "$here/node_modules/ws" ] || { echo "run.sh: run 'npm ci' in $here first" >&2; exit 1; }

# About 1 KB of alert text for every server. The peers send this body as
# is. canhbao sends its own JSON of the alert, which has more fields.
description=$(printf 'Cảnh báo thử tải: cuộc gọi giả danh công an yêu cầu chuyển tiền vào tài khoản %.0s' $(seq 1 11))
cat > "$work/alert.json" <<JSON
{"category": "scam", "severity": "moderate", "urgency": "expected", "certainty": "likely",
 "cap_status": "actual", "areas": ["19753"],
 "headline": {"vi": "Cảnh báo thử tải", "en": "Load test warning"},
 "description": {"vi": "$description", "en": "Load test warning"}}
JSON
cp "$work/alert.json" "$work/peer_body.json"

wait_for_port() {  # HOST PORT PID
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "run.sh: server exited at start" >&2; return 1; }
    sleep 0.1
  done
  echo "run.sh: nothing listens on $1:$2 after 10 s" >&2
  return 1
}

start_canhbao() {  # PORT
  local dir="$work/canhbao-$1"
  mkdir -p "$dir/state"
  redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --dir "$dir" \
    --appendonly yes --appendfsync always --save '' --daemonize no --loglevel warning \
    --logfile "$dir/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 50); do
    redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export CANHBAO_REDIS="unix://$dir/redis.sock" CANHBAO_STATE_DIR="$dir/state"
  export CANHBAO_LISTEN="127.0.0.1:$1" CANHBAO_METRICS_LISTEN="127.0.0.1:$(($1 + 1))"
  export CANHBAO_LOG_LEVEL=warn
  "$canhbao" serve 2>"$dir/serve.log" &
  server_pid=$!
  wait_for_port 127.0.0.1 "$1" "$server_pid"
  canhbao_key=$("$canhbao" key create --role police --name bench | cut -f2)
}

stop_servers() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; }
  [ -n "$redis_pid" ] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true; }
  server_pid=""
  redis_pid=""
}

results="$work/results"
: > "$results"
port=18700
for count in "${counts[@]}"; do
  if [ "$count" -gt $((fd_limit - 100)) ]; then
    echo "run.sh: skipping $count subscribers: the open-file limit is $fd_limit per process" >&2
    continue
  fi
  for server in $servers; do
    port=$((port + 2))
    args=(--port "$port" --connections "$count" --messages "$messages" --pause-ms "$pause_ms"
          --body-file "$work/peer_body.json" --label "$server")
    case "$server" in
      canhbao)
        start_canhbao "$port"
        args+=(--path "/v1/stream?categories=scam" --canhbao-key "$canhbao_key"
               --body-file "$work/alert.json") ;;
      uws) node "$here/peers/uws_server.js" "$port" & server_pid=$!
           wait_for_port 127.0.0.1 "$port" "$server_pid"
           args+=(--path /stream) ;;
      ws)  node "$here/peers/ws_server.js" "$port" & server_pid=$!
           wait_for_port 127.0.0.1 "$port" "$server_pid"
           args+=(--path /stream) ;;
      *) echo "run.sh: unknown server '$server'" >&2; exit 2 ;;
    esac
    echo "== $server, $count subscribers, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    set +e
    timeout 300 "$tool" "${args[@]}" --server-pid "$server_pid" | tee "$work/out"
    status=${PIPESTATUS[0]}
    set -e
    [ "$status" -eq 0 ] || echo "run.sh: fanout_load exited with $status for $server at $count" >&2
    grep '^RESULT ' "$work/out" | sed "s/\$/ $(cut -d' ' -f1 /proc/loadavg)/" >> "$results" || true
    stop_servers
    sleep 2
  done
done

echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $messages messages per run"
row='| %-7s | %6s | %9s | %8s | %8s | %8s | %11s | %7s | %8s | %8s | %5s | %4s |'
# shellcheck disable=SC2059
printf "$row\n" server subs "last (ms)" "p50 (ms)" "p99 (ms)" "deliv/s" "deliv/CPU s" \
  "srv CPU" "tool CPU" "KiB/conn" "msg B" load
echo '|---------|--------|-----------|----------|----------|----------|-------------|---------|----------|----------|-------|------|'
while read -r _ label subs last _ p50 p99 rate per_cpu server_cpu tool_cpu rss bytes missing load; do
  # shellcheck disable=SC2059
  printf "$row" "$label" "$subs" "$last" "$p50" "$p99" "$rate" "$per_cpu" "$server_cpu" \
    "$tool_cpu" "$rss" "$bytes" "$load"
  [ "$missing" = 0 ] && echo || echo " $missing missing"
done < "$results"
