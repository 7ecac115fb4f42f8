#!/usr/bin/env bash
# Self-contained builds of the server (globalzone-server) and the operator tool (gz): no .NET runtime is needed on
# the target machine. Output: deploy/out/{server,gz}/ and deploy/out/globalzone-<rid>.tar.gz, which unpacks to the
# layout the systemd unit expects (/opt/globalzone/server, /opt/globalzone/gz, README.md and RUNBOOK.md beside them).
#   RID=linux-arm64 OUT=/tmp/gz-out deploy/publish.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rid=${RID:-linux-x64}
out=${OUT:-deploy/out}
rm -rf "$out/server" "$out/gz"

dotnet publish src/GlobalZone.Server/GlobalZone.Server.csproj -c Release -r "$rid" --self-contained -nologo -o "$out/server"
# gz is also packable as a .NET tool (dotnet pack src/GlobalZone.Cli); here it is published as a program. It carries
# a copy of the server for `gz local` (development only), whose files overlap the RID-specific ones: not an error.
dotnet publish src/GlobalZone.Cli/GlobalZone.Cli.csproj -c Release -r "$rid" --self-contained -nologo -p:PackAsTool=false -p:ErrorOnDuplicatePublishOutputFiles=false -o "$out/gz"

# The unit's Documentation= points at these two (the product README and the operators' runbook).
cp README.md "$out/README.md"
cp deploy/README.md "$out/RUNBOOK.md"

tar -C "$out" -czf "$out/globalzone-$rid.tar.gz" server gz README.md RUNBOOK.md
echo "published: $out/server/globalzone-server, $out/gz/gz, $out/globalzone-$rid.tar.gz"
