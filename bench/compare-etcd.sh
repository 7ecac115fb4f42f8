#!/usr/bin/env bash
# Runs the same gz bench workloads against a three-member GlobalZone (gz local --layout 1+1+1) and a three-member
# etcd (Debian's etcd-server, driven through its v3 JSON gateway), one after the other on this machine, and prints
# both sets of figures. Everything binds to 127.0.0.1; data goes to a temporary folder that is removed afterwards.
#   bench/compare-etcd.sh [seconds-per-run] [layout]      e.g. bench/compare-etcd.sh 10 1+1+1
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
layout=${2:-1+1+1}
work=$(mktemp -d /tmp/gz-compare.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if ! command -v etcd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server) >/dev/null
  else
    echo "etcd is not installed (apt-get install etcd-server)"; exit 1
  fi
fi

dotnet build src/GlobalZone.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
gz=src/GlobalZone.Cli/bin/Release/net10.0/gz.dll
workloads=("write 32" "write 128" "read 32" "read 128")

echo "== GlobalZone ($layout)"
dotnet "$gz" local --layout "$layout" --data "$work/gz" --base-port 7301 >"$work/gz.log" 2>&1 &
local_pid=$!; pids+=("$local_pid")
for _ in $(seq 1 120); do curl -s http://127.0.0.1:7301/v1/cluster 2>/dev/null | grep -q '"leaderId":"dc1-a"' && break; sleep 0.5; done
endpoints=$(curl -s http://127.0.0.1:7301/v1/cluster | grep -o '"url":"[^"]*","site":"[^"]*","role":"voter"' | cut -d'"' -f4 | paste -sd, -)
first=20
for w in "${workloads[@]}"; do
  set -- $w
  echo "-- $1, $2 clients, round-robin over $endpoints"
  dotnet "$gz" bench --endpoints "$endpoints" --no-progress --mode "$1" --clients "$2" --duration "$duration" --warmup "$first" | grep -E "throughput|latency"
  first=5
done
kill -TERM "$local_pid"; wait "$local_pid" 2>/dev/null || true

echo "== etcd $(etcd --version | head -1)"
cluster="e1=http://127.0.0.1:2380,e2=http://127.0.0.1:2480,e3=http://127.0.0.1:2580"
for n in 1 2 3; do
  c=$((2279 + n * 100)); p=$((c + 1))
  etcd --name "e$n" --data-dir "$work/etcd$n" --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" --initial-cluster "$cluster" \
    --initial-cluster-state new --log-level error >"$work/etcd$n.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 60); do curl -s -X POST http://127.0.0.1:2379/v3/kv/range -d '{"key":"eA=="}' >/dev/null 2>&1 && break; sleep 0.5; done
first=20
for w in "${workloads[@]}"; do
  set -- $w
  echo "-- $1, $2 clients"
  dotnet "$gz" bench --target etcd --endpoints http://127.0.0.1:2379,http://127.0.0.1:2479,http://127.0.0.1:2579 --no-progress \
    --mode "$1" --clients "$2" --duration "$duration" --warmup "$first" | grep -E "throughput|latency"
  first=5
done
