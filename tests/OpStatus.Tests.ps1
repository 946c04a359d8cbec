<#
    Pester 5 tests of OpStatus as a user meets it: the built module (out/OpStatus/) against the local
    Azure emulator (tests/OpStatus.Emulator), which this file starts before the tests and stops after them.

    How to run (from the repository root):
        ./build.ps1 -Test
    That builds, makes the emulator's certificates (out/testcerts/), and runs this file in a child pwsh
    whose SSL_CERT_FILE trusts them. .NET reads SSL_CERT_FILE only when a process starts, so a shell
    started without it cannot call the emulator over HTTPS (on Windows and macOS, trust out/testcerts/ca.pem
    in the user's certificate store instead; build.ps1 says how).

    Needs PowerShell 7 and Pester 5. $env:OPSTATUS_CONFIGURATION picks the emulator build (Release by default).

    The emulator prints EMULATOR_URL=..., IDENTITY_ENDPOINT=..., IDENTITY_HEADER=... and then READY. The two
    IDENTITY_* variables are what Azure Automation gives a runbook, so the cmdlets sign in with the
    emulator's managed identity exactly as they would there. Its control API (no auth) scripts responses
    and reports what it received:
        PUT    /_emulator/operations/{id}   {"steps":[{"status":200,"body":{...}}]}   the answers for one id
        GET    /_emulator/requests          the requests it saw (method, rawTarget, service, operationId, ...)
        POST   /_emulator/tokens            {"audience":"..."} -> {"access_token":"..."}
        GET    /_emulator/token-requests    the managed identity token requests it served
#>

BeforeDiscovery {
    # The cmdlets the manifest exports, one help test each.
    $ManifestCmdlets = @((Import-PowerShellDataFile -Path (Join-Path $PSScriptRoot '../OpStatus.psd1')).CmdletsToExport)
    # The README's PowerShell examples, one test each.
    $ReadmeExamples = @(& (Join-Path $PSScriptRoot 'Examples.ps1') -Path (Join-Path $PSScriptRoot '../README.md') -List |
            ForEach-Object { @{ Name = $_.Name; Kind = $_.Kind } })
}

Describe 'OpStatus module' {
    BeforeAll {
        # Set first, so that AfterAll can clean up whatever part of this block ran.
        $Emulator = $null
        $EmulatorStdout = $null
        $EmulatorStderr = $null
        $SavedEnvironment = @{}

        if ($PSVersionTable.PSVersion.Major -lt 7) {
            throw 'These tests need PowerShell 7 (pwsh). Run them with ./build.ps1 -Test.'
        }

        $RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '..')).Path
        $ModuleDir = Join-Path $RepoRoot 'out/OpStatus'
        $ModuleManifest = Join-Path $ModuleDir 'OpStatus.psd1'
        if (-not (Test-Path -LiteralPath $ModuleManifest)) {
            throw "The module is not built: $ModuleManifest is missing. Run ./build.ps1 first."
        }

        $Configuration = if ($env:OPSTATUS_CONFIGURATION) { $env:OPSTATUS_CONFIGURATION } else { 'Release' }
        $EmulatorDll = Join-Path $RepoRoot "tests/OpStatus.Emulator/bin/$Configuration/net10.0/OpStatus.Emulator.dll"
        $CertDir = Join-Path $RepoRoot 'out/testcerts'
        if (-not (Test-Path -LiteralPath $EmulatorDll)) {
            throw "The emulator is not built: $EmulatorDll is missing. Run ./build.ps1 -Test."
        }

        # A file another process is still writing: open it shared, read what is there.
        function Read-SharedText([string] $Path) {
            if (-not $Path -or -not (Test-Path -LiteralPath $Path)) {
                return ''
            }

            $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)
            try {
                $reader = [System.IO.StreamReader]::new($stream)
                $reader.ReadToEnd()
            }
            finally {
                $stream.Dispose()
            }
        }

        # The value of a NAME=value line the emulator printed.
        function Get-EmulatorSetting([string] $Text, [string] $Name) {
            $match = [regex]::Match($Text, "(?m)^$([regex]::Escape($Name))=(\S+)\s*$")
            if (-not $match.Success) {
                throw "The emulator printed no $Name= line. It printed:`n$Text"
            }

            $match.Groups[1].Value
        }

        # Credentials of the machine or the user must not sign the cmdlets in instead of the emulator's
        # managed identity: remove them for the duration of the tests (AfterAll puts them back).
        $credentialNames = @(
            Get-ChildItem -Path Env: | Where-Object Name -Like 'AZURE_*' | ForEach-Object Name
            'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET'
        )
        foreach ($name in $credentialNames) {
            $SavedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $null)
        }

        # Start the emulator; its stdout goes to a file that is read until it says READY.
        $EmulatorStdout = [System.IO.Path]::GetTempFileName()
        $EmulatorStderr = [System.IO.Path]::GetTempFileName()
        # Start-Process joins -ArgumentList with spaces: quote each argument, for paths with spaces.
        $arguments = @($EmulatorDll, 'serve', '--certs', $CertDir) | ForEach-Object { '"{0}"' -f $_ }
        $Emulator = Start-Process -FilePath 'dotnet' -ArgumentList $arguments -NoNewWindow -PassThru `
            -RedirectStandardOutput $EmulatorStdout -RedirectStandardError $EmulatorStderr

        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        $printed = ''
        while ($true) {
            $printed = Read-SharedText $EmulatorStdout
            if ($printed -match '(?m)^READY\s*$') {
                break
            }

            if ($Emulator.HasExited) {
                throw "The emulator stopped before it was ready (exit code $($Emulator.ExitCode)).`nstdout:`n$printed`nstderr:`n$(Read-SharedText $EmulatorStderr)"
            }

            if ([DateTime]::UtcNow -gt $deadline) {
                throw "The emulator did not print READY within 30 seconds.`nstdout:`n$printed`nstderr:`n$(Read-SharedText $EmulatorStderr)"
            }

            Start-Sleep -Milliseconds 200
        }

        $EmulatorUrl = Get-EmulatorSetting $printed 'EMULATOR_URL'                 # https://127.0.0.1:<port>/
        $EmulatorBase = $EmulatorUrl.TrimEnd('/')                                 # for the control API
        $EmulatorOrigin = ([uri]$EmulatorUrl).GetLeftPart([System.UriPartial]::Authority)  # ARM token audience
        # What Azure Automation gives a runbook with a managed identity; Azure.Identity reads them.
        $env:IDENTITY_ENDPOINT = Get-EmulatorSetting $printed 'IDENTITY_ENDPOINT'
        $env:IDENTITY_HEADER = Get-EmulatorSetting $printed 'IDENTITY_HEADER'

        # The control API, over the same HTTPS URL (trusted through SSL_CERT_FILE, see the header).
        function Invoke-EmulatorApi([string] $Method, [string] $Path, $Body) {
            $request = @{ Method = $Method; Uri = "$EmulatorBase$Path" }
            if ($null -ne $Body) {
                $request.Body = ConvertTo-Json -InputObject $Body -Depth 20 -Compress
                $request.ContentType = 'application/json'
            }

            # throw, not IRM's own error: a statement-terminating error would let the test go on.
            try {
                Invoke-RestMethod @request
            }
            catch {
                throw "The emulator's control API failed: $Method $Path : $($_.Exception.Message)"
            }
        }

        # Scripts the answers the emulator gives for one operation id; the last step repeats.
        function Set-EmulatorOperation([string] $OperationId, [object[]] $Steps) {
            $null = Invoke-EmulatorApi -Method Put -Path "/_emulator/operations/$([uri]::EscapeDataString($OperationId))" -Body @{ steps = @($Steps) }
        }

        # One 200 step whose body is an operation status.
        function New-StatusStep([hashtable] $Body) {
            @{ status = 200; body = $Body }
        }

        # The requests the emulator received, optionally only those for one operation id.
        function Get-EmulatorRequest([string] $OperationId) {
            $all = @(Invoke-EmulatorApi -Method Get -Path '/_emulator/requests' | ForEach-Object { $_ } | Where-Object { $null -ne $_ })
            if ($PSBoundParameters.ContainsKey('OperationId')) {
                $all = @($all | Where-Object { $_.operationId -ceq $OperationId })
            }

            $all
        }

        # The managed identity token requests the emulator served.
        function Get-EmulatorTokenRequest {
            @(Invoke-EmulatorApi -Method Get -Path '/_emulator/token-requests' | ForEach-Object { $_ } | Where-Object { $null -ne $_ })
        }

        # A token the emulator accepts for one audience, for the -AccessToken tests.
        function New-EmulatorToken([string] $Audience) {
            (Invoke-EmulatorApi -Method Post -Path '/_emulator/tokens' -Body @{ audience = $Audience }).access_token
        }

        # A fresh operation id for each test, so that no two tests share scripted answers or logged requests.
        function New-OperationId {
            [guid]::NewGuid().ToString()
        }

        # Fail early, with advice, when this process cannot reach the control API (usually: no trust).
        try {
            $null = Invoke-EmulatorApi -Method Delete -Path '/_emulator/requests'
        }
        catch {
            throw "$($_.Exception.Message) Run the tests with ./build.ps1 -Test, which makes this process trust the emulator's certificate."
        }

        # The module, imported by its manifest as a user would.
        $Module = Import-Module -Name $ModuleManifest -Force -PassThru -ErrorAction Stop
        $Manifest = Import-PowerShellDataFile -Path $ModuleManifest

        $SubscriptionId = '2f4a9c1e-6b3d-4e8f-9a0b-1c2d3e4f5a6b'
        $ProjectName = 'contoso-project'
        # The parameters every Resource Manager call shares; -ResourceManagerEndpoint points at the emulator.
        $Arm = @{
            SubscriptionId          = $SubscriptionId
            Location                = 'westus'
            ResourceManagerEndpoint = $EmulatorUrl
        }

        # A CI job's wait, started now and checked by the last test ('Unattended waits'), so that its minute runs while the
        # other tests do: two pwsh -NonInteractive -File processes, output to files, as a CI step runs them (the second
        # turns the signs of life off), and a thread that reads their logs as they grow and notes when each line appears.
        $Pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })

        # An operation that answers Running (polled every second) until it has run for that long, then ends so.
        function Set-TimedOperation([string] $OperationId, [int] $Milliseconds, [string] $End = 'Succeeded') {
            $final = @{ name = $OperationId; status = $End }
            if ($End -eq 'Failed') {
                $final.error = @{ code = 'QuotaExceeded'; message = 'Not enough cores.' }
            }

            Set-EmulatorOperation $OperationId @(
                @{ status = 200; durationMs = $Milliseconds; body = @{ name = $OperationId; status = 'Running' }; headers = @{ 'Retry-After' = '1' } }
                @{ status = 200; body = $final }
            )
        }

        $CiWait = [pscustomobject]@{
            Script = Join-Path ([System.IO.Path]::GetTempPath()) "opstatus-wait-$([guid]::NewGuid().ToString('n')).ps1"
            Ids    = [pscustomobject]@{ Done = [guid]::NewGuid().ToString(); Failed = [guid]::NewGuid().ToString(); Endless = [guid]::NewGuid().ToString() }
            Runs   = @()
            Reader = $null
        }
        # The script a CI job runs: wait for every operation, keep every result and error, then fail.
        Set-Content -LiteralPath $CiWait.Script -Value @'
param([string] $Manifest, [string] $Url, [string] $Subscription, [string] $Ids, [switch] $Quiet)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$silence = @{}
if ($Quiet) { $silence.WarningAction = 'SilentlyContinue' }
$final = $Ids -split ',' | Get-CacheOperationStatus -ResourceManagerEndpoint $Url -SubscriptionId $Subscription -Location westus |
    Wait-OperationStatus -ResourceManagerEndpoint $Url -Timeout 70 -ErrorAction Continue -ErrorVariable waitErrors @silence
$final | Format-Table -View Ids
if ($waitErrors) {
    throw "$($waitErrors.Count) of the operations did not succeed; their errors are above."
}
'@
        Set-TimedOperation $CiWait.Ids.Done 62000
        Set-TimedOperation $CiWait.Ids.Failed 35000 -End Failed
        Set-TimedOperation $CiWait.Ids.Endless 600000
        $CiWait.Runs = foreach ($quiet in $false, $true) {
            $log = [System.IO.Path]::GetTempFileName()
            $err = [System.IO.Path]::GetTempFileName()
            $arguments = @('-NoProfile', '-NonInteractive', '-File', $CiWait.Script, '-Manifest', $ModuleManifest, '-Url', $EmulatorUrl, '-Subscription', $SubscriptionId,
                '-Ids', ($CiWait.Ids.Done, $CiWait.Ids.Failed, $CiWait.Ids.Endless -join ','))
            if ($quiet) { $arguments += '-Quiet' }
            $process = Start-Process -FilePath $Pwsh -ArgumentList ($arguments | ForEach-Object { '"{0}"' -f $_ }) -NoNewWindow -PassThru -RedirectStandardOutput $log -RedirectStandardError $err
            [pscustomobject]@{ Quiet = $quiet; Process = $process; Log = $log; Err = $err; Started = [DateTime]::UtcNow; Seen = [System.Collections.Concurrent.ConcurrentDictionary[string, datetime]]::new() }
        }
        $CiWait.Reader = Start-ThreadJob -ArgumentList (, $CiWait.Runs) -ScriptBlock {
            param($runs)
            function Read-Shared([string] $Path) {
                $stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
                try { [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
            }
            function Read-NewLine($run) {
                # As text: without the colours pwsh may add.
                $text = ((Read-Shared $run.Log) + (Read-Shared $run.Err)) -replace '\x1b\[[0-9;]*[A-Za-z]', ''
                foreach ($line in $text -split "`r?`n") {
                    if ($line) { $null = $run.Seen.TryAdd($line, [DateTime]::UtcNow) }
                }
            }
            $deadline = [DateTime]::UtcNow.AddSeconds(150)
            while (@($runs | Where-Object { -not $_.Process.HasExited }).Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) {
                $runs | ForEach-Object { Read-NewLine $_ }
                Start-Sleep -Milliseconds 500
            }
            # What the processes wrote last, after the last read.
            $runs | ForEach-Object { $null = $_.Process.WaitForExit(5000); Read-NewLine $_ }
        }
    }

    AfterAll {
        if ($CiWait) {
            foreach ($run in $CiWait.Runs) {
                if (-not $run.Process.HasExited) { $run.Process.Kill() }
                Remove-Item -LiteralPath $run.Log, $run.Err -ErrorAction SilentlyContinue
            }

            if ($CiWait.Reader) { $CiWait.Reader | Remove-Job -Force }
            Remove-Item -LiteralPath $CiWait.Script -ErrorAction SilentlyContinue
        }

        Remove-Module -Name OpStatus -Force -ErrorAction SilentlyContinue

        if ($Emulator) {
            if (-not $Emulator.HasExited) {
                Stop-Process -Id $Emulator.Id -Force -ErrorAction SilentlyContinue
            }

            $null = $Emulator.WaitForExit(10000)
        }

        foreach ($file in $EmulatorStdout, $EmulatorStderr) {
            if ($file) {
                Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
            }
        }

        foreach ($name in $SavedEnvironment.Keys) {
            [Environment]::SetEnvironmentVariable($name, $SavedEnvironment[$name])
        }
    }

    Context 'Module' {
        It 'knows the types scripts name (output, exceptions) as soon as it is imported, before any command runs' {
            $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
            $script = "Import-Module '$ModuleManifest' -ErrorAction Stop; try { throw 'boom' } catch [OpStatus.OperationFailedException] { 'wrong catch' } catch { 'generic: ' + `$_ }; [OpStatus.OperationStatus].FullName; [OpStatus.OperationStatusException].FullName; [OpStatus.OperationTimeoutException].FullName"
            $out = & $pwsh -NoProfile -NonInteractive -Command $script
            $out | Should -Be @('generic: boom', 'OpStatus.OperationStatus', 'OpStatus.OperationStatusException', 'OpStatus.OperationTimeoutException')
        }

        It 'imports by its manifest and exports exactly the Get cmdlets and Wait-OperationStatus' {
            $Module.Name | Should -Be 'OpStatus'
            $Module.Version.ToString() | Should -Be $Manifest.ModuleVersion

            $cmdlets = (Get-Command -Module OpStatus | Sort-Object -Property Name).Name -join ','
            $cmdlets | Should -Be 'Get-CacheOperationStatus,Get-DevCenterOperationStatus,Get-LogAnalyticsOperationStatus,Wait-OperationStatus'
            ($Module.ExportedCmdlets.Keys | Sort-Object) -join ',' | Should -Be $cmdlets
            $Module.ExportedFunctions.Count | Should -Be 0
            $Module.ExportedAliases.Count | Should -Be 0
        }

        It 'Get-Help <CommandName> shows the synopsis, the description, every parameter''s description and every example, in a pwsh with no platyPS' -ForEach @($ManifestCmdlets | ForEach-Object { @{ CommandName = $_ } }) {
            # A child pwsh whose module path holds no platyPS, as a user's right after the build: the help is the build's own.
            $script = {
                param($Manifest, $Name)
                $env:PSModulePath = ($env:PSModulePath -split [System.IO.Path]::PathSeparator | Where-Object { -not (Test-Path -LiteralPath (Join-Path $_ 'platyPS')) }) -join [System.IO.Path]::PathSeparator
                Import-Module $Manifest -ErrorAction Stop
                $help = Get-Help -Name $Name -Full
                $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
                [pscustomobject]@{
                    PlatyPS     = @(Get-Module -ListAvailable -Name platyPS).Count
                    Synopsis    = "$($help.Synopsis)".Trim()
                    Description = ($help.description.Text -join ' ').Trim()
                    Parameters  = @((Get-Command -Name $Name).Parameters.Keys | Where-Object { $_ -notin $common } | ForEach-Object {
                            $p = @($help.parameters.parameter | Where-Object name -EQ $_)
                            '{0}={1}' -f $_, $(if ($p.Count -eq 1) { ($p[0].description.Text -join ' ').Trim().Length } else { 0 })
                        })
                    Examples    = @($help.examples.example).Count
                    ExamplesText = Get-Help -Name $Name -Examples | Out-String -Width 200
                } | ConvertTo-Json -Compress
            }
            $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
            $found = & $pwsh -NoProfile -NonInteractive -Command "& { $script } '$ModuleManifest' '$CommandName'" | ConvertFrom-Json

            $found.PlatyPS | Should -Be 0
            $found.Synopsis | Should -Not -BeNullOrEmpty
            # Without help, Get-Help makes a synopsis of the syntax; that is not help.
            $found.Synopsis | Should -Not -BeLike "$CommandName *"
            $found.Description.Length | Should -BeGreaterThan 100
            $found.Parameters | Should -Not -BeNullOrEmpty
            foreach ($parameter in $found.Parameters) {
                $parameter | Should -Not -BeLike '*=0' -Because "every parameter has a description ($parameter characters)"
            }

            $markdown = Get-Content -LiteralPath (Join-Path $RepoRoot "docs/en-US/$CommandName.md") -Raw
            $examples = [regex]::Matches($markdown, '(?m)^### Example \d+').Count
            $examples | Should -BeGreaterThan 0
            $found.Examples | Should -Be $examples
            $found.ExamplesText | Should -Match 'Example 1:'
        }

        It 'Get-Help about_OpStatus finds the conceptual help, in a pwsh with no platyPS' {
            $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
            $text = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest' -ErrorAction Stop; Get-Help about_OpStatus | Out-String -Width 120" | Out-String

            $text | Should -Match 'SHORT DESCRIPTION'
            $text | Should -Match 'Reads the status of Azure asynchronous operations'
            $text | Should -Match 'ERROR TYPES TO CATCH'
        }

        It 'has no placeholder text in its help, markdown or built' {
            $files = @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'docs') -Recurse -File) + @(Get-ChildItem -LiteralPath (Join-Path $ModuleDir 'en-US') -File)
            $files.Count | Should -BeGreaterThan 4
            foreach ($file in $files) {
                $text = Get-Content -LiteralPath $file.FullName -Raw
                $text | Should -Not -Match '\{\{[^}]*\}\}' -Because "$($file.Name) is not a template"
                $text | Should -Not -Match 'Fill [^.\n]*Description' -Because "$($file.Name) is not a template"
                $text | Should -Not -Match '(?m)^### -ProgressAction' -Because "$($file.Name) documents only the module's parameters"
            }
        }

        It 'points to help that exists: every Get-Help topic named in the README, the help and the messages is shipped' {
            $named = @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'docs/en-US') -Filter '*.md') + @(Get-Item -LiteralPath (Join-Path $RepoRoot 'README.md')) +
                @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'src') -Recurse -Filter '*.cs') |
                ForEach-Object { [regex]::Matches((Get-Content -LiteralPath $_.FullName -Raw), 'Get-Help (about_\w+|[A-Z][a-z]+-\w+)') } |
                ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique
            $named | Should -Contain 'about_OpStatus'
            foreach ($topic in $named) {
                if ($topic -like 'about_*') {
                    Test-Path -LiteralPath (Join-Path $ModuleDir "en-US/$topic.help.txt") | Should -BeTrue -Because "$topic is named"
                }
                else {
                    $topic | Should -BeIn @($Manifest.CmdletsToExport) -Because "Get-Help $topic is named"
                }
            }
        }

        It 'carries what a gallery package needs: a LICENSE that matches the manifest, release notes of this version, the gallery''s tags, no placeholder' {
            $license = Join-Path $RepoRoot 'LICENSE'
            Test-Path -LiteralPath $license | Should -BeTrue
            (Get-Content -LiteralPath $license -TotalCount 1) | Should -Be 'MIT License'
            $Manifest.Copyright | Should -BeLike '*MIT License*'
            $data = $Manifest.PrivateData.PSData
            $data.LicenseUri | Should -BeLike '*/MIT'
            $data.ReleaseNotes | Should -BeLike "$($Manifest.ModuleVersion):*"
            foreach ($tag in 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS', 'Azure') {
                $data.Tags | Should -Contain $tag
            }

            (Get-Content -LiteralPath (Join-Path $RepoRoot 'OpStatus.psd1') -Raw) | Should -Not -Match 'example\.invalid|PLACEHOLDER'
            $tested = Test-ModuleManifest -Path $ModuleManifest -ErrorAction Stop -WarningVariable warnings
            $tested.Name | Should -Be 'OpStatus'
            $warnings | Should -BeNullOrEmpty
        }

        It 'lays out the help from docs/en-US in every build, byte for byte, and nothing else in en-US' {
            $helpDir = Join-Path $ModuleDir 'en-US'
            $stray = Join-Path $helpDir "stray-$([guid]::NewGuid().ToString('n')).txt"
            Set-Content -LiteralPath $stray -Value 'not the build''s'
            $project = Join-Path $RepoRoot 'src/OpStatus/OpStatus.csproj'
            $log = & dotnet msbuild $project -t:LayoutModule "-p:Configuration=$Configuration" -nologo -v:q 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($log -join "`n")

            Test-Path -LiteralPath $stray | Should -BeFalse
            (Get-ChildItem -LiteralPath $helpDir -File).Name | Sort-Object | Should -Be @('about_OpStatus.help.txt', 'OpStatus.dll-Help.xml')
            foreach ($name in 'OpStatus.dll-Help.xml', 'about_OpStatus.help.txt') {
                (Get-FileHash -LiteralPath (Join-Path $helpDir $name)).Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $RepoRoot "docs/en-US/$name")).Hash
            }

            Test-Path -LiteralPath $ModuleManifest | Should -BeTrue
        }
    }

    Context 'Reading a status' {
        It 'Get-CacheOperationStatus returns the scripted status' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{
                    id        = "/subscriptions/$SubscriptionId/providers/Microsoft.Cache/locations/westus/operationsStatus/$id"
                    name      = $id
                    status    = 'Succeeded'
                    startTime = '2025-03-01T10:00:00Z'
                    endTime   = '2025-03-01T10:05:30Z'
                })

            $status = Get-CacheOperationStatus @Arm -OperationId $id

            $status | Should -BeOfType 'OpStatus.OperationStatus'
            $status.Service | Should -Be 'Cache'
            $status.Name | Should -Be $id
            $status.Status | Should -Be 'Succeeded'
            $status.StartTime | Should -Be ([DateTimeOffset]'2025-03-01T10:00:00Z')
            $status.EndTime | Should -Be ([DateTimeOffset]'2025-03-01T10:05:30Z')
            $status.IsTerminal | Should -BeTrue
        }

        It 'Get-LogAnalyticsOperationStatus returns the scripted status' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{
                    id        = "/subscriptions/$SubscriptionId/providers/Microsoft.OperationalInsights/locations/westus/operationStatuses/$id"
                    name      = $id
                    status    = 'Succeeded'
                    startTime = '2025-03-02T08:00:00Z'
                    endTime   = '2025-03-02T08:01:00Z'
                })

            $status = Get-LogAnalyticsOperationStatus @Arm -AsyncOperationId $id

            $status | Should -BeOfType 'OpStatus.OperationStatus'
            $status.Service | Should -Be 'LogAnalytics'
            $status.Name | Should -Be $id
            $status.Status | Should -Be 'Succeeded'
            $status.StartTime | Should -Be ([DateTimeOffset]'2025-03-02T08:00:00Z')
            $status.EndTime | Should -Be ([DateTimeOffset]'2025-03-02T08:01:00Z')
        }

        It 'Get-DevCenterOperationStatus returns the scripted status, with its percent complete' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{
                    id              = "/projects/$ProjectName/operationstatuses/$id"
                    name            = $id
                    status          = 'Running'
                    startTime       = '2025-03-03T12:00:00Z'
                    percentComplete = 40
                })

            $status = Get-DevCenterOperationStatus -Endpoint $EmulatorUrl -ProjectName $ProjectName -OperationId $id

            $status | Should -BeOfType 'OpStatus.OperationStatus'
            $status.Service | Should -Be 'DevCenter'
            $status.Name | Should -Be $id
            $status.Status | Should -Be 'Running'
            $status.StartTime | Should -Be ([DateTimeOffset]'2025-03-03T12:00:00Z')
            $status.EndTime | Should -BeNullOrEmpty
            $status.PercentComplete | Should -Be 40
            $status.IsTerminal | Should -BeFalse
        }

        It 'exposes the error of a Failed operation (<Shape>)' -ForEach @(
            @{ Shape = 'error: {code, message}'; ErrorBody = @{ code = 'ScaleFailed'; message = 'The cache could not be scaled.' } }
            @{ Shape = 'error: {error: {code, message}}'; ErrorBody = @{ error = @{ code = 'ScaleFailed'; message = 'The cache could not be scaled.' } } }
        ) {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Failed'; error = $ErrorBody })

            $status = Get-CacheOperationStatus @Arm -OperationId $id

            $status.Status | Should -Be 'Failed'
            $status.IsTerminal | Should -BeTrue
            $status.Error.Code | Should -Be 'ScaleFailed'
            $status.Error.Message | Should -Be 'The cache could not be scaled.'
        }

        It 'shows the status in formatted output' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $status = Get-CacheOperationStatus @Arm -OperationId $id

            $text = $status | Format-Table | Out-String -Width 200

            $text | Should -Match 'Succeeded'
        }
    }

    Context 'The pipeline' {
        It 'returns the statuses of ids piped by value, in order' {
            $ids = 1..3 | ForEach-Object { New-OperationId }
            foreach ($id in $ids) {
                Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running' })
            }

            $statuses = $ids | Get-CacheOperationStatus @Arm

            @($statuses).Count | Should -Be 3
            ($statuses.Name -join ',') | Should -Be ($ids -join ',')
        }

        It 'binds SubscriptionId, Location and OperationId by property name, as from Import-Csv' {
            $rows = 1..2 | ForEach-Object {
                [pscustomobject]@{ SubscriptionId = $SubscriptionId; Location = 'westus'; OperationId = (New-OperationId) }
            }
            foreach ($row in $rows) {
                Set-EmulatorOperation $row.OperationId @(New-StatusStep @{ name = $row.OperationId; status = 'Succeeded' })
            }

            $statuses = $rows | Get-CacheOperationStatus -ResourceManagerEndpoint $EmulatorUrl

            ($statuses.Name -join ',') | Should -Be ($rows.OperationId -join ',')
            foreach ($row in $rows) {
                $request = @(Get-EmulatorRequest -OperationId $row.OperationId)
                $request.Count | Should -Be 1
                $request[0].rawTarget | Should -Match "/subscriptions/$SubscriptionId/providers/Microsoft\.Cache/locations/westus/"
            }
        }

        It 'filters with Where-Object Status -eq ''succeeded'', whatever the case' {
            $done = New-OperationId
            $running = New-OperationId
            Set-EmulatorOperation $done @(New-StatusStep @{ name = $done; status = 'Succeeded' })
            Set-EmulatorOperation $running @(New-StatusStep @{ name = $running; status = 'Running' })

            $finished = @($done, $running | Get-CacheOperationStatus @Arm | Where-Object Status -EQ 'succeeded')

            $finished.Count | Should -Be 1
            $finished[0].Name | Should -Be $done
        }
    }

    Context 'Errors' {
        It 'writes a non-terminating error for an unknown id, and the next piped id still returns' {
            $missing = New-OperationId
            $present = New-OperationId
            Set-EmulatorOperation $present @(New-StatusStep @{ name = $present; status = 'Succeeded' })

            $statuses = @($missing, $present | Get-CacheOperationStatus @Arm -ErrorAction SilentlyContinue -ErrorVariable errors)

            $statuses.Count | Should -Be 1
            $statuses[0].Name | Should -Be $present
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'GetCacheOperationStatusCommandHttp404.OperationNotFound,OpStatus.Commands.GetCacheOperationStatusCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errors[0].TargetObject | Should -Be $missing
        }

        It 'stops a runbook at -ErrorAction Stop, and try/catch catches it' {
            $id = New-OperationId
            $reachedNextLine = $false
            $caught = $null

            try {
                $null = Get-CacheOperationStatus @Arm -OperationId $id -ErrorAction Stop
                $reachedNextLine = $true
            }
            catch {
                $caught = $_
            }

            $reachedNextLine | Should -BeFalse
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -Be 'GetCacheOperationStatusCommandHttp404.OperationNotFound,OpStatus.Commands.GetCacheOperationStatusCommand'
            $caught.Exception.GetType().FullName | Should -Be 'OpStatus.OperationStatusException'
            $caught.Exception.StatusCode | Should -Be 404
            $caught.Exception.ErrorCode | Should -Be 'OperationNotFound'
        }

        It 'refuses an invalid Dev Center project name before sending anything' {
            $id = New-OperationId

            $result = Get-DevCenterOperationStatus -Endpoint $EmulatorUrl -ProjectName 'ab' -OperationId $id -ErrorAction SilentlyContinue -ErrorVariable errors

            $result | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'GetDevCenterOperationStatusCommandInvalidProjectName,OpStatus.Commands.GetDevCenterOperationStatusCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-EmulatorRequest -OperationId $id).Count | Should -Be 0
        }
    }

    Context 'The request sent' {
        It 'turns -Location ''West US'' into /locations/westus/' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })

            $null = Get-CacheOperationStatus -SubscriptionId $SubscriptionId -Location 'West US' -OperationId $id -ResourceManagerEndpoint $EmulatorUrl

            $request = @(Get-EmulatorRequest -OperationId $id)
            $request.Count | Should -Be 1
            $request[0].service | Should -Be 'Cache'
            $request[0].rawTarget | Should -MatchExactly '/locations/westus/'
        }

        It 'escapes an operation id so that it cannot change the path' {
            # '/', '?' and '#' would otherwise start another segment, the query and the fragment.
            $guid = New-OperationId
            $id = "../${guid}?y#z"

            $null = Get-CacheOperationStatus @Arm -OperationId $id -ErrorAction SilentlyContinue

            $request = @(Get-EmulatorRequest -OperationId $id)
            $request.Count | Should -Be 1
            $request[0].rawTarget | Should -MatchExactly ([regex]::Escape("/operationsStatus/..%2F${guid}%3Fy%23z?api-version="))
        }

        It 'sends the default api-version, or the one given with -ApiVersion' {
            $default = New-OperationId
            $chosen = New-OperationId
            Set-EmulatorOperation $default @(New-StatusStep @{ name = $default; status = 'Succeeded' })
            Set-EmulatorOperation $chosen @(New-StatusStep @{ name = $chosen; status = 'Succeeded' })

            $null = Get-CacheOperationStatus @Arm -OperationId $default
            $null = Get-CacheOperationStatus @Arm -OperationId $chosen -ApiVersion '2025-07-01'

            @(Get-EmulatorRequest -OperationId $default)[0].apiVersion | Should -Be '2024-10-01'
            @(Get-EmulatorRequest -OperationId $chosen)[0].apiVersion | Should -Be '2025-07-01'
        }
    }

    Context 'Signing in' {
        It 'signs in with the managed identity of the environment (IDENTITY_ENDPOINT, IDENTITY_HEADER)' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running'; percentComplete = 10 })

            $null = Get-DevCenterOperationStatus -Endpoint $EmulatorUrl -ProjectName $ProjectName -OperationId $id

            @(Get-EmulatorRequest -OperationId $id)[0].authorized | Should -BeTrue
            $resources = @(Get-EmulatorTokenRequest | ForEach-Object { "$($_.resource)".TrimEnd('/') })
            $resources | Should -Contain 'https://devcenter.azure.com'
        }

        It 'takes -AccessToken as a SecureString' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $token = ConvertTo-SecureString -String (New-EmulatorToken -Audience $EmulatorOrigin) -AsPlainText -Force

            $status = Get-CacheOperationStatus @Arm -OperationId $id -AccessToken $token

            $status.Status | Should -Be 'Succeeded'
            @(Get-EmulatorRequest -OperationId $id)[0].authorized | Should -BeTrue
        }

        It 'takes -AccessToken as a plain string' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running'; percentComplete = 75 })
            $token = New-EmulatorToken -Audience 'https://devcenter.azure.com'

            $status = Get-DevCenterOperationStatus -Endpoint $EmulatorUrl -ProjectName $ProjectName -OperationId $id -AccessToken $token

            $status.PercentComplete | Should -Be 75
            @(Get-EmulatorRequest -OperationId $id)[0].authorized | Should -BeTrue
        }

        It 'takes -AccessToken as the object Get-AzAccessToken returns' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            # Get-AzAccessToken (Az.Accounts 4 and later) returns an object whose Token is a SecureString.
            $azToken = [pscustomobject]@{
                Token     = ConvertTo-SecureString -String (New-EmulatorToken -Audience $EmulatorOrigin) -AsPlainText -Force
                ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1)
                Type      = 'Bearer'
            }

            $status = Get-LogAnalyticsOperationStatus @Arm -AsyncOperationId $id -AccessToken $azToken

            $status.Status | Should -Be 'Succeeded'
            @(Get-EmulatorRequest -OperationId $id)[0].authorized | Should -BeTrue
        }

        It 'refuses an -AccessToken value that is not a token' {
            { Get-CacheOperationStatus @Arm -OperationId (New-OperationId) -AccessToken 12345 } |
                Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        }

        It 'reports a token for the wrong audience as an authentication error' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $token = New-EmulatorToken -Audience 'https://devcenter.azure.com'

            $result = Get-CacheOperationStatus @Arm -OperationId $id -AccessToken $token -ErrorAction SilentlyContinue -ErrorVariable errors

            $result | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'GetCacheOperationStatusCommandHttp401.InvalidAuthenticationTokenAudience,OpStatus.Commands.GetCacheOperationStatusCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            "$($errors[0])".Contains($token) | Should -BeFalse
        }
    }

    Context 'Wait-OperationStatus' {
        BeforeAll {
            # A 200 step whose body is a status that is not final, and that asks for the next poll after
            # a few milliseconds (retry-after-ms), so that a wait takes a fraction of a second.
            function New-PollStep([string] $OperationId, [string] $Status, [int] $RetryAfterMs = 50, [hashtable] $More = @{}) {
                $body = @{ name = $OperationId; status = $Status } + $More
                @{ status = 200; body = $body; headers = @{ 'retry-after-ms' = "$RetryAfterMs" } }
            }
        }

        It 'reads the resource once an operation started with Invoke-WebRequest succeeds, and -NoResource skips it' {
            $name = 'c' + (New-OperationId).Substring(0, 8)
            $cluster = "${EmulatorUrl}subscriptions/$(New-OperationId)/resourceGroups/rg/providers/Microsoft.Cache/redisEnterprise/$name`?api-version=2024-10-01"
            $headers = @{ Authorization = "Bearer $(New-EmulatorToken -Audience $EmulatorOrigin)" }

            $response = Invoke-WebRequest -Method Put -Uri $cluster -Headers $headers -Body '{}' -ContentType 'application/json'
            $final = $response | Wait-OperationStatus -ResourceManagerEndpoint $EmulatorUrl -ErrorAction Stop
            $final.Status | Should -Be 'Succeeded'
            $final.Resource.name | Should -Be $name
            $final.Resource.properties.hostName | Should -Be "$name.westus.redis.azure.net"

            $again = Invoke-WebRequest -Method Put -Uri $cluster -Headers $headers -Body '{}' -ContentType 'application/json' |
                Wait-OperationStatus -ResourceManagerEndpoint $EmulatorUrl -NoResource -ErrorAction Stop
            $again.Resource | Should -BeNullOrEmpty
        }

        It 'finds a dev center by name through Resource Graph and reads the status there' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $devCenter = 'dc-' + $id.Substring(0, 8)
            $null = Invoke-EmulatorApi -Method Put -Path '/_emulator/devcenters' -Body @{ devCenter = $devCenter; project = $ProjectName; uri = $EmulatorOrigin }

            $status = Get-DevCenterOperationStatus -DevCenterName $devCenter -ProjectName $ProjectName -OperationId $id -ResourceManagerEndpoint $EmulatorUrl -ErrorAction Stop
            $status.Status | Should -Be 'Succeeded'
            $status.Service | Should -Be 'DevCenter'

            { Get-DevCenterOperationStatus -DevCenterName 'no-such-dc' -ProjectName $ProjectName -OperationId $id -ResourceManagerEndpoint $EmulatorUrl -ErrorAction Stop } |
                Should -Throw -ErrorId 'GetDevCenterOperationStatusCommandHttp404.DevCenterNotFound,OpStatus.Commands.GetDevCenterOperationStatusCommand'
        }

        It 'waits through NotStarted and Running until the operation succeeds, at the pace of retry-after-ms' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(
                New-PollStep $id 'NotStarted'
                New-PollStep $id 'Running' -More @{ percentComplete = 60 }
                New-StatusStep @{ name = $id; status = 'Succeeded'; percentComplete = 100; endTime = '2025-03-04T10:00:00Z' }
            )

            $final = @(Get-DevCenterOperationStatus -Endpoint $EmulatorUrl -ProjectName $ProjectName -OperationId $id |
                    Wait-OperationStatus -ErrorAction Stop)

            $final.Count | Should -Be 1
            $final[0] | Should -BeOfType 'OpStatus.OperationStatus'
            $final[0].Service | Should -Be 'DevCenter'
            $final[0].Name | Should -Be $id
            $final[0].Status | Should -Be 'Succeeded'
            $final[0].PercentComplete | Should -Be 100
            $final[0].IsTerminal | Should -BeTrue

            # Get read NotStarted; the wait read Running, then Succeeded, and stopped there.
            $requests = @(Get-EmulatorRequest -OperationId $id)
            $requests.Count | Should -Be 3
            foreach ($request in $requests) {
                $request.authorized | Should -BeTrue
            }

            # retry-after-ms 50 set the pace of the wait's polls; without it, they would come a second apart.
            $gap = ([DateTimeOffset]$requests[2].time - [DateTimeOffset]$requests[1].time).TotalMilliseconds
            $gap | Should -BeLessThan 900
        }

        It 'stops a runbook at -ErrorAction Stop when the operation fails, with its code and final status' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(
                New-PollStep $id 'Running'
                New-StatusStep @{ name = $id; status = 'Failed'; error = @{ code = 'QuotaExceeded'; message = 'Not enough cores.' } }
            )
            $reachedNextLine = $false
            $caught = $null

            try {
                $null = Get-CacheOperationStatus @Arm -OperationId $id | Wait-OperationStatus -ErrorAction Stop
                $reachedNextLine = $true
            }
            catch {
                $caught = $_
            }

            $reachedNextLine | Should -BeFalse
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -BeLike 'WaitOperationStatusCommandOperationFailed*'
            $caught.FullyQualifiedErrorId | Should -Be 'WaitOperationStatusCommandOperationFailed.QuotaExceeded,OpStatus.Commands.WaitOperationStatusCommand'
            $caught.CategoryInfo.Category | Should -Be 'InvalidResult'
            $caught.Exception.GetType().FullName | Should -Be 'OpStatus.OperationFailedException'
            $caught.Exception.ErrorCode | Should -Be 'QuotaExceeded'
            $caught.Exception.RequestId | Should -Not -BeNullOrEmpty
            $caught.Exception.Status.Status | Should -Be 'Failed'
            $caught.Exception.Status.Error.Message | Should -Be 'Not enough cores.'
        }

        It 'gives up at -Timeout 1 with a WaitOperationStatusCommandTimeout error that carries the last status' {
            $id = New-OperationId
            # One step, and the last step repeats: the operation never ends.
            Set-EmulatorOperation $id @(New-PollStep $id 'Running' -RetryAfterMs 100)
            $clock = [System.Diagnostics.Stopwatch]::StartNew()

            $final = Get-CacheOperationStatus @Arm -OperationId $id |
                Wait-OperationStatus -Timeout 1 -ErrorAction SilentlyContinue -ErrorVariable errors
            $clock.Stop()

            $final | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            $errors[0].Exception | Should -BeOfType 'System.TimeoutException'
            $errors[0].TargetObject | Should -BeOfType 'OpStatus.OperationStatus'
            $errors[0].TargetObject.Name | Should -Be $id
            $errors[0].TargetObject.Status | Should -Be 'Running'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 20
        }

        It 'waits on an async-operation URL of the -ResourceManagerEndpoint host' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(
                New-PollStep $id 'InProgress'
                New-StatusStep @{ name = $id; status = 'Succeeded' }
            )
            $uri = "${EmulatorUrl}subscriptions/$SubscriptionId/providers/Microsoft.Cache/locations/westus/operationsStatus/${id}?api-version=2024-10-01"

            $final = @(Wait-OperationStatus -Uri $uri -ResourceManagerEndpoint $EmulatorUrl -ErrorAction Stop)

            $final.Count | Should -Be 1
            # A Cache status URL is recognised as such, whichever host serves it.
            $final[0].Service | Should -Be 'Cache'
            $final[0].OperationId | Should -Be $id
            $final[0].Status | Should -Be 'Succeeded'
            $requests = @(Get-EmulatorRequest -OperationId $id)
            $requests.Count | Should -Be 2
            foreach ($request in $requests) {
                $request.authorized | Should -BeTrue
            }
        }

        It 'refuses -Uri <Case> before any request or token' -ForEach @(
            @{ Case = 'on a foreign host'; Template = 'https://management.example.com/subscriptions/{0}/providers/Microsoft.Cache/locations/westus/operationsStatus/{1}?api-version=2024-10-01' }
            @{ Case = 'on the emulator without -ResourceManagerEndpoint'; Template = '{2}subscriptions/{0}/providers/Microsoft.Cache/locations/westus/operationsStatus/{1}?api-version=2024-10-01' }
        ) {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $uri = $Template -f $SubscriptionId, $id, $EmulatorUrl
            $tokensBefore = @(Get-EmulatorTokenRequest).Count

            $result = Wait-OperationStatus -Uri $uri -ErrorAction SilentlyContinue -ErrorVariable errors

            $result | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'WaitOperationStatusCommandUntrustedUri,OpStatus.Commands.WaitOperationStatusCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-EmulatorRequest -OperationId $id).Count | Should -Be 0
            @(Get-EmulatorTokenRequest).Count | Should -Be $tokensBefore
        }
    }

    Context 'Views and export' {
        It 'never shows a percent above 100 in the table, the list or verbose, and keeps the raw value' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running'; percentComplete = 250 })

            $status = Get-CacheOperationStatus @Arm -OperationId $id
            $status.PercentComplete | Should -Be 250
            ($status | Format-Table | Out-String -Width 80) | Should -Match 'Running\s+100\s'
            ($status | Format-List | Out-String -Width 80) | Should -Match 'PercentComplete\s+: 100\r?\n'
        }

        It 'shows list-view times with their offset' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded'; startTime = '2026-11-30T10:00:00Z'; endTime = '2026-11-30T10:05:00Z' })

            $text = Get-CacheOperationStatus @Arm -OperationId $id | Format-List | Out-String -Width 120
            $offset = [DateTimeOffset]::Parse('2026-11-30T10:00:00Z').ToLocalTime().ToString('zzz')
            $text | Should -Match "StartTime\s+: .*$([regex]::Escape($offset))"
        }

        It 'keeps one time rule in a real pwsh of another time zone: local, with its offset, in the table, the list and Format-List *' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded'; startTime = '2026-11-30T10:00:00Z'; endTime = '2026-11-30T10:05:00Z' })

            # .NET reads the time zone when a process starts: a child pwsh in Tokyo (UTC+9, no daylight saving).
            $script = @'
param($Manifest, $Url, $Id)
Import-Module $Manifest
$s = Get-CacheOperationStatus -ResourceManagerEndpoint $Url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $Id
($s | Format-Table | Out-String -Width 80)
($s | Format-List * | Out-String -Width 120)
'@
            $file = Join-Path ([System.IO.Path]::GetTempPath()) "opstatus-tz-$id.ps1"
            Set-Content -LiteralPath $file -Value $script
            $saved = $env:TZ
            try {
                $env:TZ = 'Asia/Tokyo'
                $text = (& $Pwsh -NoProfile -NonInteractive -File $file $ModuleManifest $EmulatorUrl $id 2>&1) -join "`n"
            }
            finally {
                $env:TZ = $saved
                Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue
            }

            # 10:00 UTC is 19:00 in Tokyo: in the table, and in every time of Format-List *, with +09:00.
            $text | Should -Match '2026-11-30 19:00'
            $text | Should -Match 'StartTime\s+: .*19:00:00 \+09:00'
            $text | Should -Match 'RetrievedAt\s+: .*\+09:00'
            $text | Should -Not -Match '\+00:00'
        }

        It 'shows whole ids and the service with Format-Table -View Ids, within 80 columns' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running' })

            $lines = @(Get-CacheOperationStatus @Arm -OperationId $id | Format-Table -View Ids | Out-String -Width 80) -split "`n"
            $row = $lines | Where-Object { $_ -match [regex]::Escape($id) }
            $row | Should -Match "^Cache\s+$([regex]::Escape($id))\s+Running"
            ($lines | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
        }

        It 'exports Properties and AdditionalProperties to CSV as JSON text' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Running'; properties = @{ sku = 'E10'; shards = 2 }; region = @{ name = 'westus' } })

            $row = Get-CacheOperationStatus @Arm -OperationId $id | ConvertTo-Csv | ConvertFrom-Csv
            ($row.Properties | ConvertFrom-Json).sku | Should -Be 'E10'
            ($row.AdditionalProperties | ConvertFrom-Json).region.name | Should -Be 'westus'
        }
    }

    Context 'README examples' {
        BeforeAll {
            # What a command wrote, with what changes from run to run made the same.
            function ConvertTo-ComparableText([string] $Text) {
                $text = $Text -replace '\r', ''
                $text = $text -replace '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<guid>'
                # A GUID cut to fit a table column.
                $text = $text -replace '\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{2}…', '<guid>…'
                $text = $text -replace '\d{4}-\d{2}-\d{2} \d{2}:\d{2}', '<yyyy-MM-dd HH:mm>'
                $text = $text -replace '\b\d{2}:\d{2}:\d{2}(\.\d+)?\b', '<hh:mm:ss>'
                $text = $text -replace 'https://127\.0\.0\.1:\d+', 'https://127.0.0.1:<port>'
                $lines = @($text -split "`n" | ForEach-Object { $_.TrimEnd() })
                # Blank lines around tables differ between a prompt and a captured run: runs of them count as one.
                (($lines -join "`n") -replace '\n{3,}', "`n`n").Trim("`n")
            }

            $examplesFolder = Join-Path ([System.IO.Path]::GetTempPath()) "opstatus-examples-$([guid]::NewGuid().ToString('n'))"
            $resultFile = Join-Path $examplesFolder 'results.json'
            $null = New-Item -ItemType Directory -Path $examplesFolder -Force
            $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
            # A pwsh of its own, as a user's shell: the examples change variables and default parameter values.
            $log = & $pwsh -NoProfile -NonInteractive -OutputFormat Text -File (Join-Path $RepoRoot 'tests/Examples.ps1') `
                -Path (Join-Path $RepoRoot 'README.md') -EmulatorUrl $EmulatorUrl -Folder $examplesFolder -ResultFile $resultFile 2>&1
            if (-not (Test-Path -LiteralPath $resultFile)) {
                throw "The README examples did not run: $($log -join "`n")"
            }

            $ExampleResults = @(Get-Content -LiteralPath $resultFile -Raw | ConvertFrom-Json)
        }

        AfterAll {
            if ($examplesFolder) {
                Remove-Item -LiteralPath $examplesFolder -Recurse -Force -ErrorAction SilentlyContinue
            }
        }

        It './build.ps1 -Try opens a shell where the tour runs, and stops its emulator when the shell exits' {
            $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
            $typed = @(
                'Get-CacheOperationStatus -SubscriptionId $sub -Location ''West US'' -OperationId testoperationid | ForEach-Object { "status=$($_.Status)" }'
                '"ops.csv rows=$(@(Import-Csv ops.csv).Count)"'
                '"cert=$([bool]$env:SSL_CERT_FILE) identity=$([bool]$env:IDENTITY_ENDPOINT)"'
                'exit'
            ) -join "`n"
            $output = ($typed | & $pwsh -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Try -Configuration $Configuration 2>&1) -join "`n"

            $LASTEXITCODE | Should -Be 0 -Because $output
            $output | Should -Match 'status=Succeeded'
            $output | Should -Match 'ops\.csv rows=2'
            $output | Should -Match 'cert=True identity=True'
            $output | Should -Match 'the emulator has stopped'
        }

        It 'README example at <Name> runs offline and writes what it shows, or is marked as needing Azure' -ForEach $ReadmeExamples {
            $Kind | Should -Not -Be 'Unmarked' -Because 'every PowerShell example says how it can be tried: put <!-- example: offline --> or <!-- example: needs Azure --> on the line before it'
            if ($Kind -eq 'NeedsAzure') {
                Set-ItResult -Skipped -Because 'it needs a real Azure tenant'
                return
            }

            $ran = @($ExampleResults | Where-Object Name -EQ $Name)
            $ran.Count | Should -BeGreaterThan 0
            foreach ($command in $ran) {
                if ($null -eq $command.Expected) {
                    @($command.Errors) | Should -BeNullOrEmpty -Because "``$($command.Code)`` shows no output and must run without an error"
                }
                else {
                    ConvertTo-ComparableText $command.Actual | Should -BeExactly (ConvertTo-ComparableText $command.Expected) -Because "``$($command.Code)`` writes what the README shows"
                }
            }
        }
    }

    Context 'Secrets' {
        BeforeAll {
            # Everything a user could see of a call: objects as Format-List shows them, and stream messages.
            function ConvertTo-VisibleText([object[]] $Captured) {
                $parts = foreach ($item in $Captured) {
                    if ($item -is [System.Management.Automation.InformationalRecord]) {
                        $item.Message
                    }
                    elseif ($item -is [System.Management.Automation.ErrorRecord]) {
                        $item | Out-String -Width 500
                        $item.Exception.ToString()
                    }
                    else {
                        $item | Format-List -Property * | Out-String -Width 500
                    }
                }

                $parts -join "`n"
            }
        }

        It 'never shows the token in output, verbose or debug messages' {
            $id = New-OperationId
            Set-EmulatorOperation $id @(New-StatusStep @{ name = $id; status = 'Succeeded' })
            $token = New-EmulatorToken -Audience $EmulatorOrigin

            # $DebugPreference rather than -Debug, which may ask for confirmation at every debug message.
            $captured = @(& { $DebugPreference = 'Continue'; Get-CacheOperationStatus @Arm -OperationId $id -AccessToken $token -Verbose } 4>&1 5>&1)

            $verbose = @($captured | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $debug = @($captured | Where-Object { $_ -is [System.Management.Automation.DebugRecord] })
            @($captured | Where-Object { $_ -is [OpStatus.OperationStatus] }).Count | Should -Be 1
            $verbose.Count | Should -BeGreaterThan 0
            $debug.Count | Should -BeGreaterThan 0
            # The Authorization header is listed, its value is not.
            ($debug.Message -join "`n") | Should -Match 'Authorization: REDACTED'
            (ConvertTo-VisibleText $captured).Contains($token) | Should -BeFalse
        }

        It 'never shows the token in the error of a failed call' {
            $id = New-OperationId
            $token = New-EmulatorToken -Audience $EmulatorOrigin

            $captured = @(& { $DebugPreference = 'Continue'; Get-CacheOperationStatus @Arm -OperationId $id -AccessToken $token -Verbose -ErrorAction Continue } 2>&1 4>&1 5>&1)

            @($captured | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 1
            (ConvertTo-VisibleText $captured).Contains($token) | Should -BeFalse
        }
    }
    # Last: its wait started with the suite and has run while the other tests did (see the BeforeAll above).
    Context 'Unattended waits' {
        It 'writes timestamped signs of life to a CI job''s log while it waits, a bounded number, then fails after every operation has its outcome' {
            $null = $CiWait.Reader | Wait-Job -Timeout 150
            $ids = $CiWait.Ids
            foreach ($run in $CiWait.Runs) {
                $run.Process.HasExited | Should -BeTrue -Because 'the wait ends on its own'
                $run.Process.WaitForExit()
                $run.Process.ExitCode | Should -Not -Be 0 -Because 'one operation failed and one timed out'
                # Every operation's outcome is in the log: the final statuses, the failure and the timeout. The error view
                # wraps messages at the console width, each line after a '|': read them whole.
                $all = (((Read-SharedText $run.Log) + (Read-SharedText $run.Err)) -replace '\x1b\[[0-9;]*[A-Za-z]', '') -replace '\r?\n\s*\|\s?', ' '
                $all | Should -Match ([regex]::Escape($ids.Done))
                $all | Should -Match 'Succeeded'
                $all | Should -Match 'QuotaExceeded'
                $all | Should -Match ([regex]::Escape($ids.Endless))
                $all | Should -Match 'did not end within 70 s'
                $all | Should -Match '2 of the operations did not succeed'

                $stampOf = { [DateTime]::ParseExact(($_ -split ' ')[1], 'yyyy-MM-ddTHH:mm:ssZ', [cultureinfo]::InvariantCulture, 'AdjustToUniversal') }
                $beats = @($run.Seen.Keys | Where-Object { $_ -cmatch '^WARNING: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (Waiting|Done waiting): ' } | Sort-Object -Property $stampOf)
                if ($run.Quiet) {
                    $beats | Should -BeNullOrEmpty -Because '-WarningAction SilentlyContinue turns them off'
                    continue
                }

                $waiting = @($beats | Where-Object { $_ -cmatch 'Z Waiting: ' })
                $waiting.Count | Should -Be 2 -Because "a line at 30 s and at 60 s of a wait of about 71 s: $($beats -join ' | ')"
                $beats[-1] | Should -Match 'Done waiting: 2 of 3 done \(1 failed\), 1 timed out, 00:01:[01]\d waited$'
                $exited = $run.Process.ExitTime.ToUniversalTime()
                foreach ($line in $waiting) {
                    # In the log while the wait went on, with the time it was written.
                    ($exited - $run.Seen[$line]).TotalSeconds | Should -BeGreaterThan 1
                    [Math]::Abs(($run.Seen[$line] - ($line | ForEach-Object $stampOf)).TotalSeconds) | Should -BeLessThan 5
                }

                ($run.Seen[$waiting[0]] - $run.Started).TotalSeconds | Should -BeLessThan 45 -Because 'the first line comes about 30 s into the wait'
                ($exited - $run.Seen[$waiting[0]]).TotalSeconds | Should -BeGreaterThan 15 -Because 'it came during the wait, not at its end'
            }
        }

        It 'records a few progress records in a job, the overall one only, where it wrote two a second' {
            $id = New-OperationId
            Set-TimedOperation $id 10000
            $job = Start-Job -ScriptBlock {
                param($Manifest, $Url, $Subscription, $Id)
                Import-Module $Manifest
                Get-CacheOperationStatus -ResourceManagerEndpoint $Url -SubscriptionId $Subscription -Location westus -OperationId $Id |
                    Wait-OperationStatus -ResourceManagerEndpoint $Url
            } -ArgumentList $ModuleManifest, $EmulatorUrl, $SubscriptionId, $id
            try {
                $null = $job | Wait-Job -Timeout 60
                $final = @($job | Receive-Job)
                $records = @($job.ChildJobs[0].Progress)

                $final.Status | Should -Be 'Succeeded'
                $records.Count | Should -BeLessOrEqual 4 -Because "a wait of about 11 s records the overall state when it changes, at most every 5 s ($($records.Count) records: $(($records | ForEach-Object StatusDescription) -join ' | '))"
                $records | ForEach-Object { $_.ActivityId | Should -Be 1 }
                $records[-1].RecordType | Should -Be 'Completed'
            }
            finally {
                $job | Remove-Job -Force
            }
        }

        It 'resumes in a new process from statuses saved as <Format>, with the same rules for where tokens go' -ForEach @(
            @{ Format = 'Clixml'; Save = '$s | Export-Clixml -LiteralPath $path'; Load = 'Import-Clixml -LiteralPath $path' }
            @{ Format = 'JSON'; Save = '$s | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $path'; Load = 'Get-Content -LiteralPath $path -Raw | ConvertFrom-Json' }
            @{ Format = 'CSV'; Save = '$s | Export-Csv -LiteralPath $path -NoTypeInformation'; Load = 'Import-Csv -LiteralPath $path' }
            @{ Format = 'URLs'; Save = '$s.Uri.AbsoluteUri | Set-Content -LiteralPath $path'; Load = 'Get-Content -LiteralPath $path' }
        ) {
            $ids = @((New-OperationId), (New-OperationId))
            foreach ($id in $ids) {
                Set-TimedOperation $id 3000
            }

            $path = Join-Path ([System.IO.Path]::GetTempPath()) "opstatus-pending-$([guid]::NewGuid().ToString('n'))"
            try {
                # The first process reads the running operations and saves them, as a runbook does before it waits.
                $first = "Import-Module '$ModuleManifest'; `$path = '$path'; `$s = '$($ids -join "','")' | Get-CacheOperationStatus -ResourceManagerEndpoint '$EmulatorUrl' -SubscriptionId '$SubscriptionId' -Location westus; `$s.Status; $Save"
                $read = & $Pwsh -NoProfile -NonInteractive -Command $first
                $read | Should -Be @('Running', 'Running')

                # The second, a new process (a restarted job), waits on what was saved.
                $second = "Import-Module '$ModuleManifest'; `$path = '$path'; $Load | Wait-OperationStatus -ResourceManagerEndpoint '$EmulatorUrl' | ForEach-Object { `$_.OperationId + '=' + `$_.Status }"
                $waited = & $Pwsh -NoProfile -NonInteractive -Command $second 2>&1
                @($waited | ForEach-Object { "$_" -replace '\x1b\[[0-9;]*[A-Za-z]', '' } | Sort-Object) | Should -Be @($ids | ForEach-Object { "$_=Succeeded" } | Sort-Object)

                # Without the emulator's address, its host is no known cloud's: refused before any token is asked for.
                $refused = & $Pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; `$path = '$path'; $Load | Wait-OperationStatus -ErrorAction SilentlyContinue -ErrorVariable e; `$e | ForEach-Object { `$_.FullyQualifiedErrorId }"
                @($refused) | Should -Be @('WaitOperationStatusCommandUntrustedUri,OpStatus.Commands.WaitOperationStatusCommand', 'WaitOperationStatusCommandUntrustedUri,OpStatus.Commands.WaitOperationStatusCommand')
            }
            finally {
                Remove-Item -LiteralPath $path -ErrorAction SilentlyContinue
            }
        }
    }
}
