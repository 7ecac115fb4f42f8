#!/usr/bin/env bash
# GlobalZone and etcd side by side on this machine, one after the other, measured two ways: with gz bench and with
# wrk (an independent HTTP load generator), to the leader and through a follower, writes and linearizable reads,
# at 1, 32 and 128 clients. Prints one line per run:
#   system  tool  workload  target  clients  req/s  p50-ms  p99-ms
#   bench/side-by-side.sh [seconds-per-run] [gz-layout] [etcd-members]     e.g. bench/side-by-side.sh 10 1+1+1 3
# Everything binds to 127.0.0.1; data goes to a temporary folder removed afterwards. As root it installs etcd-server
# and wrk from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
layout=${2:-1+1+1}
etcd_members=${3:-3}
work=$(mktemp -d /tmp/gz-side.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for tool in etcd:etcd-server wrk:wrk; do
  if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "${tool%%:*} is not installed (apt-get install ${tool##*:})"; exit 1; }
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}") >/dev/null
  fi
done

dotnet build src/GlobalZone.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
gz=src/GlobalZone.Cli/bin/Release/net10.0/gz.dll

# gz bench prints "throughput  N req/s" and "latency ms: p50 a p90 b p99 c max d".
report_bench() { # system workload target clients output
  local tput p50 p99
  tput=$(grep -oE 'throughput +[0-9.,]+' <<<"$5" | grep -oE '[0-9.,]+$' | tr -d ,)
  p50=$(grep -oE 'p50 [0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')
  p99=$(grep -oE 'p99 [0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')
  printf '%-10s %-5s %-6s %-9s %4s %10s %8s %8s\n' "$1" bench "$2" "$3" "$4" "$tput" "$p50" "$p99"
}
# wrk --latency prints "Requests/sec: N" and a percentile table ("50%  1.23ms", "99%  4.56ms").
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}'; }
report_wrk() { # system workload target clients output
  local tput p50 p99
  tput=$(grep -oE 'Requests/sec: +[0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')
  p50=$(grep -E '^ +50%' <<<"$5" | awk '{print $2}' | to_ms)
  p99=$(grep -E '^ +99%' <<<"$5" | awk '{print $2}' | to_ms)
  printf '%-10s %-5s %-6s %-9s %4s %10s %8s %8s\n' "$1" wrk "$2" "$3" "$4" "$tput" "$p50" "$p99"
}
run_wrk() { # url script clients
  local threads=$(( $3 < 2 ? 1 : 2 ))
  wrk -t "$threads" -c "$3" -d "${duration}s" --latency -s "$2" "$1" 2>&1
}

printf '%-10s %-5s %-6s %-9s %4s %10s %8s %8s\n' system tool mode target clients req/s p50-ms p99-ms

# ---- GlobalZone
dotnet "$gz" local --layout "$layout" --data "$work/gz" --base-port 7301 >"$work/gz.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -s http://127.0.0.1:7301/v1/cluster 2>/dev/null | grep -q '"leaderId":"dc1-a"' && break; sleep 0.5; done
status=$(curl -s http://127.0.0.1:7301/v1/cluster)
gz_leader=http://127.0.0.1:7301
gz_follower=$(grep -o '"url":"[^"]*","site":"[^"]*","role":"voter"' <<<"$status" | cut -d'"' -f4 | grep -v ":7301" | head -1)
curl -s -X PUT "$gz_leader/v1/kv/wrk/read-key" -H 'Content-Type: application/json' -d '"x"' >/dev/null
# Warm up (JIT tiering) before anything is measured.
dotnet "$gz" bench --member "$gz_leader" --no-progress --mode write --clients 32 --duration 15 --warmup 5 >/dev/null
for mode in write read; do
  for target in leader follower; do
    url=$([ "$target" = leader ] && echo "$gz_leader" || echo "$gz_follower")
    for clients in 1 32 128; do
      [ "$mode" = read ] && [ "$clients" = 1 ] && continue
      out=$(dotnet "$gz" bench --member "$url" --no-progress --mode "$mode" --clients "$clients" --duration "$duration" --warmup 3)
      report_bench GlobalZone "$mode" "$target" "$clients" "$out"
      script=bench/wrk/gz-$([ "$mode" = write ] && echo put || echo get).lua
      report_wrk GlobalZone "$mode" "$target" "$clients" "$(run_wrk "$url" "$script" "$clients")"
    done
  done
done
kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
pids=()

# ---- etcd
cluster=""
for n in $(seq 1 "$etcd_members"); do cluster+="${cluster:+,}e$n=http://127.0.0.1:$((2280 + n * 100))"; done
for n in $(seq 1 "$etcd_members"); do
  c=$((2279 + n * 100)); p=$((c + 1))
  etcd --name "e$n" --data-dir "$work/etcd$n" --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" --initial-cluster "$cluster" \
    --initial-cluster-state new --log-level error >"$work/etcd$n.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 60); do curl -s -X POST http://127.0.0.1:2379/v3/kv/range -d '{"key":"eA=="}' 2>/dev/null | grep -q header && break; sleep 0.5; done
etcd_leader="" etcd_follower=""
for n in $(seq 1 "$etcd_members"); do
  url=http://127.0.0.1:$((2279 + n * 100))
  s=$(curl -s -X POST "$url/v3/maintenance/status" -d '{}')
  id=$(grep -oE '"member_id":"[0-9]+"' <<<"$s" | grep -oE '[0-9]+'); leader=$(grep -oE '"leader":"[0-9]+"' <<<"$s" | grep -oE '[0-9]+')
  if [ "$id" = "$leader" ]; then etcd_leader=$url; elif [ -z "$etcd_follower" ]; then etcd_follower=$url; fi
done
curl -s -X POST "$etcd_leader/v3/kv/put" -d '{"key":"d3JrL3JlYWQta2V5","value":"eA=="}' >/dev/null
dotnet "$gz" bench --target etcd --member "$etcd_leader" --no-progress --mode write --clients 32 --duration 15 --warmup 5 >/dev/null
for mode in write read; do
  for target in leader follower; do
    url=$([ "$target" = leader ] && echo "$etcd_leader" || echo "$etcd_follower")
    for clients in 1 32 128; do
      [ "$mode" = read ] && [ "$clients" = 1 ] && continue
      out=$(dotnet "$gz" bench --target etcd --member "$url" --no-progress --mode "$mode" --clients "$clients" --duration "$duration" --warmup 3)
      report_bench "etcd-$etcd_members" "$mode" "$target" "$clients" "$out"
      script=bench/wrk/etcd-$([ "$mode" = write ] && echo put || echo get).lua
      report_wrk "etcd-$etcd_members" "$mode" "$target" "$clients" "$(run_wrk "$url" "$script" "$clients")"
    done
  done
done
