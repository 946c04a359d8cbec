<#
    The PowerShell examples of a markdown file, and a run of them as a user would type them.

    Every ```powershell block must have a marker on the line just before it:
        <!-- example: offline -->                     runs in the try-out session (tests/TryOut.ps1)
        <!-- example: offline, repository root -->    the same, from the repository root
        <!-- example: needs Azure -->                 needs a real tenant; not run
    A block whose commands start with "PS> " (continued with ">> ") has each command's output below
    it; a block without prompts may be followed by a ```text block with its output. Shown output is
    compared with what the run wrote, at 80 columns, with times, durations and GUIDs normalised; a
    block with no shown output must run without an error.

        ./tests/Examples.ps1 -Path README.md -List
            the blocks, without running them
        ./tests/Examples.ps1 -Path README.md -EmulatorUrl <url> -Folder <dir> -ResultFile <json>
            runs the offline blocks in order, in one session, and writes what each wrote
    The run needs what ./build.ps1 -Try gives a shell: the emulator's certificate trusted, IDENTITY_*
    set and the module built.
#>
[CmdletBinding(DefaultParameterSetName = 'List')]
param(
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(ParameterSetName = 'List')] [switch] $List,
    [Parameter(Mandatory, ParameterSetName = 'Run')] [string] $EmulatorUrl,
    [Parameter(Mandatory, ParameterSetName = 'Run')] [string] $Folder,
    [Parameter(Mandatory, ParameterSetName = 'Run')] [string] $ResultFile
)

function Get-ExampleBlock([string] $File) {
    $lines = @(Get-Content -LiteralPath $File)
    $name = Split-Path -Leaf $File
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -ne '```powershell') {
            continue
        }

        $start = $i
        $code = [System.Collections.Generic.List[string]]::new()
        for ($i++; $i -lt $lines.Count -and $lines[$i] -ne '```'; $i++) {
            $code.Add($lines[$i])
        }

        $marker = if ($start -gt 0 -and $lines[$start - 1] -match '^<!-- example: (.+) -->$') { $Matches[1] } else { $null }
        $kind = switch ($marker) {
            'offline' { 'Offline' }
            'offline, repository root' { 'OfflineFromRoot' }
            'needs Azure' { 'NeedsAzure' }
            default { 'Unmarked' }
        }

        # A ```text block right after (a blank line between allowed) is the block's output.
        $shown = $null
        $next = $i + 1
        while ($next -lt $lines.Count -and $lines[$next] -eq '') {
            $next++
        }
        if ($next -lt $lines.Count -and $lines[$next] -eq '```text') {
            $shown = [System.Collections.Generic.List[string]]::new()
            for ($next++; $next -lt $lines.Count -and $lines[$next] -ne '```'; $next++) {
                $shown.Add($lines[$next])
            }
        }

        [pscustomobject]@{
            Name     = "${name}:$($start + 1)"
            Kind     = $kind
            Commands = @(Split-Command -Code $code -Shown $shown)
        }
    }
}

# The commands of a block: each with its code and the output shown for it ($null: none shown).
function Split-Command([string[]] $Code, [string[]] $Shown) {
    if (-not ($Code | Where-Object { $_ -like 'PS> *' })) {
        return [pscustomobject]@{ Code = $Code -join "`n"; Expected = $(if ($null -ne $Shown) { $Shown -join "`n" }) }
    }

    $current = $null
    foreach ($line in $Code) {
        if ($line -like 'PS> *') {
            if ($current) {
                $current
            }
            $current = [pscustomobject]@{ Code = $line.Substring(4); Expected = '' }
        }
        elseif ($line -like '>> *' -and $current.Expected -eq '') {
            $current.Code += "`n" + $line.Substring(3)
        }
        else {
            $current.Expected += $line + "`n"
        }
    }
    $current
}

$blocks = @(Get-ExampleBlock -File $Path)
if ($List) {
    return $blocks
}

$ErrorActionPreference = 'Continue'
$repoRoot = Split-Path -Parent $PSScriptRoot
Import-Module -Name (Join-Path $repoRoot 'out/OpStatus/OpStatus.psd1') -ErrorAction Stop
. (Join-Path $PSScriptRoot 'TryOut.ps1') -EmulatorUrl $EmulatorUrl -Folder $Folder
Set-Location -LiteralPath $Folder

# The examples run in this scope, as typed at a prompt: the loop's own names start with __ so that
# an example's variables ($op, $r, $url, ...) cannot overwrite them.
$__results = foreach ($__block in $blocks | Where-Object Kind -like 'Offline*') {
    if ($__block.Kind -eq 'OfflineFromRoot') {
        Push-Location -LiteralPath $repoRoot
    }

    foreach ($__command in $__block.Commands) {
        $__items = @()
        try {
            $__items = @(. ([scriptblock]::Create($__command.Code)) 2>&1 3>&1)
        }
        catch {
            $__items += $_
        }

        [pscustomobject]@{
            Name     = $__block.Name
            Code     = $__command.Code
            Expected = $__command.Expected
            Actual   = ($__items | Out-String -Width 80)
            Errors   = @($__items | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.ToString() })
        }
    }

    if ($__block.Kind -eq 'OfflineFromRoot') {
        Pop-Location
    }
}

ConvertTo-Json -InputObject @($__results) -Depth 5 | Set-Content -LiteralPath $ResultFile -Encoding utf8
