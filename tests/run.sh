#!/usr/bin/env bash
# The one test command: every suite, in a real PowerShell 7.6.9.
#   bash tests/run.sh [build.ps1 parameters, e.g. -TestFilter "Reliability=Fault"]
# Installs what it needs into out/tools/ when it is missing (PowerShell 7.6.9 as a .NET tool, Pester
# 5.7.1 from NuGet), then runs ./build.ps1 -Test in that pwsh: build, the emulator's test
# certificates, the docs checks, the engine's unit tests, the end-to-end xunit suite, the Pester suite,
# and one closing "N passed, N failed" for all of them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pwsh_version=7.6.9
pester_version=5.7.1
tools="$root/out/tools"

pwsh="$tools/pwsh/pwsh"
if [ ! -x "$pwsh" ] || ! "$pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx "$pwsh_version"; then
  echo "==> Installing PowerShell $pwsh_version into out/tools/pwsh"
  rm -rf "$tools/pwsh"
  dotnet tool install PowerShell --version "$pwsh_version" --tool-path "$tools/pwsh" >/dev/null
fi

modules="$tools/modules"
if [ ! -f "$modules/Pester/$pester_version/Pester.psd1" ]; then
  echo "==> Installing Pester $pester_version into out/tools/modules"
  dotnet restore tests/TestTools/TestTools.csproj -nologo -v:q -p:PesterVersion="$pester_version" >/dev/null
  packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
  rm -rf "$modules/Pester/$pester_version"
  mkdir -p "$modules/Pester"
  cp -R "${packages%/}/pester/$pester_version/tools" "$modules/Pester/$pester_version"
fi

export PSModulePath="$modules${PSModulePath:+:$PSModulePath}"

# platyPS 0.14, with which the suite checks that the shipped help is what the markdown makes: an installed one,
# or else the developer tools folder checked out beside the repository (../shared/tools/psmodules), if there is one.
if ! "$pwsh" -NoProfile -Command 'if (Get-Module -ListAvailable -Name platyPS | Where-Object { $_.Version.Major -eq 0 -and $_.Version.Minor -eq 14 }) { exit 0 } else { exit 1 }'; then
  shared="$root/../shared/tools/psmodules"
  if [ -f "$shared/platyPS/platyPS.psd1" ]; then
    export PSModulePath="$(cd "$shared" && pwd):$PSModulePath"
  fi
fi
exec "$pwsh" -NoProfile -NonInteractive -OutputFormat Text -File "$root/build.ps1" -Test "$@"
