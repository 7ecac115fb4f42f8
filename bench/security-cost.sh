#!/usr/bin/env bash
# What TLS and auth cost: the same GlobalZone cluster (gz local) plain, then with --tls --auth, measured with gz bench
# and with wrk (an independent load generator; over https, with root's bearer token), writes at 1, 32 and 128 clients
# to the leader, linearizable reads at 32 and 128 clients to the leader and at 128 through a follower.
#   bench/security-cost.sh [seconds-per-run] [layout]        e.g. bench/security-cost.sh 8 1+1+1
# Prints one line per run: security  tool  workload  target  clients  req/s  p50-ms  p99-ms  errors (failed requests:
# a run with errors measured refusals, not work). SECURITY=tls+auth (or plain) runs only that half.
# Binds to 127.0.0.1; data goes to a temporary folder removed afterwards. As root it installs wrk when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
layout=${2:-1+1+1}
work=$(mktemp -d /tmp/gz-security-cost.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null
fi
dotnet build src/GlobalZone.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
gz=src/GlobalZone.Cli/bin/Release/net10.0/gz.dll

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}'; }
line() { printf '%-9s %-5s %-6s %-9s %4s %10s %8s %8s %7s\n' "$@"; }
report_bench() { # mode workload target clients output
  line "$1" bench "$2" "$3" "$4" "$(grep -oE 'throughput +[0-9.,]+' <<<"$5" | grep -oE '[0-9.,]+$' | tr -d ,)" \
    "$(grep -oE 'p50 [0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')" "$(grep -oE 'p99 [0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')" \
    "$(grep -oE '[0-9]+ errors' <<<"$5" | grep -oE '^[0-9]+' || true)"
}
report_wrk() { # mode workload target clients output
  line "$1" wrk "$2" "$3" "$4" "$(grep -oE 'Requests/sec: +[0-9.]+' <<<"$5" | grep -oE '[0-9.]+$')" \
    "$(grep -E '^ +50%' <<<"$5" | awk '{print $2}' | to_ms)" "$(grep -E '^ +99%' <<<"$5" | awk '{print $2}' | to_ms)" \
    "$( (grep -oE 'Non-2xx or 3xx responses: +[0-9]+' <<<"$5" || echo 0) | grep -oE '[0-9]+$')"
}

measure() { # mode port extra-local-flags...
  local mode=$1 port=$2; shift 2
  local data="$work/$mode" scheme=http curl_tls=() bench_tls=() wrk_auth=()
  dotnet "$gz" local --layout "$layout" --data "$data" --base-port "$port" "$@" >"$work/$mode.log" 2>&1 &
  pid=$!
  [[ " $* " == *" --tls "* ]] && scheme=https
  for _ in $(seq 1 240); do [ -f "$data/tls/ca.crt" ] || [ "$scheme" = http ] && break; sleep 0.5; done
  [ "$scheme" = https ] && curl_tls=(--cacert "$data/tls/ca.crt") && bench_tls=(--cacert "$data/tls/ca.crt")
  local leader="$scheme://127.0.0.1:$port"
  for _ in $(seq 1 240); do curl -s "${curl_tls[@]}" "$leader/v1/cluster" 2>/dev/null | grep -q '"leaderId":"dc1-a"' && break; sleep 0.5; done
  local auth_header=()
  if [[ " $* " == *" --auth "* ]]; then
    for _ in $(seq 1 240); do [ -f "$data/auth/root-password" ] && curl -s "${curl_tls[@]}" "$leader/v1/auth/status" | grep -q '"enabled":true' && break; sleep 0.5; done
    export GZ_USER=root GZ_PASSWORD; GZ_PASSWORD=$(cat "$data/auth/root-password")
    local token
    token=$(curl -s "${curl_tls[@]}" -X POST "$leader/v1/auth/token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"root\",\"password\":\"$GZ_PASSWORD\"}" | grep -oE '"token":"[^"]+"' | cut -d'"' -f4)
    auth_header=(-H "Authorization: Bearer $token")
  else
    unset GZ_USER GZ_PASSWORD
  fi
  local status follower
  status=$(curl -s "${curl_tls[@]}" "${auth_header[@]}" "$leader/v1/cluster")
  follower=$(grep -o '"url":"[^"]*","site":"[^"]*","role":"voter"' <<<"$status" | cut -d'"' -f4 | grep -v ":$port" | head -1)
  curl -s "${curl_tls[@]}" "${auth_header[@]}" -X PUT "$leader/v1/kv/wrk/read-key" -H 'Content-Type: application/json' -d '"x"' >/dev/null
  dotnet "$gz" bench "${bench_tls[@]}" --member "$leader" --no-progress --mode write --clients 32 --duration 15 --warmup 5 >/dev/null
  for run in "write leader 1" "write leader 32" "write leader 128" "read leader 32" "read leader 128" "read follower 128"; do
    read -r workload target clients <<<"$run"
    local url; url=$([ "$target" = leader ] && echo "$leader" || echo "$follower")
    report_bench "$mode" "$workload" "$target" "$clients" \
      "$(dotnet "$gz" bench "${bench_tls[@]}" --member "$url" --no-progress --mode "$workload" --clients "$clients" --duration "$duration" --warmup 3)"
    local script=bench/wrk/gz-$([ "$workload" = write ] && echo put || echo get).lua threads=$(( clients < 2 ? 1 : 2 ))
    report_wrk "$mode" "$workload" "$target" "$clients" \
      "$(wrk -t "$threads" -c "$clients" -d "${duration}s" --latency "${auth_header[@]}" -s "$script" "$url" 2>&1)"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

line security tool workload target clients req/s p50-ms p99-ms errors
[ "${SECURITY:-}" = tls+auth ] || measure plain 7301
[ "${SECURITY:-}" = plain ] || measure tls+auth 7401 --tls --auth
