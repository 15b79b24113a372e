#!/usr/bin/env bash
# What a request costs at a fixed moderate rate against full speed, tsgate's region
# `ElencoServizi` beside nginx returning the same reply bytes, both over keep-alive mutual TLS
# with the same certificates (nginx set up as in run.sh), interleaved in every round. Besides
# the CPU per request (utime+stime from /proc), `perf stat` attached to the server's processes
# counts per request what the CPU went on: context switches (a thread that went to sleep or was
# preempted), futex calls (one thread waking or waiting for another), epoll waits (a thread
# going back to the kernel for network events), and fsync/fdatasync calls (durable commits).
# With TSGATE_B, a second tsgate binary runs beside the first in every round, on its own demo
# (interleaved: B after A at each rate), for before/after comparisons.
#
#   cargo build --release && bash benches/load/rate_cost.sh [requests] [concurrency]
#
# Environment:
#   RATES="- 2000"     `-` as fast as possible, a number a fixed rate (oha -q)
#   ROUNDS=3           rounds; the table gives each round's figure and the median
#   TSGATE=path        the binary (default target/release/tsgate); TSGATE_B=path a second one
#   TSGATE_ENV_B="K=V" environment for the second binary only (e.g. a configuration key)
#   OPERATION=InvioTest  measure the demo MMG's InvioTest (Basic + pincode) instead of the
#                      region's ElencoServizi (nginx still returns ElencoServizi's reply)
#   PERF_RECORD=dir    also `perf record -g` each tsgate phase into dir (perf report -i ...)
#
# Needs: oha (cargo install oha --locked), nginx (apt-get install nginx-light), perf
# (linux-perf), python3, curl. perf_event_paranoid must let perf attach to the processes.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
C=${2:-32}
ROUNDS=${ROUNDS:-3}
RATES=${RATES:-- 2000}
TSGATE=${TSGATE:-target/release/tsgate}
OPERATION=${OPERATION:-ElencoServizi}
PORT_A=18470
PORT_B=18472
PORT_N=18474
WORK=$(mktemp -d)
HZ=$(getconf CLK_TCK)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v oha >/dev/null || { echo "oha not found: cargo install oha --locked" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx not found: apt-get install nginx-light" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 1; }

start_tsgate() { # name binary port env...
  local name=$1 binary=$2 port=$3; shift 3
  env TSGATE_THROTTLE_DEFAULT='{per_second=1000000,burst=1000000}' \
    TSGATE_THROTTLE_CLIENTS='{"region:120"={per_second=1000000,burst=1000000}}' \
    TSGATE_LOG_LEVEL=warn TSGATE_SERVER_ADMIN_LISTEN=127.0.0.1:$((port + 1)) "$@" \
    "$binary" demo --dir "$WORK/$name" --listen "127.0.0.1:$port" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1 600); do curl -sk "https://127.0.0.1:$port/health" >/dev/null 2>&1 && return; sleep 0.2; done
  cat "$WORK/$name.log" >&2
  exit 1
}
start_tsgate a "$TSGATE" $PORT_A
SERVERS="a"
if [ -n "${TSGATE_B:-}" ]; then
  # shellcheck disable=SC2086
  start_tsgate b "$TSGATE_B" $PORT_B ${TSGATE_ENV_B:-}
  SERVERS="a b"
fi

CERTS=$WORK/a/certs
BODY=$WORK/a/samples/ElencoServizi-region.xml
REPLY=$(curl -s --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
  -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$BODY" "https://localhost:$PORT_A/ws/Servizi")
echo "$REPLY" | grep -q '<ric:codEsito>0000</ric:codEsito>' || { echo "tsgate did not answer 0000: $REPLY" >&2; exit 1; }
case "$REPLY" in *'$'*|*'\\'*) echo "reply not embeddable in nginx.conf" >&2; exit 1;; esac
REPLY_QUOTED=${REPLY//\'/\\\'}
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$PORT_N ssl;
    ssl_certificate $CERTS/server.pem;
    ssl_certificate_key $CERTS/server-key.pem;
    ssl_client_certificate $CERTS/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    client_body_buffer_size 64k;
    location / { default_type "text/xml; charset=utf-8"; return 200 '$REPLY_QUOTED'; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"
sleep 0.5
nginx_pids() { pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' '; }

# What each server is sent: the region's ElencoServizi, or the MMG's InvioTest on tsgate.
request_args() { # server → oha arguments after the common ones
  local server=$1 port
  case $server in nginx) port=$PORT_N;; a) port=$PORT_A;; b) port=$PORT_B;; esac
  local demo=$WORK/$server
  [ "$server" = nginx ] && demo=$WORK/a
  if [ "$server" != nginx ] && [ "$OPERATION" = InvioTest ]; then
    echo "-a DEMOMMG01:$(sed -n 's/^password=//p' "$demo/operator-credentials.txt") -D $WORK/$server-InvioTest.xml"
    echo "--cacert $demo/certs/ca.pem https://localhost:$port/ws/Sierologici"
  else
    echo "--cert $demo/certs/region-120.pem --key $demo/certs/region-120-key.pem -D $demo/samples/ElencoServizi-region.xml"
    echo "--cacert $demo/certs/ca.pem https://localhost:$port/ws/Servizi"
  fi
}
if [ "$OPERATION" = InvioTest ]; then
  for server in $SERVERS; do # an envelope for each demo: its pincode, a patient of its MMG
    port=$PORT_A; [ "$server" = b ] && port=$PORT_B
    demo=$WORK/$server
    password=$(sed -n 's/^password=//p' "$demo/operator-credentials.txt")
    pincode=$(sed -n 's:.*<req\:pinCode>\(.*\)</req\:pinCode>.*:\1:p' "$demo/samples/ElencoAssistiti-mmg.xml")
    today=$(TZ=Europe/Rome date +%F)
    sed -e "s|{PINCODE}|$pincode|" -e "s|{TODAY}|$today|" -e "s|{PATIENT}||" \
      tests/envelopes/sierologici/ElencoAssistiti.xml >"$WORK/$server-ElencoAssistiti.xml"
    patient=$(curl -s --cacert "$demo/certs/ca.pem" -u "DEMOMMG01:$password" -H 'Content-Type: text/xml; charset=utf-8' \
      --data-binary @"$WORK/$server-ElencoAssistiti.xml" "https://localhost:$port/ws/Sierologici" |
      sed -n 's:.*<ric\:cfAssistito>\([A-Z0-9]*\)</ric\:cfAssistito>.*:\1:p' | head -1)
    [ -n "$patient" ] || { echo "ElencoAssistiti gave no patient" >&2; exit 1; }
    sed -e "s|{PINCODE}|$pincode|" -e "s|{TODAY}|$today|" -e "s|{PATIENT}|$patient|" \
      tests/envelopes/sierologici/InvioTest.xml >"$WORK/$server-InvioTest.xml"
  done
fi

pids_of() { # server → its processes (tsgate: the process, perf follows its threads)
  case $1 in nginx) nginx_pids;; *) cat "$WORK/$1.pid";; esac
}
cpu_ticks() {
  local total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo $total
}
EVENTS=task-clock,context-switches,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync

oha_run() { # server requests rate → oha's JSON
  local server=$1 n=$2 rate=$3 args
  # shellcheck disable=SC2207
  args=($(request_args "$server" | tr '\n' ' '))
  local q=()
  [ "$rate" != - ] && q=(-q "$rate")
  oha --no-tui -n "$n" -c "$C" "${q[@]}" -m POST -T 'text/xml; charset=utf-8' --output-format json "${args[@]}"
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for rate in $RATES; do
    for server in nginx $SERVERS; do
      oha_run "$server" 300 "$rate" >/dev/null
      pids=$(pids_of "$server")
      pid_list=$(echo $pids | tr ' ' ',')
      perf stat -x '|' -e "$EVENTS" -p "$pid_list" -o "$WORK/stat" &
      PERF_PID=$!
      if [ -n "${PERF_RECORD:-}" ] && [ "$server" != nginx ]; then
        mkdir -p "$PERF_RECORD"
        perf record -q -F 999 -g -p "$pid_list" -o "$PERF_RECORD/$server-rate$rate-round$round.data" 2>/dev/null &
        RECORD_PID=$!
      fi
      sleep 0.3
      before=$(cpu_ticks $pids)
      out=$(oha_run "$server" "$N" "$rate")
      after=$(cpu_ticks $pids)
      kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true
      if [ -n "${RECORD_PID:-}" ]; then kill -INT "$RECORD_PID"; wait "$RECORD_PID" 2>/dev/null || true; RECORD_PID=; fi
      python3 - "$round" "$server" "$rate" "$((after - before))" "$HZ" "$WORK/stat" >>"$RESULTS" <<PY "$out"
import json, sys
round_, server, rate, ticks, hz, stat = sys.argv[1:7]
data = json.loads(sys.argv[7])
codes = data.get("statusCodeDistribution", {})
ok = max(sum(v for k, v in codes.items() if k.startswith("2")), 1)
counts = {}
for line in open(stat):
    parts = line.strip().split("|")
    if len(parts) > 2 and parts[0] and not parts[0].startswith("<"):
        try:
            counts[parts[2].replace("syscalls:sys_enter_", "")] = float(parts[0])
        except ValueError:
            pass
per = lambda k: counts.get(k, 0.0) / ok
print("\t".join(str(x) for x in [round_, server, rate,
    f"{data['summary']['requestsPerSec']:.0f}",
    f"{data['latencyPercentiles']['p50']*1000:.2f}", f"{data['latencyPercentiles']['p99']*1000:.2f}",
    f"{int(ticks) / int(hz) / ok * 1e6:.0f}",
    f"{per('context-switches'):.2f}", f"{per('futex'):.2f}",
    f"{per('epoll_wait') + per('epoll_pwait'):.2f}", f"{per('fsync') + per('fdatasync'):.3f}",
    f"{ok}"]))
PY
    done
  done
done

python3 - "$RESULTS" "$RATES" "$ROUNDS" "$N" "$C" "$OPERATION" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
groups = {}
for r in rows:
    groups.setdefault((r[1], r[2]), []).append(r)
med = lambda rs, i: statistics.median(float(r[i]) for r in rs)
names = {"nginx": "nginx (fixed reply)", "a": f"tsgate {sys.argv[6]}", "b": f"tsgate B {sys.argv[6]}"}
print(f"rates: {sys.argv[2]}; {sys.argv[3]} interleaved rounds of {sys.argv[4]} requests on "
      f"{sys.argv[5]} keep-alive mTLS connections; medians of the rounds; counts per request")
print("| server | rate | req/s | p50 ms | p99 ms | CPU µs/req (rounds) | × its own at - | context switches | futex calls | epoll waits | fsync+fdatasync |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (server, rate), rs in groups.items():
    full = groups.get((server, "-"))
    ratio = f"{med(rs, 6) / med(full, 6):.2f}" if full and rate != "-" else "-"
    print(f"| {names[server]} | {rate} | {med(rs, 3):.0f} | {med(rs, 4):.2f} | {med(rs, 5):.2f} | "
          f"{med(rs, 6):.0f} ({', '.join(r[6] for r in rs)}) | {ratio} | {med(rs, 7):.2f} | "
          f"{med(rs, 8):.2f} | {med(rs, 9):.2f} | {med(rs, 10):.3f} |")
PY
