#!/usr/bin/env bash
# Fan-out benchmark: canhbao, uWebSockets.js and ws, one after another, each
# with the same subscribers and messages, measured by fanout_load. Prints one
# table at the end, and a second one for reconnect storms. See
# bench/fanout/README.md.
#
# Usage: bench/fanout/run.sh [SUBSCRIBERS...]     (default: 5000 15000)
# Environment:
#   MESSAGES     messages per run (20)
#   PAUSE_MS     pause between messages, milliseconds (200)
#   SERVERS      servers to measure ("canhbao uws ws"; "canhbao" when NODES > 1)
#   FANOUT_LOAD  path of a built fanout_load; built with g++ when unset
#   CANHBAO_BIN  canhbao binary (build/server/canhbao)
#   NODES        canhbao nodes that share one Redis (1). Above 1, each node
#                gets SUBSCRIBERS subscribers from its own fanout_load, and
#                only the first tool publishes, through the first node.
#   STORM        after the messages, drop every connection at once and
#                reconnect; canhbao streams resume with since= so that each
#                replays STORM messages (0 = no storm; NODES must be 1)
#   STORM_BATCH  handshakes in flight during the storm (0 = no cap)
#   PORT_BASE    first port (18700); runs at the same time need distinct bases
#   SHOW_METRICS print canhbao's publish-to-send histogram after each run
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
canhbao=${CANHBAO_BIN:-$root/build/server/canhbao}
messages=${MESSAGES:-20}
pause_ms=${PAUSE_MS:-200}
nodes=${NODES:-1}
storm=${STORM:-0}
storm_batch=${STORM_BATCH:-0}
if [ "$nodes" -gt 1 ]; then servers=${SERVERS:-canhbao}; else servers=${SERVERS:-canhbao uws ws}; fi
if [ "$#" -gt 0 ]; then counts=("$@"); else counts=(5000 15000); fi

if [ "$nodes" -lt 1 ]; then
  echo "run.sh: invalid NODES '$nodes': expected 1 or more" >&2
  exit 2
fi
if [ "$nodes" -gt 1 ] && [ "$servers" != canhbao ]; then
  echo "run.sh: NODES=$nodes measures canhbao only, but SERVERS is '$servers'. Unset SERVERS or set it to canhbao" >&2
  exit 2
fi
if [ "$nodes" -gt 1 ] && [ "$storm" -gt 0 ]; then
  echo "run.sh: STORM=$storm needs NODES=1, not NODES=$nodes" >&2
  exit 2
fi

work=$(mktemp -d /tmp/canhbao-fanout.XXXXXX)
server_pids=()
redis_pid=""
tool_pids=()
cleanup() {
  local pid
  for pid in "${tool_pids[@]}" "${server_pids[@]}" $redis_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
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
case " $servers " in
  *" canhbao "*)
    [ -x "$canhbao" ] || { echo "run.sh: $canhbao is missing; build it with deploy/build.sh canhbao or set CANHBAO_BIN" >&2; exit 1; } ;;
esac
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

# A private redis-server on a Unix socket in DIR, with every write fsynced.
start_redis() {  # DIR
  redis-server --port 0 --unixsocket "$1/redis.sock" --unixsocketperm 700 --dir "$1" \
    --appendonly yes --appendfsync always --save '' --daemonize no --loglevel warning \
    --logfile "$1/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 50); do
    redis-cli -s "$1/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export CANHBAO_REDIS="unix://$1/redis.sock"
}

# One `canhbao serve` on PORT (metrics on PORT + 1) with its state in DIR,
# using the Redis of start_redis.
start_canhbao_node() {  # PORT DIR
  mkdir -p "$2/state"
  CANHBAO_LISTEN="127.0.0.1:$1" CANHBAO_METRICS_LISTEN="127.0.0.1:$(($1 + 1))" \
    CANHBAO_STATE_DIR="$2/state" CANHBAO_LOG_LEVEL=warn "$canhbao" serve 2>"$2/serve.log" &
  server_pids+=("$!")
  wait_for_port 127.0.0.1 "$1" "$!"
}

create_key() {
  canhbao_key=$("$canhbao" key create --role police --name bench | cut -f2)
}

stop_servers() {
  local pid
  for pid in "${server_pids[@]}" $redis_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
  redis_pid=""
}

# Prints the end of every server log under DIR, after a tool failed.
show_server_logs() {  # DIR
  local log
  for log in "$1"/serve.log "$1"/*/serve.log; do
    [ -s "$log" ] || continue
    echo "run.sh: last lines of $log:" >&2
    tail -n 20 "$log" >&2
  done
}

load_average() {
  cut -d' ' -f1 /proc/loadavg
}

results="$work/results"
storm_results="$work/storm_results"
: > "$results"
: > "$storm_results"
# Two runs at once must not share ports: set PORT_BASE apart for each.
port=${PORT_BASE:-18700}

# One server, one fanout_load.
run_single() {  # SERVER SUBSCRIBERS
  local server=$1 count=$2 status
  port=$((port + 2))
  local args=(--port "$port" --connections "$count" --messages "$messages" --pause-ms "$pause_ms"
              --body-file "$work/peer_body.json" --label "$server")
  [ "$storm" -gt 0 ] && args+=(--storm "$storm" --storm-batch "$storm_batch")
  case "$server" in
    canhbao)
      mkdir -p "$work/canhbao-$port"
      start_redis "$work/canhbao-$port"
      start_canhbao_node "$port" "$work/canhbao-$port"
      create_key
      args+=(--path "/v1/stream?categories=scam" --canhbao-key "$canhbao_key"
             --body-file "$work/alert.json") ;;
    uws) node "$here/peers/uws_server.js" "$port" & server_pids+=("$!")
         wait_for_port 127.0.0.1 "$port" "$!"
         args+=(--path /stream) ;;
    ws)  node "$here/peers/ws_server.js" "$port" & server_pids+=("$!")
         wait_for_port 127.0.0.1 "$port" "$!"
         args+=(--path /stream) ;;
    *) echo "run.sh: unknown server '$server'" >&2; exit 2 ;;
  esac
  echo "== $server, $count subscribers, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  set +e
  timeout 300 "$tool" "${args[@]}" --server-pid "${server_pids[0]}" | tee "$work/out"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "run.sh: fanout_load exited with $status for $server at $count" >&2
    [ "$server" = canhbao ] && show_server_logs "$work/canhbao-$port"
  fi
  local load
  load=$(load_average)
  grep '^RESULT ' "$work/out" | sed "s/\$/ $load/" >> "$results" || true
  grep '^STORM ' "$work/out" | sed "s/\$/ $load/" >> "$storm_results" || true
  if [ "$server" = canhbao ] && [ -n "${SHOW_METRICS:-}" ]; then
    # The server's own view: publish-to-send delay per delivery.
    curl -s "http://127.0.0.1:$((port + 1))/metrics" | grep '^canhbao_publish_to_send' || true
  fi
  stop_servers
}

# NODES canhbao nodes on one Redis, one fanout_load per node, all started
# together. They wait for each other through a sync folder, so every
# connection is open before the first tool publishes through node 1.
run_nodes() {  # SUBSCRIBERS
  local count=$1 dir="$work/nodes-$1" n status
  local ports=()
  mkdir -p "$dir"
  start_redis "$dir"
  for n in $(seq 1 "$nodes"); do
    port=$((port + 2))
    start_canhbao_node "$port" "$dir/node-$n"
    ports+=("$port")
  done
  create_key
  echo "== canhbao, $nodes nodes, $count subscribers each, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  tool_pids=()
  for n in $(seq 1 "$nodes"); do
    local args=(--port "${ports[n - 1]}" --connections "$count" --messages "$messages"
                --pause-ms "$pause_ms" --path "/v1/stream?categories=scam" --label "canhbao-$n"
                --server-pid "${server_pids[n - 1]}" --sync-dir "$dir/sync" --tools "$nodes")
    if [ "$n" -eq 1 ]; then
      args+=(--canhbao-key "$canhbao_key" --body-file "$work/alert.json")
    else
      args+=(--no-publish)
    fi
    timeout 300 "$tool" "${args[@]}" >"$dir/out-$n" 2>&1 &
    tool_pids+=("$!")
  done
  local failures=0
  for n in $(seq 1 "$nodes"); do
    set +e
    wait "${tool_pids[n - 1]}"
    status=$?
    set -e
    if [ "$status" -ne 0 ]; then
      echo "run.sh: fanout_load exited with $status for canhbao-$n at $count" >&2
      failures=$((failures + 1))
    fi
  done
  [ "$failures" -eq 0 ] || show_server_logs "$dir"
  tool_pids=()
  local load
  load=$(load_average)
  for n in $(seq 1 "$nodes"); do cat "$dir/out-$n"; done
  set +e
  "$tool" --aggregate "$dir/sync" --label all > "$dir/out-all"
  status=$?
  set -e
  cat "$dir/out-all"
  [ "$status" -eq 0 ] || echo "run.sh: fanout_load --aggregate exited with $status at $count" >&2
  for n in $(seq 1 "$nodes") all; do
    grep '^RESULT ' "$dir/out-$n" | sed "s/\$/ $load/" >> "$results" || true
  done
  stop_servers
}

for count in "${counts[@]}"; do
  if [ "$count" -gt $((fd_limit - 100)) ]; then
    echo "run.sh: skipping $count subscribers: the open-file limit is $fd_limit per process" >&2
    continue
  fi
  if [ "$nodes" -gt 1 ]; then
    run_nodes "$count"
    sleep 2
    continue
  fi
  for server in $servers; do
    run_single "$server" "$count"
    sleep 2
  done
done

echo
setup="$messages messages per run"
[ "$nodes" -gt 1 ] && setup="$setup, $nodes canhbao nodes with one fanout_load each"
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $setup"
row='| %-9s | %6s | %9s | %8s | %8s | %8s | %11s | %7s | %8s | %8s | %5s | %4s |'
# shellcheck disable=SC2059
printf "$row\n" server subs "last (ms)" "p50 (ms)" "p99 (ms)" "deliv/s" "deliv/CPU s" \
  "srv CPU" "tool CPU" "KiB/conn" "msg B" load
echo '|-----------|--------|-----------|----------|----------|----------|-------------|---------|----------|----------|-------|------|'
while read -r _ label subs last _ p50 p99 rate per_cpu server_cpu tool_cpu rss bytes missing load; do
  # shellcheck disable=SC2059
  printf "$row" "$label" "$subs" "$last" "$p50" "$p99" "$rate" "$per_cpu" "$server_cpu" \
    "$tool_cpu" "$rss" "$bytes" "$load"
  [ "$missing" = 0 ] && echo || echo " $missing missing"
done < "$results"

if [ -s "$storm_results" ]; then
  echo
  if [ "$storm_batch" -eq 0 ]; then cap="no cap on handshakes in flight"; else cap="at most $storm_batch handshakes in flight"; fi
  echo "Reconnect storm after the messages, $cap; caught up is '-' for servers without resume"
  row='| %-9s | %6s | %6s | %10s | %12s | %12s | %14s | %18s | %7s | %8s | %6s | %12s | %11s | %4s |\n'
  # shellcheck disable=SC2059
  printf "$row" server subs replay "close (ms)" "all 101 (ms)" "101 p50 (ms)" "caught up (ms)" \
    "caught-up p50 (ms)" "srv CPU" "tool CPU" failed "listen drops" "SYN resent" load
  echo '|-----------|--------|--------|------------|--------------|--------------|----------------|--------------------|---------|----------|--------|--------------|-------------|------|'
  while read -r _ label subs replay close_ms upgraded upgraded_p50 caught caught_p50 server_cpu tool_cpu \
      failed listen_drops syn_resent load; do
    # shellcheck disable=SC2059
    printf "$row" "$label" "$subs" "$replay" "$close_ms" "$upgraded" "$upgraded_p50" "$caught" \
      "$caught_p50" "$server_cpu" "$tool_cpu" "$failed" "$listen_drops" "$syn_resent" "$load"
  done < "$storm_results"
fi
