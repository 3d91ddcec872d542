#!/usr/bin/env bash
# The first command: installs the Debian packages, builds canhbao, starts a
# local redis-server (AOF, appendfsync always) on a Unix socket under var/,
# starts `canhbao serve`, loads the demo data once, and keeps the service in
# the foreground until Ctrl-C. Redis keeps running afterwards with its data;
# `deploy/run.sh stop` stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
var="$root/var"
redis_dir="$var/redis"
redis_socket="$redis_dir/redis.sock"
binary="$root/build/server/canhbao"

if [ "${1:-}" = "stop" ]; then
  pid=$(cat "$redis_dir/redis.pid" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: redis is not running"
    exit 0
  fi
  kill "$pid"
  # Redis writes its AOF before it exits; wait up to 10 s for that.
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: redis (pid $pid) is still shutting down" >&2
    exit 1
  fi
  echo "run.sh: redis stopped"
  exit 0
fi

bash "$root/deploy/install-deps.sh"
bash "$root/deploy/build.sh" canhbao

mkdir -p "$redis_dir" "$var/canhbao"
if ! redis-cli -s "$redis_socket" ping >/dev/null 2>&1; then
  redis-server "$root/deploy/redis.conf" --dir "$redis_dir" --unixsocket "$redis_socket" \
    --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -s "$redis_socket" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
redis-cli -s "$redis_socket" ping >/dev/null || { echo "run.sh: redis did not start; see $redis_dir/redis.log" >&2; exit 1; }

export CANHBAO_REDIS="unix://$redis_socket"
export CANHBAO_STATE_DIR="${CANHBAO_STATE_DIR:-$var/canhbao}"
listen="${CANHBAO_LISTEN:-127.0.0.1:8080}"
export CANHBAO_LISTEN="$listen"

"$binary" serve &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' INT TERM EXIT

for _ in $(seq 1 100); do
  curl -fs "http://$listen/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: canhbao serve exited" >&2; exit 1; }
  sleep 0.1
done

bash "$root/deploy/demo/load.sh" "http://$listen" "$binary" "$var/demo"

echo
echo "canhbao is serving on http://$listen (metrics on ${CANHBAO_METRICS_LISTEN:-127.0.0.1:9090})."
echo "Demo keys are in $var/demo/keys.env. Press Ctrl-C to stop the service;"
echo "Redis keeps running with its data until 'deploy/run.sh stop'."
wait "$server_pid"
