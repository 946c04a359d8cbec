# One way of reading (or waiting on) many operations, timed in a real pwsh; bench/OpStatus.Bench runs it.
# Prints one line: seconds, statuses written, errors. With -Report, also the session's read-limit report.
param(
    [Parameter(Mandatory)] [ValidateSet('opstatus-piped', 'opstatus-calls', 'irm-parallel', 'irm-loop', 'irm-calls', 'opstatus-wait', 'opstatus-get-wait', 'shaped-piped')] [string] $Way,
    [Parameter(Mandatory)] [string] $Url,
    [Parameter(Mandatory)] [string] $Subscription,
    [Parameter(Mandatory)] [string] $IdsFile,
    [Parameter(Mandatory)] [string] $Manifest,
    [string] $Token,
    [string] $WarmUpId,
    [int] $ThrottleLimit = 0,
    [switch] $Report
)
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Manifest -ErrorAction Stop
$ids = [System.IO.File]::ReadAllLines($IdsFile)
$base = "${Url}subscriptions/$Subscription/providers/Microsoft.Cache/locations/westus/operationsStatus/"
$headers = @{ Authorization = "Bearer $Token" }
$arm = @{ ResourceManagerEndpoint = $Url; SubscriptionId = $Subscription; Location = 'westus' }
$limit = if ($ThrottleLimit -gt 0) { @{ ThrottleLimit = $ThrottleLimit } } else { @{} }

# One call of each kind first, so that sign-in, connections and JIT are not timed.
if ($WarmUpId) {
    $null = Get-CacheOperationStatus @arm -OperationId $WarmUpId
    $null = Invoke-RestMethod -Uri "$base$WarmUpId`?api-version=2024-10-01" -Headers $headers
}

$errors = 0
$written = 0
# The working set at rest: the module imported and warmed up, garbage collected.
[System.GC]::Collect()
[System.GC]::WaitForPendingFinalizers()
$self = [System.Diagnostics.Process]::GetCurrentProcess()
$self.Refresh()
$rest = $self.WorkingSet64
$clock = [System.Diagnostics.Stopwatch]::StartNew()
switch ($Way) {
    'opstatus-piped' { $ids | Get-CacheOperationStatus @arm @limit -ErrorVariable +failed -ErrorAction SilentlyContinue | ForEach-Object { $written++ } }
    'opstatus-calls' { foreach ($id in $ids) { $null = Get-CacheOperationStatus @arm @limit -OperationId $id -ErrorVariable +failed -ErrorAction SilentlyContinue; $written++ } }
    'irm-parallel' { $ids | ForEach-Object -ThrottleLimit 16 -Parallel { $prefix = $using:base; Invoke-RestMethod -Uri "$prefix$_`?api-version=2024-10-01" -Headers $using:headers } -ErrorVariable +failed 2>$null | ForEach-Object { $written++ } }
    'irm-loop' { $ids | ForEach-Object { Invoke-RestMethod -Uri "$base$_`?api-version=2024-10-01" -Headers $headers } -ErrorVariable +failed -ErrorAction SilentlyContinue | ForEach-Object { $written++ } }
    'irm-calls' { foreach ($id in $ids) { $null = Invoke-RestMethod -Uri "$base$id`?api-version=2024-10-01" -Headers $headers -ErrorVariable +failed -ErrorAction SilentlyContinue; $written++ } }
    'shaped-piped' { Import-Module (Join-Path $PSScriptRoot 'MinimalModule/bin/Release/netstandard2.0/MinimalModule.psd1') -ErrorAction Stop; $ids | Get-ShapedNothing @arm | ForEach-Object { $written++ } }
    'opstatus-get-wait' { $ids | Get-CacheOperationStatus @arm -ErrorVariable +failed -ErrorAction SilentlyContinue | Wait-OperationStatus -PollingInterval 1 -ErrorVariable +failed -ErrorAction SilentlyContinue | ForEach-Object { $written++ } }
    'opstatus-wait' { $ids | ForEach-Object { "$base$_`?api-version=2024-10-01" } | Wait-OperationStatus -ResourceManagerEndpoint $Url -ErrorVariable +failed -ErrorAction SilentlyContinue | ForEach-Object { $written++ } }
}
$seconds = $clock.Elapsed.TotalSeconds
$errors = @($failed).Count
'{0} {1} {2}' -f $seconds.ToString([cultureinfo]::InvariantCulture), $written, $errors
# The peak is the process's own (VmHWM on Linux): the most it ever held, import included, so the growth is an upper bound.
$self.Refresh()
'memory rest={0} peak={1}' -f $rest, $self.PeakWorkingSet64
if ($Report) {
    $engine = [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'OpStatus.Engine' }
    $engine.GetType('OpStatus.Engine.ReadThrottle').GetProperty('Session').GetValue($null).Report()
}
