#!/usr/bin/env bash
# Load test: tsgate vs nginx returning a fixed body, both over mutual TLS with the same
# certificates, side by side in one run. Reports requests/s and server CPU per request
# (utime+stime of the server processes, from /proc) for keep-alive and for a new TLS
# connection per request (nginx with and without session resumption: tsgate resumes sessions
# for clients that keep a session store, as oha does); then InvioOTP through tsgate to a local
# Immuni upstream (nginx answering 204 on /v1/otp), beside ElencoServizi on the same gateway.
#
#   cargo build --release && bash benches/load/run.sh [requests] [concurrency]
#
# Needs: oha (cargo install oha), nginx (apt-get install nginx-light).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
C=${2:-32}
WORK=$(mktemp -d)
TSGATE=target/release/tsgate
PORT_T=18443
PORT_N=18444
PORT_U=18445
PORT_R=18446
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v oha >/dev/null || { echo "oha not found: cargo install oha" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx not found: apt-get install nginx-light" >&2; exit 1; }
[ -x "$TSGATE" ] || { echo "build first: cargo build --release" >&2; exit 1; }

# The gateway, with a quota that does not get in the way.
TSGATE_THROTTLE_DEFAULT='{per_second=1000000,burst=1000000}' \
TSGATE_THROTTLE_CLIENTS='{"region:120"={per_second=1000000,burst=1000000}}' \
TSGATE_LOG_LEVEL=warn \
TSGATE_IMMUNI_BASE_URL=http://127.0.0.1:$PORT_U \
  env ${EXTRA_ENV:-} "$TSGATE" demo --dir "$WORK/demo" --listen 127.0.0.1:$PORT_T >"$WORK/tsgate.log" 2>&1 &
TSGATE_PID=$!
for _ in $(seq 1 100); do curl -sk https://127.0.0.1:$PORT_T/health >/dev/null 2>&1 && break; sleep 0.2; done
CERTS=$WORK/demo/certs
BODY=$WORK/demo/samples/ElencoServizi-region.xml
REPLY=$(curl -s --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
  -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$BODY" https://localhost:$PORT_T/ws/Servizi)
echo "$REPLY" | grep -q '<ric:codEsito>0000</ric:codEsito>' || { echo "tsgate did not answer 0000: $REPLY" >&2; exit 1; }
case "$REPLY" in *'$'*|*'\\'*) echo "reply not embeddable in nginx.conf" >&2; exit 1;; esac
REPLY_QUOTED=${REPLY//\'/\\\'}   # nginx single-quoted string: escape the apostrophes

# nginx: same certificates, client certificate required, returns the same bytes.
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$PORT_N ssl http2;

    ssl_certificate $CERTS/server.pem;
    ssl_certificate_key $CERTS/server-key.pem;
    ssl_client_certificate $CERTS/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    keepalive_requests 1000000;
    client_body_buffer_size 64k;
    location / { default_type "text/xml; charset=utf-8"; return 200 '$REPLY_QUOTED'; }
  }
  # The same server with TLS session resumption on (cache + tickets), as tsgate resumes sessions
  # for clients that keep a session store (oha does): new connections compared like with like.
  server {
    listen 127.0.0.1:$PORT_R ssl http2;

    ssl_certificate $CERTS/server.pem;
    ssl_certificate_key $CERTS/server-key.pem;
    ssl_client_certificate $CERTS/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:tsgate_bench:10m;
    ssl_session_tickets on;
    keepalive_requests 1000000;
    client_body_buffer_size 64k;
    location / { default_type "text/xml; charset=utf-8"; return 200 '$REPLY_QUOTED'; }
  }
  # The Immuni upstream of InvioOTP: accepts every upload (plain HTTP, keep-alive).
  server {
    listen 127.0.0.1:$PORT_U;
    keepalive_requests 1000000;
    location = /v1/otp { return 204; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"
sleep 0.5
NGINX_PIDS=$(pgrep -f "nginx.*$WORK/nginx.conf" | tr '\n' ' ')

cpu_ticks() { # sum of utime+stime (clock ticks) of the given pids
  local total=0
  for pid in "$@"; do
    if [ -r /proc/$pid/stat ]; then
      total=$((total + $(awk '{print $14 + $15}' /proc/$pid/stat)))
    fi
  done
  echo $total
}
# nginx workers are children of the master.
nginx_pids() { echo $NGINX_PIDS $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' '); }
HZ=$(getconf CLK_TCK)

run() { # name url pids... ; extra oha args in $EXTRA, request body in $BODY
  local name=$1 url=$2; shift 2
  local before after
  before=$(cpu_ticks "$@")
  local out
  out=$(oha --no-tui -n "$N" -c "$C" $EXTRA -m POST -T 'text/xml; charset=utf-8' -D "$BODY" \
    --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
    --output-format json "$url")
  after=$(cpu_ticks "$@")
  python3 - "$name" "$N" "$((after - before))" "$HZ" <<PY "$out"
import json, sys
name, n, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = json.loads(sys.argv[5])
s = data["summary"]
codes = data.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
cpu_us = ticks / hz / max(ok, 1) * 1e6
print(f"| {name} | {s['requestsPerSec']:.0f} | {s['average']*1000:.2f} | {data['latencyPercentiles']['p99']*1000:.2f} | {cpu_us:.0f} | {ok}/{n} |")
PY
}

echo "| run | req/s | mean ms | p99 ms | server CPU µs/req | 2xx |"
echo "|---|---|---|---|---|---|"
EXTRA=""
run "nginx, keep-alive" "https://localhost:$PORT_N/ws/Servizi" $(nginx_pids)
run "tsgate, keep-alive" "https://localhost:$PORT_T/ws/Servizi" $TSGATE_PID
EXTRA="--disable-keepalive"
run "nginx, new TLS connection per request" "https://localhost:$PORT_N/ws/Servizi" $(nginx_pids)
run "nginx with session resumption, new TLS connection per request" "https://localhost:$PORT_R/ws/Servizi" $(nginx_pids)
run "tsgate, new TLS connection per request" "https://localhost:$PORT_T/ws/Servizi" $TSGATE_PID

# InvioOTP: the same OTP every time (the upstream does not mind), beside ElencoServizi.
EXTRA=""
OTP_BODY=$WORK/demo/samples/InvioOTP-region.xml
OTP_REPLY=$(curl -s --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
  -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$OTP_BODY" https://localhost:$PORT_T/ws/InvioOTP)
echo "$OTP_REPLY" | grep -q '<ric:codEsito>0000</ric:codEsito>' || { echo "InvioOTP did not answer 0000: $OTP_REPLY" >&2; exit 1; }
run "tsgate ElencoServizi, keep-alive" "https://localhost:$PORT_T/ws/Servizi" $TSGATE_PID
BODY=$OTP_BODY
UPSTREAM_BEFORE=$(cpu_ticks $(nginx_pids))
run "tsgate InvioOTP → upstream 204, keep-alive" "https://localhost:$PORT_T/ws/InvioOTP" $TSGATE_PID
UPSTREAM_AFTER=$(cpu_ticks $(nginx_pids))
python3 -c "print(f'\nupstream (nginx answering 204) CPU during the InvioOTP run: {($UPSTREAM_AFTER - $UPSTREAM_BEFORE) / $HZ / $N * 1e6:.0f} µs/req')"
