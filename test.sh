#!/usr/bin/env bash
# Runs GlobalZone's whole test suite: unit tests, real multi-process cluster tests (kill -9, restarts, real
# iptables partitions), the checker's tests against recorded histories, and short partition-testing harness runs.
# Works on a fresh Debian machine with the .NET 10 SDK; as root it installs what the partition tests need.
# Ends with one line of totals: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" = 0 ] && ! command -v iptables >/dev/null 2>&1; then
  echo "Installing iptables (real partitions between members' loopback addresses)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables) >/dev/null 2>&1 \
    || echo "warning: could not install iptables; partition tests will fail" >&2
fi
if [ "$(id -u)" = 0 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  echo "Installing chromium and chromium-driver (the status page test runs in a real headless browser)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
    || echo "warning: could not install chromium; the status page test will fail" >&2
fi

configuration=${CONFIGURATION:-Release}
if ! dotnet build GlobalZone.sln -c "$configuration" -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# One test project at a time: the cluster tests start real processes and the machine may have only 2 cores.
projects=(
  tests/GlobalZone.UnitTests
  jepsen-style/GlobalZone.Jepsen.Checker.Tests
)
# TEST_PROJECTS="tests/GlobalZone.UnitTests ..." runs only those (handy while developing).
[ -n "${TEST_PROJECTS:-}" ] && read -r -a projects <<<"$TEST_PROJECTS"
for p in tests/*/ jepsen-style/*/; do
  [ -n "${TEST_PROJECTS:-}" ] && break
  p=${p%/}
  [ -f "$p/$(basename "$p").csproj" ] || continue
  case " ${projects[*]} " in *" $p "*) continue ;; esac
  grep -q 'Microsoft.NET.Test.Sdk' "$p/$(basename "$p").csproj" && projects+=("$p")
done

passed=0; failed=0; skipped=0; status=0
rm -f tests/TestResults/*.trx
log=$(mktemp)
for p in "${projects[@]}"; do
  echo "==> $p"
  dotnet test "$p" -c "$configuration" --no-build -nologo --logger "console;verbosity=normal" \
    --logger "trx;LogFilePrefix=$(basename "$p")" --results-directory tests/TestResults 2>&1 | tee "$log" | grep -E '^\s*(Failed|Skipped) |Error Message|^Total tests|^\s+(Passed|Failed|Skipped): '
  rc=${PIPESTATUS[0]}
  # vstest's closing block: "Total tests: N", then "Passed: N", "Failed: N", "Skipped: N" (zero counts omitted).
  if ! grep -qE '^Total tests: [0-9]+' "$log"; then
    echo "no test summary from $p (crash?)"; tail -20 "$log"; failed=$((failed + 1)); status=1; continue
  fi
  count() { sed -n '/^Total tests:/,$p' "$log" | grep -E "^ *$1: *[0-9]+" | tail -1 | sed -E 's/[^0-9]*([0-9]+).*/\1/'; }
  ps=$(count Passed); f=$(count Failed); s=$(count Skipped)
  ps=${ps:-0}; f=${f:-0}; s=${s:-0}
  passed=$((passed + ps)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -ne 0 ]; then
    status=1
    # Each failed test with its message (the filtered stream above shows only the names).
    awk '/^  Failed /{show=1} /^  (Passed|Skipped) /{show=0} /Stack Trace:/{if(show){print "  ..."}; show=0} show' "$log" | head -200
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "dotnet test exited $rc for $p with no failed test counted (aborted run?)"; failed=$((failed + 1)); status=1
  fi
done
rm -f "$log"

# The slowest tests, so the suite's time (kept under 30 minutes) can be watched from any run's output.
if compgen -G "tests/TestResults/*.trx" >/dev/null; then
  echo "slowest tests (s):"
  cat tests/TestResults/*.trx | grep -o '<UnitTestResult [^>]*' \
    | sed -nE 's/.*testName="([^"]*)".*duration="([0-9]+):([0-9]+):([0-9.]+)".*/\1\t\2 \3 \4/p' \
    | awk -F'\t' '{split($2, t, " "); printf "%8.1f  %s\n", t[1] * 3600 + t[2] * 60 + t[3], $1}' | sed 's/&quot;/"/g' | sort -rn | head -15
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
