#!/usr/bin/env bash
# VmRSS of Gatehouse right after it restores the live routes of an existing data directory
# (copied first, so the original is untouched): what the routes cost without the allocator's
# leftovers from the REST calls that made them live. Loopback only.
#   bench/restart_rss.sh BINARY DATA_DIR
set -euo pipefail
binary=$1 data=$2
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$data/." "$copy/"
out="$copy/stdout.log"
GATEHOUSE_DATA_DIR="$copy" GATEHOUSE_PORTAL_ADDR=127.0.0.1:0 GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR=127.0.0.1:0 \
  GATEHOUSE_GATEWAY_PRODUCTION_ADDR=127.0.0.1:0 RUST_LOG=warn TOKIO_WORKER_THREADS=1 "$binary" >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q "(Production)" "$out" && break; sleep 0.3; done
sleep 2
echo "$binary: $(grep VmRSS /proc/$pid/status)"
kill "$pid"; wait "$pid" 2>/dev/null || true
