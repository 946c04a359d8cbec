#!/usr/bin/env bash
# Runs the benchmarks against the local emulator and prints their tables.
#   bash bench/run.sh [all|import|calls|pipeline|tokens|wait|deadline] [wait: T,T,... N,N,...]   (wait defaults: 3,20 and 1,100,1000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build OpStatus.slnx -c Release -nologo -clp:ErrorsOnly
certs="$root/out/testcerts"
dotnet tests/OpStatus.Emulator/bin/Release/net10.0/OpStatus.Emulator.dll make-certs "$certs" >/dev/null
export OPSTATUS_TEST_CERTS="$certs"
export SSL_CERT_FILE="$certs/bundle.pem"
dotnet bench/OpStatus.Bench/bin/Release/net10.0/OpStatus.Bench.dll "$@"
