#!/usr/bin/env bash
# Every SOAP operation of the registry side by side with the catalogue call, on one gateway:
# requests/s, latency, and the CPU each request costs the server (utime+stime from /proc; with
# PostgreSQL, PostgreSQL's processes too), with the ratio to `ElencoServizi` sent by a region.
# Each operation is sent as its real caller sends it, over keep-alive HTTPS: `ElencoServizi` by
# the region (client certificate) and by the demo operator (Basic + pincode), the serology
# operations by the demo MMG and `InvioNumeroTest` by the demo ASL operator (Basic + pincode).
#
#   cargo build --release && bash benches/load/operations.sh [requests] [concurrency]
#
# Environment:
#   TSGATE_STORE_URL=postgres://…/DB  measure on PostgreSQL: DB is DROPPED and created afresh
#                                  (the demo seeds it with this run's credentials); default the
#                                  demo's own SQLite file
#   RATES="- 2000"                 the request rates, each operation run at each of them in every
#                                  round, side by side: `-` as fast as possible, a number a fixed
#                                  rate (oha -q); the table gives, per operation at a fixed rate,
#                                  its CPU per request against its own at `-` (default `-`;
#                                  RATE=N alone means RATES=N)
#   ROUNDS=3                       rounds, each operation once per round (interleaved); the table
#                                  shows each round's figure and their median
#   ONLY="ElencoServizi ElencoTest" only these operations (ElencoServizi always includes the
#                                  region's, the base of the ratios)
#   SEED_SENDS=25                  before the rounds, the demo MMG sends this many tests (curl,
#                                  one by one). `ElencoTest` lists every test of the day, so
#                                  its cost grows with each `InvioTest` the run sends: measure it
#                                  with ONLY leaving `InvioTest` out, on SEED_SENDS tests (the
#                                  table's title says how many it listed)
#   PROFILE=callgrind              run the gateway under valgrind's callgrind and report
#                                  instructions per request (user space, deterministic) instead
#                                  of /proc CPU; dumps stay in $CALLGRIND_OUT (default ./callgrind)
#   TSGATE=path                    the binary (default target/release/tsgate)
#   TSGATE_STORE_ACCESS_LOG_BATCH=1 one access-log entry a commit (default 512): with it, the
#                                  table's access-log commits/s (group commits of the run ÷
#                                  its duration) is what the store commits a second when no
#                                  batching helps
#   CONNECTIONS=1000               afterwards, the memory a connection costs: the gateway's
#                                  resident memory (VmRSS) with that many open keep-alive
#                                  mutual-TLS connections (oha, 200 requests/s among them) against
#                                  before them, divided by their number
#
# Needs: oha on PATH (cargo install oha --locked), curl, python3; psql for PostgreSQL; valgrind for
# PROFILE=callgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
C=${2:-32}
ROUNDS=${ROUNDS:-3}
RATES=${RATES:-${RATE:--}}
PROFILE=${PROFILE:-}
TSGATE=${TSGATE:-target/release/tsgate}
CALLGRIND_OUT=${CALLGRIND_OUT:-$PWD/callgrind}
PORT=${PORT:-18460}
ADMIN_PORT=$((PORT + 1))
WORK=$(mktemp -d)
HZ=$(getconf CLK_TCK)
ENVELOPES=tests/envelopes
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v oha >/dev/null || { echo "oha not found: cargo install oha --locked" >&2; exit 1; }
[ -x "$TSGATE" ] || { echo "build first: cargo build --release" >&2; exit 1; }

case "${TSGATE_STORE_URL:-}" in
  postgres*)
    DB=${TSGATE_STORE_URL##*/}
    DB=${DB%%\?*}
    psql "${TSGATE_STORE_URL%/*}/postgres" -q -c "DROP DATABASE IF EXISTS \"$DB\"" \
      -c "CREATE DATABASE \"$DB\"" >/dev/null
    ;;
esac

# The gateway, with quotas that do not get in the way; the demo seeds the users and registry.
launch=("$TSGATE" demo --dir "$WORK/demo" --listen "127.0.0.1:$PORT")
WARMUP=300
if [ "$PROFILE" = callgrind ]; then
  mkdir -p "$CALLGRIND_OUT"
  rm -f "$CALLGRIND_OUT"/callgrind.out.*
  launch=(valgrind --tool=callgrind --callgrind-out-file="$CALLGRIND_OUT/callgrind.out.%p"
    --dump-instr=no --collect-systime=no "${launch[@]}")
  WARMUP=100
fi
TSGATE_THROTTLE_DEFAULT='{per_second=1000000,burst=1000000}' \
TSGATE_THROTTLE_CLIENTS='{"region:120"={per_second=1000000,burst=1000000}}' \
TSGATE_LOG_LEVEL=warn \
TSGATE_SERVER_ADMIN_LISTEN=127.0.0.1:$ADMIN_PORT \
  "${launch[@]}" >"$WORK/tsgate.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do curl -sk "https://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sk "https://127.0.0.1:$PORT/health" >/dev/null || { cat "$WORK/tsgate.log" >&2; exit 1; }

DEMO=$WORK/demo
CERTS=$DEMO/certs
PASSWORD=$(sed -n 's/^password=//p' "$DEMO/operator-credentials.txt")
PINCODE=$(sed -n 's:.*<req\:pinCode>\(.*\)</req\:pinCode>.*:\1:p' "$DEMO/samples/ElencoAssistiti-mmg.xml")
TODAY=$(TZ=Europe/Rome date +%F)
[ -n "$PASSWORD" ] && [ -n "$PINCODE" ] || { echo "demo credentials not found" >&2; exit 1; }

send() { # user service envelope: one request with curl, the reply on stdout
  local user=$1 service=$2 envelope=$3
  if [ "$user" = region ]; then
    curl -s --cacert "$CERTS/ca.pem" --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
      -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$envelope" "https://localhost:$PORT/ws/$service"
  else
    curl -s --cacert "$CERTS/ca.pem" -u "$user:$PASSWORD" \
      -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$envelope" "https://localhost:$PORT/ws/$service"
  fi
}

fill() { # template → envelope with the demo's pincode, patient, today
  sed -e "s|{PINCODE}|$PINCODE|" -e "s|{PATIENT}|${PATIENT:-}|" -e "s|{TODAY}|$TODAY|" \
    -e "s|{SEND_ID}|${SEND_ID:-}|" "$1" >"$2"
}

fill "$ENVELOPES/sierologici/ElencoAssistiti.xml" "$WORK/ElencoAssistiti.xml"
PATIENT=$(send DEMOMMG01 Sierologici "$WORK/ElencoAssistiti.xml" |
  sed -n 's:.*<ric\:cfAssistito>\([A-Z0-9]*\)</ric\:cfAssistito>.*:\1:p' | head -1)
[ -n "$PATIENT" ] || { echo "ElencoAssistiti gave no patient" >&2; exit 1; }
fill "$ENVELOPES/sierologici/InvioTest.xml" "$WORK/InvioTest.xml"
SEND_ID=$(send DEMOMMG01 Sierologici "$WORK/InvioTest.xml" |
  sed -n 's:.*<ric\:idTransazione>\([0-9]*\)</ric\:idTransazione>.*:\1:p' | head -1)
[ -n "$SEND_ID" ] || { echo "InvioTest gave no transaction id" >&2; exit 1; }
fill "$ENVELOPES/sierologici/AnnullaTest.xml" "$WORK/AnnullaTest.xml"
fill "$ENVELOPES/sierologici/ElencoTest.xml" "$WORK/ElencoTest.xml"
fill "$ENVELOPES/asl/InvioNumeroTest.xml" "$WORK/InvioNumeroTest.xml"
cp "$DEMO/samples/ElencoServizi-region.xml" "$WORK/ElencoServizi-region.xml"
cp "$DEMO/samples/ElencoServizi-operator.xml" "$WORK/ElencoServizi-operator.xml"

# name | caller | service | envelope | what its reply must hold (each is checked once first)
OPERATIONS=(
  "ElencoServizi|region|Servizi|ElencoServizi-region.xml|<ric:codEsito>0000<"
  "ElencoServizi|operator|Servizi|ElencoServizi-operator.xml|<ric:codEsito>0000<"
  "ElencoAssistiti|mmg|Sierologici|ElencoAssistiti.xml|<ric:codEsito>0000<"
  "InvioTest|mmg|Sierologici|InvioTest.xml|<ric:codEsito>0000<"
  "ElencoTest|mmg|Sierologici|ElencoTest.xml|<ric:codEsito>0000<"
  "AnnullaTest|mmg|Sierologici|AnnullaTest.xml|<ric:codEsito>"
  "InvioNumeroTest|asl|ASL|InvioNumeroTest.xml|<ric:codEsito>0000<"
)
if [ -n "${ONLY:-}" ]; then
  kept=()
  for op in "${OPERATIONS[@]}"; do
    name=${op%%|*}
    case " $ONLY " in *" $name "*) kept+=("$op");; esac
  done
  OPERATIONS=("${kept[@]}")
fi
case "${OPERATIONS[0]}" in ElencoServizi\|region\|*) ;; *) echo "ONLY must keep ElencoServizi" >&2; exit 1;; esac
user_of() { case $1 in region) echo region;; operator) echo DEMOOP01;; mmg) echo DEMOMMG01;; asl) echo DEMOASL01;; esac; }

for op in "${OPERATIONS[@]}"; do
  IFS='|' read -r name caller service envelope expect <<<"$op"
  reply=$(send "$(user_of "$caller")" "$service" "$WORK/$envelope")
  case "$reply" in *"$expect"*) ;; *) echo "$name ($caller) did not answer $expect: $reply" >&2; exit 1;; esac
done

for _ in $(seq 1 "${SEED_SENDS:-0}"); do
  case "$(send DEMOMMG01 Sierologici "$WORK/InvioTest.xml")" in
    *"<ric:codEsito>0000<"*) ;;
    *) echo "a seeding InvioTest failed" >&2; exit 1;;
  esac
done

server_pids() { echo "$SERVER_PID" $(pgrep -P "$SERVER_PID" | tr '\n' ' '); }
postgres_pids() { # the server processes of this database's connections (other databases' and
  # PostgreSQL's shared background processes are not counted)
  case "${TSGATE_STORE_URL:-}" in postgres*) pgrep -f "^postgres: .* $DB " | tr '\n' ' ';; *) echo;; esac
}
cpu_ticks() { # utime+stime (clock ticks) of the given pids
  local total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo $total
}
switches() { # voluntary context switches of the gateway's threads: how often one went to
  # sleep waiting for another (a hand-off), counted by the kernel
  # (a thread may end between the glob and cat: what was read still counts)
  { cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null || true; } | awk '/^voluntary_ctxt_switches:/ {n += $2} END {print n + 0}'
}
metric() { # a counter from the admin listener
  curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}' | head -1
}
callgrind_dump() { # dumps the counters since the last dump; prints the dump's instructions
  callgrind_control -d "$SERVER_PID" >/dev/null
  local file
  file=$(ls -t "$CALLGRIND_OUT"/callgrind.out.* | head -1)
  awk '/^totals:/ {print $2}' "$file"
}

oha_run() { # caller service envelope requests rate → oha's JSON
  local user args
  user=$(user_of "$1")
  args=(--no-tui -n "$4" -c "$C" -m POST -T 'text/xml; charset=utf-8' -D "$WORK/$3"
    --cacert "$CERTS/ca.pem" --output-format json)
  [ "$5" != - ] && args+=(-q "$5")
  if [ "$user" = region ]; then
    args+=(--cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem")
  else
    args+=(-a "$user:$PASSWORD")
  fi
  oha "${args[@]}" "https://localhost:$PORT/ws/$2"
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for op in "${OPERATIONS[@]}"; do
  for rate in $RATES; do
    IFS='|' read -r name caller service envelope expect <<<"$op"
    oha_run "$caller" "$service" "$envelope" "$WARMUP" "$rate" >/dev/null
    [ "$PROFILE" = callgrind ] && callgrind_dump >/dev/null
    entries_before=$(metric tsgate_access_log_entries_total)
    commits_before=$(metric tsgate_access_log_commits_total)
    switches_before=$(switches)
    server_before=$(cpu_ticks $(server_pids))
    pg_before=$(cpu_ticks $(postgres_pids))
    out=$(oha_run "$caller" "$service" "$envelope" "$N" "$rate")
    server_after=$(cpu_ticks $(server_pids))
    pg_after=$(cpu_ticks $(postgres_pids))
    switches_after=$(switches)
    instructions=0
    [ "$PROFILE" = callgrind ] && instructions=$(callgrind_dump)
    entries_after=$(metric tsgate_access_log_entries_total)
    commits_after=$(metric tsgate_access_log_commits_total)
    python3 - "$round" "$name" "$caller" "$N" "$HZ" "$((server_after - server_before))" \
      "$((pg_after - pg_before))" "$instructions" \
      "${entries_before:-0}" "${entries_after:-0}" "${commits_before:-0}" "${commits_after:-0}" \
      "$((switches_after - switches_before))" "$rate" \
      >>"$RESULTS" <<PY "$out"
import json, sys
(round_, name, caller, n, hz, ticks, pg_ticks, instr,
 e0, e1, c0, c1, switches, rate) = sys.argv[1:15]
data = json.loads(sys.argv[15])
s = data["summary"]
codes = data.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
per = lambda t: int(t) / int(hz) / max(ok, 1) * 1e6
commits = float(c1) - float(c0)
print("\t".join(str(x) for x in [
    round_, name, caller, f"{s['requestsPerSec']:.0f}",
    f"{data['latencyPercentiles']['p50']*1000:.2f}", f"{data['latencyPercentiles']['p99']*1000:.2f}",
    f"{per(ticks):.0f}", f"{per(pg_ticks):.0f}", f"{int(instr) / max(ok, 1):.0f}",
    f"{(float(e1) - float(e0)) / commits:.1f}" if commits else "-", f"{ok}/{n}",
    f"{int(switches) / max(ok, 1):.1f}", rate, f"{commits / s['total']:.0f}"]))
PY
  done
  done
done

LISTED=-
case " ${OPERATIONS[*]} " in
  *" ElencoTest|"*) LISTED=$(send DEMOMMG01 Sierologici "$WORK/ElencoTest.xml" | grep -o '<ric:Test>' | wc -l || true);;
esac

python3 - "$RESULTS" "$PROFILE" "${TSGATE_STORE_URL:-sqlite}" "$RATES" "$ROUNDS" "$N" "$C" "$LISTED" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
callgrind = sys.argv[2] == "callgrind"
postgres = sys.argv[3].startswith("postgres")
by_op = {}
for r in rows:
    by_op.setdefault((r[1], r[2], r[12]), []).append(r)
def med(values):
    return statistics.median(float(v) for v in values)
col = 8 if callgrind else 6
def cost(rs):
    c = med(r[col] for r in rs)
    if postgres and not callgrind:
        c += med(r[7] for r in rs)
    return c
print(f"backend: {'postgres' if postgres else 'sqlite'}; rates: {sys.argv[4]} (- as fast as "
      f"possible); {sys.argv[5]} interleaved rounds of {sys.argv[6]} requests, {sys.argv[7]} "
      f"connections; ElencoTest listed {sys.argv[8]} tests at the end; {'instructions per request (callgrind, user space)' if callgrind else 'CPU µs per request (utime+stime)'}; medians of the rounds")
head = "| operation | caller | rate | req/s | p50 ms | p99 ms |"
head += " instructions/req |" if callgrind else " gateway CPU µs/req (rounds) |"
if postgres and not callgrind:
    head += " PostgreSQL CPU µs/req (rounds) |"
head += " ratio to ElencoServizi (region), same rate | ratio to its own at - | thread sleeps/req | entries per commit | access-log commits/s | 2xx |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for (name, caller, rate), rs in by_op.items():
    base = by_op.get(("ElencoServizi", "region", rate))
    saturated = by_op.get((name, caller, "-"))
    line = f"| {name} | {caller} | {rate} | {med(r[3] for r in rs):.0f} | {med(r[4] for r in rs):.2f} | {med(r[5] for r in rs):.2f} |"
    if callgrind:
        line += f" {med(r[8] for r in rs):,.0f} |"
    else:
        line += f" {med(r[6] for r in rs):.0f} ({', '.join(r[6] for r in rs)}) |"
    if postgres and not callgrind:
        line += f" {med(r[7] for r in rs):.0f} ({', '.join(r[7] for r in rs)}) |"
    line += f" {cost(rs) / cost(base):.2f} |" if base else " - |"
    line += f" {cost(rs) / cost(saturated):.2f} |" if saturated and rate != "-" else " - |"
    line += f" {med(r[11] for r in rs):.1f} | {rs[-1][9]} | {med(r[13] for r in rs):.0f} | {rs[-1][10]} |"
    print(line)
PY

if [ -n "${CONNECTIONS:-}" ]; then
  rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
  before=$(rss)
  oha --no-tui -z 12s -c "$CONNECTIONS" -q 200 -m POST -T 'text/xml; charset=utf-8' \
    -D "$WORK/ElencoServizi-region.xml" --cacert "$CERTS/ca.pem" \
    --cert "$CERTS/region-120.pem" --key "$CERTS/region-120-key.pem" \
    "https://localhost:$PORT/ws/Servizi" >/dev/null &
  OHA_PID=$!
  sleep 9
  open=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
  during=$(rss)
  wait "$OHA_PID" || true
  echo
  echo "memory: VmRSS $before KiB before, $during KiB with $open open connections:" \
    "$(( (during - before) * 1024 / (open > 0 ? open : 1) )) bytes a connection"
fi
