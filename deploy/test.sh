#!/usr/bin/env bash
# The test command: installs what is missing, builds everything and runs
# every test. Each test starts its own redis-server on a private Unix
# socket, so nothing else needs to be running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install-deps.sh"
bash "$root/deploy/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 300 -j2
