#!/usr/bin/env bash
# The scale-out topology from local processes (README "Scale-out"): HAProxy in TCP mode, sending
# the PROXY protocol (v2) and health-checking each gateway's /health, in front of N `tsgate serve`
# sharing one PostgreSQL database and one certs/ folder. The tests start it this way
# (tests/api/cluster.rs); docker-compose's `cluster` profile runs the same topology in containers.
#
#   scripts/cluster.sh start --config FILE --run DIR [--listen 127.0.0.1:8443] [--instances 3]
#                            [--bin PATH] [--store-url postgres://…]
#   scripts/cluster.sh stop --run DIR
#
# FILE is an ordinary gateway configuration whose store is PostgreSQL (or --store-url names it).
# Each instance gets its own free loopback ports (public and admin) and trusts the PROXY protocol
# from 127.0.0.1 only, where HAProxy connects from; every other TSGATE_* variable in the
# environment reaches every instance unchanged. DIR receives haproxy.cfg, each process's log and
# pid (gateway-N.pid, haproxy.pid) and the instances' ports (gateway-N.ports: "public admin").
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

command=${1:-}
[ -n "$command" ] || die "usage: cluster.sh start|stop --run DIR [options]"
shift
config="" run="" listen="127.0.0.1:8443" instances=3 bin="" store_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    --instances) instances=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --store-url) store_url=$2; shift 2 ;;
    *) die "unknown option '$1'" ;;
  esac
done
[ -n "$run" ] || die "--run DIR is required"

stop() {
  local pidfile pid
  for pidfile in "$run"/haproxy.pid "$run"/gateway-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pidfile in "$run"/haproxy.pid "$run"/gateway-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$command" = stop ]; then
  stop
  exit 0
fi
[ "$command" = start ] || die "unknown command '$command' (start or stop)"
[ -n "$config" ] && [ -f "$config" ] || die "--config FILE (a gateway configuration) is required"
[[ "$instances" =~ ^[1-9][0-9]?$ ]] || die "--instances must be 1 to 99, not '$instances'"
host=${listen%:*}
port=${listen##*:}
[[ "$port" =~ ^[0-9]+$ ]] || die "--listen must be HOST:PORT, not '$listen'"
if [ -z "$bin" ]; then
  bin=$(command -v tsgate || true)
  [ -n "$bin" ] || bin="$(dirname "$0")/../target/debug/tsgate"
fi
[ -x "$bin" ] || die "no tsgate binary at '$bin' (build it, or pass --bin)"
command -v haproxy >/dev/null || die "haproxy is not installed (Debian: apt-get install haproxy)"
mkdir -p "$run"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until `curl` gets 200 from URL (status 0), or the process PID has died (status 1).
wait_healthy() {
  local url=$1 pid=$2 name=$3
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || return 1
    if curl -fs -o /dev/null --max-time 1 "$url"; then
      return 0
    fi
    sleep 0.1
  done
  die "$name did not become healthy; see its log in $run"
}

# Starts gateway I on two free loopback ports (gateway-I.ports: "public admin").
start_gateway() {
  local i=$1 public admin
  public=$(free_port)
  admin=$(free_port)
  echo "$public $admin" > "$run/gateway-$i.ports"
  (
    export TSGATE_SERVER_LISTEN="127.0.0.1:$public"
    export TSGATE_SERVER_ADMIN_LISTEN="127.0.0.1:$admin"
    export TSGATE_SERVER_PUBLIC_URL="https://localhost:$port"
    export TSGATE_SERVER_PROXY_PROTOCOL_FROM='["127.0.0.1"]'
    if [ -n "$store_url" ]; then export TSGATE_STORE_URL="$store_url"; fi
    exec "$bin" serve --config "$config"
  ) >"$run/gateway-$i.log" 2>&1 &
  echo $! > "$run/gateway-$i.pid"
}

# Waits until gateway I serves. A port is free when probed but may be taken before the gateway
# binds it (by any other process of the machine): a gateway that exits for that alone is
# started again on other ports, up to five times; any other exit is a failure.
await_gateway() {
  local i=$1 attempt admin
  for attempt in 1 2 3 4 5; do
    read -r _ admin < "$run/gateway-$i.ports"
    if wait_healthy "http://127.0.0.1:$admin/health" "$(cat "$run/gateway-$i.pid")" "gateway $i"; then
      return 0
    fi
    grep -q "Address already in use" "$run/gateway-$i.log" ||
      die "gateway $i exited at start-up; see its log in $run"
    echo "cluster: gateway $i lost a probed port to another process; starting it again" >&2
    start_gateway "$i"
  done
  die "gateway $i kept losing its ports; see its log in $run"
}

# The first applies the migrations; the others start once it serves.
for i in $(seq "$instances"); do
  start_gateway "$i"
  if [ "$i" = 1 ]; then
    await_gateway 1
  fi
done
servers=""
for i in $(seq "$instances"); do
  await_gateway "$i"
  read -r public admin < "$run/gateway-$i.ports"
  servers+="    server gw$i 127.0.0.1:$public check port $admin"$'\n'
done

# TCP mode: mutual TLS ends at the gateways. A connection refused by a dead gateway is retried on
# another (redispatch); a gateway is out after two failed checks 300 ms apart.
cat > "$run/haproxy.cfg" <<EOF
global
    maxconn 4096
    stats socket $run/haproxy.sock

defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch

frontend tsgate
    bind $host:$port
    default_backend gateways

backend gateways
    balance roundrobin
    option httpchk GET /health
    default-server send-proxy-v2 inter 300 fall 2 rise 2
$servers
EOF
haproxy -c -q -f "$run/haproxy.cfg" || die "haproxy refuses $run/haproxy.cfg"
haproxy -db -f "$run/haproxy.cfg" >"$run/haproxy.log" 2>&1 &
echo $! > "$run/haproxy.pid"
# Ready once HAProxy's checks see every gateway up (its stats socket, read with Python).
servers_up() {
  python3 - "$run/haproxy.sock" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
rows = [line.split(",") for line in data.decode().splitlines() if line.startswith("gateways,gw")]
print(sum(1 for row in rows if row[17] == "UP"))
PY
}
for _ in $(seq 300); do
  kill -0 "$(cat "$run/haproxy.pid")" 2>/dev/null || die "haproxy exited; see $run/haproxy.log"
  if [ "$(servers_up)" = "$instances" ]; then
    echo "cluster: HAProxy on $listen in front of $instances gateways (logs and pids in $run)"
    exit 0
  fi
  sleep 0.1
done
die "HAProxy does not see every gateway up; see $run/haproxy.log"
