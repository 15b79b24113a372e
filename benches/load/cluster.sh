#!/usr/bin/env bash
# Load through HAProxy with 1, 2 and 3 gateways (README "Scale-out"): ElencoServizi as region 120
# over mutual TLS, keep-alive, through the topology scripts/cluster.sh starts on one PostgreSQL
# database. Reports requests/s, latency, and CPU per request of the gateways together, of
# HAProxy, and of PostgreSQL's processes (utime+stime from /proc).
#
#   cargo build --release && bash benches/load/cluster.sh POSTGRES_URL [requests] [concurrency]
#
# POSTGRES_URL names an empty database the gateways may fill (it is seeded by the demo).
# Needs: oha (cargo install oha), haproxy, curl, and PostgreSQL's processes visible in /proc.
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE_URL=${1:?usage: cluster.sh POSTGRES_URL [requests] [concurrency]}
N=${2:-20000}
C=${3:-32}
TSGATE=${TSGATE_BIN:-target/release/tsgate}
WORK=$(mktemp -d)
LISTEN=127.0.0.1:18543
trap 'bash scripts/cluster.sh stop --run "$WORK/run" || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v oha >/dev/null || { echo "oha not found: cargo install oha" >&2; exit 1; }
[ -x "$TSGATE" ] || { echo "build first: cargo build --release" >&2; exit 1; }

# The demo makes the certificates, the configuration and the seeded database, then stops.
export TSGATE_STORE_URL=$STORE_URL
"$TSGATE" demo --dir "$WORK/demo" --listen 127.0.0.1:18542 >"$WORK/demo.log" 2>&1 &
DEMO=$!
for _ in $(seq 1 300); do [ -f "$WORK/demo/tsgate.toml" ] && break; sleep 0.2; done
sleep 1
kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
CERTS=$WORK/demo/certs
BODY=$WORK/demo/samples/ElencoServizi-region.xml

# A quota that does not get in the way.
export TSGATE_THROTTLE_DEFAULT='{per_second=1000000,burst=1000000}'
export TSGATE_THROTTLE_CLIENTS='{"region:120"={per_second=1000000,burst=1000000}}'
export TSGATE_LOG_LEVEL=warn

HZ=$(getconf CLK_TCK)
cpu_ticks() { # sum of utime+stime (clock ticks) of the given pids
  local total=0
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    fi
  done
  echo $total
}

echo "| gateways | req/s | mean ms | p99 ms | gateways' CPU µs/req | HAProxy µs/req | PostgreSQL µs/req | 2xx | the others |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in 1 2 3; do
  bash scripts/cluster.sh start --config "$WORK/demo/tsgate.toml" --run "$WORK/run" \
    --listen "$LISTEN" --instances "$n" --bin "$TSGATE" >/dev/null
  gateways=$(cat "$WORK"/run/gateway-*.pid | tr '\n' ' ')
  haproxy=$(cat "$WORK/run/haproxy.pid")
  postgres=$(pgrep -x postgres | tr '\n' ' ' || true)
  # A short warm-up: every gateway's first requests pay for its caches.
  oha --no-tui -n 500 -c "$C" -m POST -T 'text/xml; charset=utf-8' -D "$BODY" \
    --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
    "https://localhost:${LISTEN##*:}/ws/Servizi" >/dev/null
  g0=$(cpu_ticks $gateways); h0=$(cpu_ticks "$haproxy"); p0=$(cpu_ticks $postgres)
  out=$(oha --no-tui -n "$N" -c "$C" -m POST -T 'text/xml; charset=utf-8' -D "$BODY" \
    --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
    --output-format json "https://localhost:${LISTEN##*:}/ws/Servizi")
  g1=$(cpu_ticks $gateways); h1=$(cpu_ticks "$haproxy"); p1=$(cpu_ticks $postgres)
  python3 - "$n" "$N" "$((g1 - g0))" "$((h1 - h0))" "$((p1 - p0))" "$HZ" "$out" <<'PY'
import json, sys
n, total, g, h, p, hz = (int(x) for x in sys.argv[1:7])
data = json.loads(sys.argv[7])
s = data["summary"]
codes = data.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
# What the requests without a 2xx got: an HTTP status, or oha's error (no answer at all).
others = [f"{v}× HTTP {k}" for k, v in sorted(codes.items()) if not k.startswith("2")]
others += [f"{v}× {k}" for k, v in sorted(data.get("errorDistribution", {}).items())]
per = lambda ticks: ticks / hz / max(ok, 1) * 1e6
print(f"| {n} | {s['requestsPerSec']:.0f} | {s['average']*1000:.2f} | "
      f"{data['latencyPercentiles']['p99']*1000:.2f} | {per(g):.0f} | {per(h):.0f} | {per(p):.0f} | "
      f"{ok}/{total} | {'; '.join(others) or '–'} |")
PY
  bash scripts/cluster.sh stop --run "$WORK/run"
done
