#!/usr/bin/env bash
# Builds a fuzz target with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it on its corpus for SECONDS
# (default 60). New inputs that reach new code are added to the corpus
# folder; commit the ones worth keeping.
#
# Usage: tests/fuzz/run.sh [SECONDS]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
out=$(mktemp -d /tmp/canhbao-fuzz.XXXXXX)
trap 'rm -rf "$out"' EXIT

clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$root" -o "$out/frame_parser_fuzz" \
  "$here/frame_parser_fuzz.cpp" "$root/server/websocket.cpp" "$root/notify/frame.cpp" -lcrypto
"$out/frame_parser_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  "$here/corpus/frame_parser"
