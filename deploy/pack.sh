#!/usr/bin/env bash
# NuGet packages for people to install: GlobalZone.Contracts and GlobalZone.Client (net8.0 + net10.0 each), and the
# gz .NET tool (GlobalZone.Cli, net10.0). Each comes with a .snupkg symbols package whose PDBs carry Source Link.
#   deploy/pack.sh [--incremental] [OUT]        OUT: default artifacts/packages
#   VERSION=1.2.0 deploy/pack.sh                overrides the version in Directory.Build.props (VersionPrefix)
# By default the build is a release build (ContinuousIntegrationBuild: PDB paths are repository-relative, not this
# machine's), which recompiles everything once. --incremental reuses this checkout's Release build instead (tests).
set -euo pipefail
cd "$(dirname "$0")/.."

ci=true
if [ "${1:-}" = "--incremental" ]; then ci=false; shift; fi
out=${1:-artifacts/packages}
mkdir -p "$out"

out=$(cd "$out" && pwd)
args=(-c Release -nologo -v q "-p:PackageOutputPath=$out" "-p:ContinuousIntegrationBuild=$ci")
if [ -n "${VERSION:-}" ]; then args+=("-p:Version=$VERSION"); fi

# One MSBuild run over the three (deploy/packages.slnf): the projects they share are evaluated and checked once.
dotnet pack deploy/packages.slnf "${args[@]}"
ls -1 "$out"
