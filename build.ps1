#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, documents, tests and packages the OpStatus module.

.DESCRIPTION
    With no switch, builds the solution; the module project then lays out the importable module
    folder out/OpStatus/, help included (the MAML in docs/en-US, made from its markdown). The
    switches add steps, always run in this order: -Clean, -Docs, build, -Test, -Package.

    Needs the .NET SDK named in global.json. -Test also needs PowerShell 7 (pwsh) with Pester 5,
    -Docs needs platyPS 0.14. Runs on PowerShell 7 and on Windows PowerShell 5.1.

.PARAMETER Configuration
    The build configuration: Release (the default) or Debug.

.PARAMETER Test
    Does what tests/run.sh does, in PowerShell: builds, makes the emulator's test certificates
    (out/testcerts/), checks the help sources, then runs the engine's unit tests and the end-to-end
    xunit tests (dotnet test) and the Pester tests (tests/OpStatus.Tests.ps1) in child processes whose
    SSL_CERT_FILE trusts those certificates. Results go to out/test-results/.

.PARAMETER TestFilter
    With -Test, runs only the xunit tests (engine and end-to-end) this dotnet test --filter
    expression selects (e.g. "Reliability=Fault"); the Pester suite runs whole.

.PARAMETER Docs
    Regenerates the help the build ships from its markdown source: copies the shared parameter
    sections of docs/parameters into the cmdlet pages of docs/en-US, then makes
    docs/en-US/OpStatus.dll-Help.xml and docs/en-US/about_OpStatus.help.txt with platyPS 0.14
    (Install-Module platyPS -RequiredVersion 0.14.2). Commit them with the markdown: -Test fails when
    they differ from what platyPS makes of it.

.PARAMETER Package
    Builds, then zips out/OpStatus, help included, into out/OpStatus-<ModuleVersion>.zip.

.PARAMETER Try
    Opens a pwsh to try the module offline: builds when the module or the emulator is missing,
    starts the emulator with sample operations of each service, and opens a pwsh in
    out/try/ with the module imported, SSL_CERT_FILE, IDENTITY_ENDPOINT and IDENTITY_HEADER set,
    and the variables $sub, $endpoint and $url (see tests/TryOut.ps1). The emulator stops when
    that shell exits. Needs PowerShell 7.

.PARAMETER Clean
    Removes out/ and the bin/ and obj/ folders of every project.

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Test

.EXAMPLE
    ./build.ps1 -Clean -Docs -Package

.EXAMPLE
    ./build.ps1 -Try
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    [switch] $Test,

    [string] $TestFilter,

    [switch] $Docs,

    [switch] $Package,

    [switch] $Clean,

    [switch] $Try
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
# Exit codes of native commands are checked by hand below (pwsh 7.4+ could otherwise also throw on them).
$PSNativeCommandUseErrorActionPreference = $false
# Show the progress lines unless the caller chose otherwise with -InformationAction.
if (-not $PSBoundParameters.ContainsKey('InformationAction')) {
    $InformationPreference = 'Continue'
}

$RepoRoot = $PSScriptRoot
$ModuleDir = [System.IO.Path]::Combine($RepoRoot, 'out', 'OpStatus')
$HelpSource = [System.IO.Path]::Combine($RepoRoot, 'docs', 'en-US')
# The help the build ships (src/OpStatus/OpStatus.csproj copies it into out/OpStatus/en-US/), made from the markdown by -Docs.
$HelpFiles = 'OpStatus.dll-Help.xml', 'about_OpStatus.help.txt'
$CertDir = [System.IO.Path]::Combine($RepoRoot, 'out', 'testcerts')
$EmulatorDll = [System.IO.Path]::Combine($RepoRoot, 'tests', 'OpStatus.Emulator', 'bin', $Configuration, 'net10.0', 'OpStatus.Emulator.dll')

# $IsWindows and $IsLinux exist only on PowerShell 6+; Windows PowerShell runs only on Windows.
if ($PSVersionTable.PSEdition -eq 'Desktop') {
    $OnWindows = $true
    $OnLinux = $false
}
else {
    $OnWindows = $IsWindows
    $OnLinux = $IsLinux
}

function Write-Step([string] $Message) {
    Write-Information "==> $Message"
}

# Runs a native command, shows its output (unless -Quiet), and stops the build when it fails.
# -Display is the command line to show, when the real one is not fit to print.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $Display = "$FilePath $($ArgumentList -join ' ')",
        [switch] $Quiet
    )

    Write-Information "    $Display"
    if ($Quiet) {
        & $FilePath @ArgumentList | Out-Null
    }
    else {
        & $FilePath @ArgumentList | Out-Host
    }

    if ($LASTEXITCODE -ne 0) {
        throw "'$Display' failed with exit code $LASTEXITCODE."
    }
}

function Assert-Dotnet {
    if (-not (Get-Command -Name dotnet -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'The .NET SDK (dotnet) is not on PATH. Install the SDK version named in global.json.'
    }
}

function Invoke-Clean {
    Write-Step 'Clean'
    $folders = [System.Collections.Generic.List[string]]::new()
    $folders.Add([System.IO.Path]::Combine($RepoRoot, 'out'))
    foreach ($top in 'src', 'tests', 'bench') {
        $topPath = Join-Path $RepoRoot $top
        if (-not (Test-Path -LiteralPath $topPath)) {
            continue
        }

        # The bin/ and obj/ folders beside each project file.
        foreach ($project in Get-ChildItem -LiteralPath $topPath -Filter '*.csproj' -Recurse -File) {
            $folders.Add((Join-Path $project.DirectoryName 'bin'))
            $folders.Add((Join-Path $project.DirectoryName 'obj'))
        }
    }

    foreach ($folder in $folders) {
        if (Test-Path -LiteralPath $folder) {
            Write-Information "    removing $folder"
            Remove-Item -LiteralPath $folder -Recurse -Force
        }
    }
}

function Invoke-Build {
    Write-Step "Build ($Configuration)"
    Assert-Dotnet
    Invoke-Native -FilePath dotnet -ArgumentList @('build', (Join-Path $RepoRoot 'OpStatus.slnx'), '-c', $Configuration, '--nologo')

    # The module project copies the importable module into out/OpStatus/ after its build.
    $manifest = Join-Path $ModuleDir 'OpStatus.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The build succeeded but $manifest is missing: the module project did not lay out out/OpStatus/."
    }
}

# The parameter sections written once in docs/parameters/ (one file each), copied into every cmdlet page of
# docs/en-US that has the parameter, with %COMMAND% replaced by the start of that cmdlet's error ids
# (Get-CacheOperationStatus: GetCacheOperationStatusCommand). With -Check, changes nothing and returns the pages
# whose copy differs.
function Sync-SharedParameter([switch] $Check) {
    $sharedDir = [System.IO.Path]::Combine($RepoRoot, 'docs', 'parameters')
    $shared = @{}
    foreach ($file in Get-ChildItem -LiteralPath $sharedDir -Filter '*.md' | Where-Object Name -ne 'README.md') {
        $shared[$file.BaseName] = ([System.IO.File]::ReadAllText($file.FullName) -replace "`r`n", "`n").TrimEnd() + "`n`n"
    }

    $stale = [System.Collections.Generic.List[string]]::new()
    $pages = Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($RepoRoot, 'docs', 'en-US')) -Filter '*-*.md'
    foreach ($page in $pages) {
        $command = ($page.BaseName -replace '-', '') + 'Command'
        $before = [System.IO.File]::ReadAllText($page.FullName) -replace "`r`n", "`n"
        $after = $before
        foreach ($name in $shared.Keys) {
            # The section runs from its heading to the next heading of a parameter or of the page.
            $section = [regex]::new("(?ms)^### -$name
.*?(?=^##)")
            $text = $shared[$name].Replace('%COMMAND%', $command)
            $after = $section.Replace($after, [System.Text.RegularExpressions.MatchEvaluator] { param($m) $text })
        }

        if ($after -ne $before) {
            $stale.Add($page.Name)
            if (-not $Check) {
                [System.IO.File]::WriteAllText($page.FullName, $after)
            }
        }
    }

    $stale
}

# platyPS 0.14, the version the committed help was made with (another version writes other MAML); $null without it.
function Get-PlatyPS {
    Get-Module -ListAvailable -Name platyPS | Where-Object { $_.Version.Major -eq 0 -and $_.Version.Minor -eq 14 } |
        Sort-Object -Property Version -Descending | Select-Object -First 1
}

# Makes the MAML of docs/en-US into a new folder with platyPS, and returns that folder.
function New-HelpFromMarkdown {
    $platyPS = Get-PlatyPS
    if (-not $platyPS) {
        throw 'platyPS 0.14 is not installed, so the help cannot be made from docs/en-US. Install it with: Install-Module platyPS -RequiredVersion 0.14.2 -Scope CurrentUser'
    }

    Import-Module -ModuleInfo $platyPS
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) "opstatus-help-$([guid]::NewGuid().ToString('n'))"
    # Cmdlet help becomes OpStatus.dll-Help.xml, about_OpStatus.md becomes about_OpStatus.help.txt.
    New-ExternalHelp -Path $HelpSource -OutputPath $folder -Force | Out-Null
    $folder
}

function Invoke-Docs {
    Write-Step 'Docs'
    foreach ($page in Sync-SharedParameter) {
        Write-Information "    shared parameter sections copied into $page"
    }

    $made = New-HelpFromMarkdown
    try {
        foreach ($name in $HelpFiles) {
            Copy-Item -LiteralPath (Join-Path $made $name) -Destination (Join-Path $HelpSource $name) -Force
            Write-Information "    docs/en-US/$name"
        }
    }
    finally {
        Remove-Item -LiteralPath $made -Recurse -Force
    }
}

# Makes the emulator's test certificates in out/testcerts/, as tests/run.sh does: ca.pem (the test CA),
# server.pfx (the emulator's HTTPS certificate) and bundle.pem (the machine's roots plus ca.pem, for
# SSL_CERT_FILE). On Linux they are made anew on every run; on Windows and macOS they are kept while
# present, so that a CA the user has trusted by hand stays the one in use. Returns the folder.
# -Reuse keeps present certificates on Linux too (-Try: a test run may be using them).
function New-TestCertificate([switch] $Reuse) {
    $present = @('ca.pem', 'server.pfx', 'bundle.pem' | Where-Object { Test-Path -LiteralPath (Join-Path $CertDir $_) }).Count -eq 3
    if (($OnLinux -and -not $Reuse) -or -not $present) {
        Write-Step 'Test certificates'
        Invoke-Native -FilePath dotnet -ArgumentList @($EmulatorDll, 'make-certs', $CertDir) -Quiet
    }

    if (-not (Test-Path -LiteralPath (Join-Path $CertDir 'bundle.pem'))) {
        throw "The emulator did not write its certificates to $CertDir."
    }

    $CertDir
}

# The command the child pwsh runs: Pester 5 on tests/OpStatus.Tests.ps1, exit code = failures.
function Get-PesterCommand([string] $TestScript, [string] $ResultFile, [string] $RenderMode) {
    $quote = { param($text) "'" + $text.Replace("'", "''") + "'" }
    # The tests run with the default error preference (Continue), as a user's session would.
    $command = @'
$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0.0' } |
    Sort-Object -Property Version -Descending | Select-Object -First 1
if (-not $pester) {
    Write-Error 'Pester 5 is not installed. Install it with: Install-Module Pester -MinimumVersion 5.0.0 -Scope CurrentUser (bash tests/run.sh installs it into out/tools/modules).'
    exit 1
}
Import-Module $pester -ErrorAction Stop
$config = New-PesterConfiguration
$config.Run.Path = {TestScript}
$config.Run.Exit = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = {RenderMode}
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = {ResultFile}
Invoke-Pester -Configuration $config
'@
    $command.Replace('{TestScript}', (& $quote $TestScript)).Replace('{ResultFile}', (& $quote $ResultFile)).Replace('{RenderMode}', (& $quote $RenderMode))
}

# The pwsh to start child shells with: the one running this script when it is pwsh, else the one on PATH.
function Get-PwshPath {
    if ($PSVersionTable.PSEdition -eq 'Core') {
        # $PSHOME holds the running pwsh (a .NET tool's process is dotnet itself, so ProcessPath will not do).
        $here = Join-Path $PSHOME $(if ($OnWindows) { 'pwsh.exe' } else { 'pwsh' })
        if (Test-Path -LiteralPath $here) {
            return $here
        }
    }

    $pwsh = Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $pwsh) {
        throw 'The Pester tests run in PowerShell 7 (pwsh), which is not on PATH. Install PowerShell 7, or run bash tests/run.sh, which installs it into out/tools/.'
    }

    $pwsh.Source
}

# The arguments of dotnet test for one xunit project: its own trx file, the console logger, the filter.
function Get-XunitArgument([string] $Project, [string] $Trx) {
    $arguments = @(
        'test', $Project, '-c', $Configuration, '--no-build', '--nologo',
        '--logger', 'console;verbosity=normal', '--logger', "trx;LogFileName=$(Split-Path -Leaf $Trx)", '--results-directory', (Split-Path -Parent $Trx))
    if ($TestFilter) {
        $arguments += @('--filter', $TestFilter)
    }

    $arguments
}

# Runs a native command with its output shown and returns its exit code instead of stopping the build.
function Invoke-Suite {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [string] $Display)
    Write-Information "    $Display"
    & $FilePath @ArgumentList | Out-Host
    $LASTEXITCODE
}

# Counts from a suite's result file: passed, failed, skipped; $null when the suite wrote none.
function Read-SuiteCount {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [ValidateSet('trx', 'nunit')] [string] $Format)
    if (-not (Test-Path -LiteralPath $Path)) {
        return $null
    }

    [xml] $result = Get-Content -LiteralPath $Path -Raw
    if ($Format -eq 'trx') {
        $counters = $result.TestRun.ResultSummary.Counters
        return [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout; Skipped = [int]$counters.notExecuted }
    }

    $run = $result.'test-results'
    $failed = [int]$run.failures + [int]$run.errors
    $skipped = [int]$run.skipped + [int]$run.'not-run' + [int]$run.ignored + [int]$run.inconclusive
    [pscustomobject]@{ Passed = [int]$run.total - $failed - $skipped; Failed = $failed; Skipped = $skipped }
}

# What the suite checks of the help sources: each check passes, or fails with the command that mends it.
function Test-Doc {
    $passed = 0
    $failed = 0
    $skipped = 0
    $stale = @(Sync-SharedParameter -Check)
    if ($stale.Count -gt 0) {
        Write-Warning "The shared parameter sections of $($stale -join ', ') differ from docs/parameters/. Edit them there, then run ./build.ps1 -Docs to copy them into the pages, and commit both."
        $failed++
    }
    else {
        Write-Information '    [+] every cmdlet page has the shared parameter sections of docs/parameters/'
        $passed++
    }

    if (-not (Get-PlatyPS)) {
        Write-Warning 'platyPS 0.14 is not installed, so the shipped help was not compared with its markdown (Install-Module platyPS -RequiredVersion 0.14.2).'
        $skipped++
    }
    else {
        $made = New-HelpFromMarkdown
        try {
            $differ = @($HelpFiles | Where-Object {
                    $committed = Join-Path $HelpSource $_
                    -not (Test-Path -LiteralPath $committed) -or
                    [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($committed)) -ne [Convert]::ToBase64String([System.IO.File]::ReadAllBytes((Join-Path $made $_)))
                })
        }
        finally {
            Remove-Item -LiteralPath $made -Recurse -Force
        }

        if ($differ.Count -gt 0) {
            Write-Warning "docs/en-US/$($differ -join ' and docs/en-US/') is not what platyPS makes of docs/en-US/*.md: the shipped help is stale. Run ./build.ps1 -Docs and commit the result."
            $failed++
        }
        else {
            Write-Information '    [+] the shipped help (docs/en-US/*.xml, *.help.txt) is what platyPS makes of docs/en-US/*.md'
            $passed++
        }
    }

    [pscustomobject]@{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-Test {
    Write-Step 'Test'
    if (-not (Test-Path -LiteralPath $EmulatorDll)) {
        throw "The emulator was not built: $EmulatorDll is missing."
    }

    $certs = New-TestCertificate
    $caFile = Join-Path $certs 'ca.pem'
    $resultsDir = [System.IO.Path]::Combine($RepoRoot, 'out', 'test-results')
    if (Test-Path -LiteralPath $resultsDir) {
        Remove-Item -LiteralPath $resultsDir -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $resultsDir -Force
    $trx = Join-Path $resultsDir 'results.trx'
    $engineTrx = Join-Path $resultsDir 'engine.trx'
    $nunit = Join-Path $resultsDir 'pester.xml'

    # .NET reads SSL_CERT_FILE only when a process starts: set it here, for the child processes
    # (dotnet test and pwsh), and put the caller's values back afterwards.
    $saved = @{}
    foreach ($name in 'SSL_CERT_FILE', 'OPSTATUS_TEST_CERTS', 'OPSTATUS_CONFIGURATION') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
    }

    try {
        # The xunit fixture checks both, on every platform.
        [Environment]::SetEnvironmentVariable('SSL_CERT_FILE', (Join-Path $certs 'bundle.pem'))
        [Environment]::SetEnvironmentVariable('OPSTATUS_TEST_CERTS', $certs)
        # The Pester suite starts the emulator of this configuration.
        [Environment]::SetEnvironmentVariable('OPSTATUS_CONFIGURATION', $Configuration)

        if ($OnWindows) {
            Write-Warning "SSL_CERT_FILE is honoured by .NET on Linux only. On Windows, trust the test CA once: Import-Certificate -FilePath '$caFile' -CertStoreLocation Cert:\CurrentUser\Root"
        }
        elseif (-not $OnLinux) {
            Write-Warning "SSL_CERT_FILE is honoured by .NET on Linux only. On macOS, trust the test CA once: security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db '$caFile'"
        }

        Write-Step 'Docs checks'
        $docsCount = Test-Doc

        # The engine's own tests first: no PowerShell, no emulator, seconds.
        Write-Step 'Engine unit tests (dotnet test)'
        $engineProject = [System.IO.Path]::Combine($RepoRoot, 'tests', 'OpStatus.Engine.Tests', 'OpStatus.Engine.Tests.csproj')
        $engineExit = Invoke-Suite -FilePath dotnet -ArgumentList (Get-XunitArgument -Project $engineProject -Trx $engineTrx) -Display "dotnet test $engineProject $(if ($TestFilter) { "--filter $TestFilter" })"

        Write-Step 'End-to-end tests (dotnet test)'
        $testProject = [System.IO.Path]::Combine($RepoRoot, 'tests', 'OpStatus.Tests', 'OpStatus.Tests.csproj')
        $xunitExit = Invoke-Suite -FilePath dotnet -ArgumentList (Get-XunitArgument -Project $testProject -Trx $trx) -Display "dotnet test $testProject $(if ($TestFilter) { "--filter $TestFilter" })"

        Write-Step 'Pester tests'
        $pwsh = Get-PwshPath
        $testScript = [System.IO.Path]::Combine($RepoRoot, 'tests', 'OpStatus.Tests.ps1')
        # Colour codes only where a terminal shows them, not in a redirected log.
        $renderMode = if ([Console]::IsOutputRedirected) { 'Plaintext' } else { 'Auto' }
        $command = Get-PesterCommand -TestScript $testScript -ResultFile $nunit -RenderMode $renderMode
        # -EncodedCommand passes the script whole, with no quoting rules to trip over on any platform;
        # -OutputFormat Text keeps a redirected child from writing CLIXML.
        $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($command))
        $pesterExit = Invoke-Suite -FilePath $pwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', $encoded) `
            -Display "$pwsh -NoProfile -NonInteractive: Invoke-Pester $testScript"
    }
    finally {
        foreach ($name in $saved.Keys) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }

    Write-Step 'Results'
    $passed = 0
    $failed = 0
    foreach ($suite in @(
            @{ Name = 'docs'; Count = $docsCount; Exit = $docsCount.Failed }
            @{ Name = 'engine'; Count = (Read-SuiteCount -Path $engineTrx -Format trx); Exit = $engineExit }
            @{ Name = 'xunit'; Count = (Read-SuiteCount -Path $trx -Format trx); Exit = $xunitExit }
            @{ Name = 'Pester'; Count = (Read-SuiteCount -Path $nunit -Format nunit); Exit = $pesterExit })) {
        $count = $suite.Count
        if (-not $count) {
            # A suite that ran nothing, or could not start, is a failure, not a silent zero.
            $count = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
            Write-Warning "$($suite.Name) wrote no results (exit code $($suite.Exit)); counted as 1 failed."
        }
        elseif ($suite.Exit -ne 0 -and $count.Failed -eq 0) {
            $count.Failed = 1
            Write-Warning "$($suite.Name) exited with $($suite.Exit) though its results show no failure; counted as 1 failed."
        }

        Write-Information ('    {0,-7} {1} passed, {2} failed, {3} skipped' -f "$($suite.Name):", $count.Passed, $count.Failed, $count.Skipped)
        $passed += $count.Passed
        $failed += $count.Failed
    }

    # The last line, for CI: both suites together.
    Write-Information "$passed passed, $failed failed"
    $failed
}

# Starts the emulator and returns the process and the settings it printed (EMULATOR_URL, ...).
function Start-Emulator([string] $Certs) {
    # In a session of its own where setsid exists, so that Ctrl+C in the try-out shell does not stop it too.
    $setsid = if ($OnLinux) { Get-Command -Name setsid -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 }
    $start = [System.Diagnostics.ProcessStartInfo]::new($(if ($setsid) { $setsid.Source } else { 'dotnet' }))
    $arguments = @($EmulatorDll, 'serve', '--certs', $Certs)
    if ($setsid) {
        $arguments = @('dotnet') + $arguments
    }
    foreach ($argument in $arguments) {
        $start.ArgumentList.Add($argument)
    }
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $settings = @{}
    $reading = $process.StandardOutput.ReadLineAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        if (-not $reading.Wait([Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds))) {
            $process.Kill()
            throw 'The emulator did not print READY within 30 seconds.'
        }

        $line = $reading.Result
        if ($null -eq $line) {
            throw "The emulator stopped before it was ready (exit code $($process.ExitCode))."
        }

        if ($line -eq 'READY') {
            break
        }

        if ($line -match '^([A-Z_]+)=(\S+)$') {
            $settings[$Matches[1]] = $Matches[2]
        }
        $reading = $process.StandardOutput.ReadLineAsync()
    }

    [pscustomobject]@{ Process = $process; Settings = $settings }
}

function Invoke-Try {
    Write-Step 'Try'
    if ($PSVersionTable.PSEdition -ne 'Core') {
        throw '-Try needs PowerShell 7 (pwsh).'
    }

    if (-not (Test-Path -LiteralPath (Join-Path $ModuleDir 'OpStatus.psd1')) -or -not (Test-Path -LiteralPath $EmulatorDll)) {
        Invoke-Build
    }

    $certs = New-TestCertificate -Reuse
    $folder = [System.IO.Path]::Combine($RepoRoot, 'out', 'try')
    $emulator = Start-Emulator -Certs $certs
    $names = 'SSL_CERT_FILE', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_TOKEN_CREDENTIALS'
    $saved = @{}
    foreach ($name in $names) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
    }

    try {
        [Environment]::SetEnvironmentVariable('SSL_CERT_FILE', (Join-Path $certs 'bundle.pem'))
        [Environment]::SetEnvironmentVariable('IDENTITY_ENDPOINT', $emulator.Settings['IDENTITY_ENDPOINT'])
        [Environment]::SetEnvironmentVariable('IDENTITY_HEADER', $emulator.Settings['IDENTITY_HEADER'])
        # Only the emulator's managed identity signs in: no credential of this machine is tried.
        [Environment]::SetEnvironmentVariable('AZURE_TOKEN_CREDENTIALS', 'ManagedIdentityCredential')

        $quote = { param($text) "'" + $text.Replace("'", "''") + "'" }
        $startup = @(
            "Import-Module -Name $(& $quote (Join-Path $ModuleDir 'OpStatus.psd1')) -ErrorAction Stop"
            ". $(& $quote (Join-Path $RepoRoot 'tests/TryOut.ps1')) -EmulatorUrl $(& $quote $emulator.Settings['EMULATOR_URL']) -Folder $(& $quote $folder)"
            "Set-Location -LiteralPath $(& $quote $folder)"
            "Write-Host 'OpStatus, offline: the emulator at $($emulator.Settings['EMULATOR_URL']) plays Azure. Ready: `$sub, `$endpoint, `$url, `$auth, ops.csv and batch.csv; try the README''s tour. exit ends it.'"
        ) -join '; '
        & (Get-PwshPath) -NoLogo -NoProfile -NoExit -Command $startup
    }
    finally {
        foreach ($name in $names) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }

        if (-not $emulator.Process.HasExited) {
            $emulator.Process.Kill()
        }
        $emulator.Process.Dispose()
        Write-Information '    the emulator has stopped'
    }
}

function Invoke-Package {
    Write-Step 'Package'
    $manifest = Join-Path $ModuleDir 'OpStatus.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "$manifest is missing: build the module first."
    }

    foreach ($name in $HelpFiles) {
        if (-not (Test-Path -LiteralPath ([System.IO.Path]::Combine($ModuleDir, 'en-US', $name)))) {
            throw "$ModuleDir has no en-US/$name, so Get-Help would show no descriptions. Build again (./build.ps1 -Package builds first); the build copies it from docs/en-US."
        }
    }

    # OpStatus.psd1 at the repository root is the one source of the version.
    $version = (Import-PowerShellDataFile -Path (Join-Path $RepoRoot 'OpStatus.psd1')).ModuleVersion
    $zip = [System.IO.Path]::Combine($RepoRoot, 'out', "OpStatus-$version.zip")
    if (Test-Path -LiteralPath $zip) {
        Remove-Item -LiteralPath $zip -Force
    }

    # The archive holds the folder OpStatus/ itself, ready to unpack into a module path.
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    }
    [System.IO.Compression.ZipFile]::CreateFromDirectory($ModuleDir, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)
    Write-Information "    $zip"
}

# No switch means build; -Docs, -Test and -Package build too; -Clean and -Try alone do only that (-Try builds when it must).
$build = $Test -or $Package -or $Docs -or -not ($Clean -or $Try)

if ($Clean) {
    Invoke-Clean
}

if ($Docs) {
    # Before the build, which ships what it makes.
    Invoke-Docs
}

if ($build) {
    Invoke-Build
}

if ($Test) {
    # Exit code 1 when any test failed; nothing is packaged then.
    if ((Invoke-Test) -gt 0) {
        exit 1
    }
}

if ($Package) {
    Invoke-Package
}

if ($Try) {
    Invoke-Try
}
