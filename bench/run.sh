#!/usr/bin/env bash
# Runs the benchmarks against the local emulator and prints their tables.
#   bash bench/run.sh [all|import|calls|pipeline|tokens|wait|deadline|bulk|limit] [wait: T,T,... N,N,...]   (wait defaults: 3,20 and 1,100,1000)
#   bash bench/run.sh pipeline [N,N,...]   (defaults to 1000,10000,30000)
#   bash bench/run.sh bulk [N]   (N defaults to 1000; the peers run in a real pwsh 7.6.9, installed into out/tools/ when missing)
#   bash bench/run.sh limit      (the read limit against buckets of several sizes, in a real pwsh; about 20 minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build OpStatus.slnx -c Release -nologo -clp:ErrorsOnly
pwsh="$root/out/tools/pwsh/pwsh"
if [ ! -x "$pwsh" ] || ! "$pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx 7.6.9; then
  echo "==> Installing PowerShell 7.6.9 into out/tools/pwsh"
  rm -rf "$root/out/tools/pwsh"
  dotnet tool install PowerShell --version 7.6.9 --tool-path "$root/out/tools/pwsh" >/dev/null
fi
export OPSTATUS_BENCH_PWSH="$pwsh"
certs="$root/out/testcerts"
dotnet tests/OpStatus.Emulator/bin/Release/net10.0/OpStatus.Emulator.dll make-certs "$certs" >/dev/null
export OPSTATUS_TEST_CERTS="$certs"
export SSL_CERT_FILE="$certs/bundle.pem"
dotnet bench/OpStatus.Bench/bin/Release/net10.0/OpStatus.Bench.dll "$@"
