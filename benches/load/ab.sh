#!/usr/bin/env bash
# A/B: server CPU per keep-alive `ElencoServizi` request (mutual TLS, 32 clients), two tsgate
# binaries interleaved round by round, so that a noisy machine hits both alike. Each round
# starts the binary's `demo` on a fresh directory, warms it with 3,000 requests, then measures
# 20,000 (utime+stime from /proc).
#
#   bash benches/load/ab.sh BEFORE_BINARY AFTER_BINARY [rounds]
#
# Needs: oha (cargo install oha).
set -euo pipefail
BEFORE=$1
AFTER=$2
ROUNDS=${3:-3}
command -v oha >/dev/null || { echo "oha not found: cargo install oha" >&2; exit 1; }
HZ=$(getconf CLK_TCK)

one() { # label binary port
  local label=$1 bin=$2 port=$3 dir pid before after out
  dir=$(mktemp -d)
  TSGATE_THROTTLE_DEFAULT='{per_second=1000000,burst=1000000}' \
  TSGATE_THROTTLE_CLIENTS='{"region:120"={per_second=1000000,burst=1000000}}' \
  TSGATE_LOG_LEVEL=warn \
    "$bin" demo --dir "$dir/demo" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
  local certs=$dir/demo/certs
  local args=(--no-tui -c 32 -m POST -T 'text/xml; charset=utf-8'
    -D "$dir/demo/samples/ElencoServizi-region.xml" --cacert "$certs/ca.pem"
    --cert "$certs/region-120.pem" --key "$certs/region-120-key.pem")
  oha -n 3000 "${args[@]}" "https://localhost:$port/ws/Servizi" >/dev/null
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(oha -n 20000 "${args[@]}" "https://localhost:$port/ws/Servizi" | grep -E 'Requests/sec' | tr -s ' \t' ' ')
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  echo "$label: $(( (after - before) * 1000000 / HZ / 20000 )) µs/req,$out"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

for round in $(seq 1 "$ROUNDS"); do
  one "round $round before" "$BEFORE" 18601
  one "round $round after " "$AFTER" 18602
done
