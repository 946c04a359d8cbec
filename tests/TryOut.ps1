<#
    The try-out session: dot-source it in a pwsh that trusts the emulator's certificate
    (SSL_CERT_FILE) and has IDENTITY_ENDPOINT and IDENTITY_HEADER set to the emulator's.
        . ./tests/TryOut.ps1 -EmulatorUrl https://127.0.0.1:<port>/ -Folder <working folder>

    It scripts sample operations of each service into the emulator, and operations that run for a
    couple of minutes (one, and a batch of 20), writes ops.csv and batch.csv into -Folder, and sets,
    in the caller's scope:
        $url        the emulator's address, without a trailing slash (for its control API)
        $sub        the sample subscription id
        $endpoint   the Dev Center endpoint (the emulator plays it)
        $auth       an Authorization header with an emulator token, for requests that start operations
        $PSDefaultParameterValues  -ResourceManagerEndpoint of the Resource Manager cmdlets and of
                    Wait-OperationStatus, so that they read from the emulator with no extra parameter
                    (and statuses saved and read back, which Wait takes as URLs, too).
    ./build.ps1 -Try runs it in the shell it opens; the README examples test runs it before the
    README's examples, which are written for this session.
#>
param(
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    [Parameter(Mandatory)] [string] $Folder
)

$url = $EmulatorUrl.TrimEnd('/')
$sub = '2f4a9c1e-6b3d-4e8f-9a0b-1c2d3e4f5a6b'
$endpoint = $url

# Times relative to now, in the ISO 8601 form the services send.
$now = [DateTimeOffset]::UtcNow
function Get-SampleTime([double] $Minutes) {
    $now.AddMinutes($Minutes).ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", [Globalization.CultureInfo]::InvariantCulture)
}

$samples = [ordered]@{
    # Dev Center: a dev box still being created, 40 % done; waiting on it sees it succeed within seconds.
    'fa067167-e49d-41bd-8dd8-de719b9de3b3' = @(
        @{ status = 200; headers = @{ 'Retry-After' = '1' }; body = @{ id = '/projects/myProject/operationstatuses/fa067167-e49d-41bd-8dd8-de719b9de3b3'; name = 'fa067167-e49d-41bd-8dd8-de719b9de3b3'; status = 'Running'; percentComplete = 40; startTime = (Get-SampleTime -121.5) } }
        @{ status = 200; headers = @{ 'Retry-After' = '1' }; body = @{ id = '/projects/myProject/operationstatuses/fa067167-e49d-41bd-8dd8-de719b9de3b3'; name = 'fa067167-e49d-41bd-8dd8-de719b9de3b3'; status = 'Running'; percentComplete = 80; startTime = (Get-SampleTime -121.5) } }
        @{ status = 200; body = @{ id = '/projects/myProject/operationstatuses/fa067167-e49d-41bd-8dd8-de719b9de3b3'; name = 'fa067167-e49d-41bd-8dd8-de719b9de3b3'; status = 'Succeeded'; percentComplete = 100; startTime = (Get-SampleTime -121.5); endTime = '{now}' } }
    )
    # Cache: a database creation that succeeded.
    'testoperationid'                      = @(
        @{ status = 200; body = @{ id = "/subscriptions/$sub/providers/Microsoft.Cache/locations/westus/operationsStatus/testoperationid"; name = 'testoperationid'; status = 'Succeeded'; startTime = (Get-SampleTime -49.1); endTime = (Get-SampleTime -40.7) } }
    )
    # Cache: a scale-out that is still running, then succeeds.
    'c3b9e7a2-41f0-4d8e-9b6a-7f2d1e0c5a84' = @(
        @{ status = 200; headers = @{ 'Retry-After' = '1' }; body = @{ name = 'c3b9e7a2-41f0-4d8e-9b6a-7f2d1e0c5a84'; status = 'InProgress'; startTime = (Get-SampleTime -3.2) } }
        @{ status = 200; body = @{ name = 'c3b9e7a2-41f0-4d8e-9b6a-7f2d1e0c5a84'; status = 'Succeeded'; startTime = (Get-SampleTime -3.2); endTime = '{now}' } }
    )
    # Log Analytics: a workspace deletion that failed.
    '713192d7-503f-477a-9cfe-4efc3ee2bd11' = @(
        @{ status = 200; body = @{ id = "/subscriptions/$sub/providers/Microsoft.OperationalInsights/locations/westus/operationStatuses/713192d7-503f-477a-9cfe-4efc3ee2bd11"; name = '713192d7-503f-477a-9cfe-4efc3ee2bd11'; status = 'Failed'; startTime = (Get-SampleTime -150); endTime = (Get-SampleTime -149.3); error = @{ code = 'WorkspaceDeleteFailed'; message = 'The workspace is locked by a delete lock.' } } }
    )
}

# Operations that run for a while, to watch a wait: one of two minutes, and a batch of 20 that end between 45 s
# and 2.5 minutes after the session starts (one of them fails). A step with durationMs answers until that long has
# passed since it first answered; the polls follow the default schedule.
$samples['5b0c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b'] = @(
    @{ status = 200; durationMs = 120000; body = @{ name = '5b0c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b'; status = 'Running'; startTime = (Get-SampleTime 0) } }
    @{ status = 200; body = @{ name = '5b0c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b'; status = 'Succeeded'; startTime = (Get-SampleTime 0); endTime = '{now}' } }
)
$batch = foreach ($n in 1..20) {
    $batchId = 'batch-{0:00}' -f $n
    $end = if ($n -eq 7) { @{ status = 'Failed'; error = @{ code = 'QuotaExceeded'; message = 'The subscription has no quota left for this size.' } } } else { @{ status = 'Succeeded' } }
    $samples[$batchId] = @(
        @{ status = 200; durationMs = (40 + 5 * $n) * 1000; body = @{ name = $batchId; status = 'Running'; startTime = (Get-SampleTime 0) } }
        @{ status = 200; body = @{ name = $batchId; startTime = (Get-SampleTime 0); endTime = '{now}' } + $end }
    )
    [pscustomobject]@{ SubscriptionId = $sub; Location = 'westus'; OperationId = $batchId }
}

foreach ($id in $samples.Keys) {
    $body = ConvertTo-Json -InputObject @{ steps = @($samples[$id]) } -Depth 10 -Compress
    $null = Invoke-RestMethod -Method Put -Uri "$url/_emulator/operations/$id" -ContentType 'application/json' -Body $body
}

$null = New-Item -ItemType Directory -Path $Folder -Force
$batch | Export-Csv -LiteralPath (Join-Path $Folder 'batch.csv') -NoTypeInformation
@(
    [pscustomobject]@{ SubscriptionId = $sub; Location = 'westus'; OperationId = 'testoperationid' }
    [pscustomobject]@{ SubscriptionId = $sub; Location = 'westus'; OperationId = 'c3b9e7a2-41f0-4d8e-9b6a-7f2d1e0c5a84' }
) | Export-Csv -LiteralPath (Join-Path $Folder 'ops.csv') -NoTypeInformation

# A token of the emulator's, for requests a script sends itself (Invoke-WebRequest -Headers $auth).
$auth = @{ Authorization = 'Bearer ' + (Invoke-RestMethod -Method Post -Uri "$url/_emulator/tokens" -ContentType 'application/json' -Body (ConvertTo-Json -InputObject @{ audience = $url })).access_token }

$PSDefaultParameterValues['Get-CacheOperationStatus:ResourceManagerEndpoint'] = "$url/"
$PSDefaultParameterValues['Get-LogAnalyticsOperationStatus:ResourceManagerEndpoint'] = "$url/"
$PSDefaultParameterValues['Wait-OperationStatus:ResourceManagerEndpoint'] = "$url/"
Remove-Variable -Name samples, id, body, now, batch, batchId, end, n -ErrorAction SilentlyContinue
Remove-Item -Path Function:\Get-SampleTime -ErrorAction SilentlyContinue
