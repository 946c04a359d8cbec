#!/usr/bin/env bash
# The one test command: build, make the emulator's test certificates, trust them, run every test.
#   bash tests/run.sh [extra dotnet test arguments]
# .NET on Linux reads SSL_CERT_FILE only when a process starts, so it is set here, before dotnet test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configuration="${OPSTATUS_CONFIGURATION:-Release}"

dotnet build OpStatus.slnx -c "$configuration" -nologo -clp:ErrorsOnly

certs="$root/out/testcerts"
dotnet "tests/OpStatus.Emulator/bin/$configuration/net10.0/OpStatus.Emulator.dll" make-certs "$certs" >/dev/null
export OPSTATUS_TEST_CERTS="$certs"
export SSL_CERT_FILE="$certs/bundle.pem"

dotnet test tests/OpStatus.Tests/OpStatus.Tests.csproj -c "$configuration" --no-build -nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" --results-directory "$root/out/test-results" "$@"
