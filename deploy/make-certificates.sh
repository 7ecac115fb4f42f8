#!/usr/bin/env bash
# Makes a deployment's cluster CA and one certificate per member (TLS server + client, URI SAN
# gz-member://CLUSTER/ID plus the host of the member's URL) from its member list:
#   deploy/make-certificates.sh [cluster.json] [out-folder] [--extra-hosts a,b]
# Keeps an existing CA in out-folder (ca.crt + ca.key), so it also issues certificates for new members.
# Copy ca.crt, ID.crt and ID.key to each member; keep ca.key offline.
set -euo pipefail
config=${1:-deploy/config/cluster.json}
out=${2:-tls}
shift $(( $# > 2 ? 2 : $# ))
if command -v gz >/dev/null 2>&1; then
  gz=(gz)
else
  root=$(cd "$(dirname "$0")/.." && pwd)
  dll="$root/src/GlobalZone.Cli/bin/Release/net10.0/gz.dll"
  [ -f "$dll" ] || dotnet build "$root/src/GlobalZone.Cli" -c Release -nologo -v q >/dev/null
  gz=(dotnet "$dll")
fi
"${gz[@]}" tls make-cluster --config "$config" --out "$out" "$@"
