@{
    RootModule           = 'OpStatus.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0c4a5e-2d7b-4b8e-9a31-5c2f7e1d9b40'
    Author               = 'OpStatus contributors'
    CompanyName          = 'OpStatus'
    Copyright            = '(c) OpStatus contributors. MIT License.'
    Description          = 'Read and wait for Azure asynchronous operations (Dev Center, Azure Managed Redis / Redis Enterprise, Log Analytics, and any Azure async-operation URL) from a shell, a script or an automation runbook.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # Loaded at import, so that scripts can name the output and exception types before any command runs.
    RequiredAssemblies   = @('OpStatus.Model.dll')
    FormatsToProcess     = @('OpStatus.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-CacheOperationStatus'
        'Get-DevCenterOperationStatus'
        'Get-LogAnalyticsOperationStatus'
        'Wait-OperationStatus'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Azure', 'AsyncOperation', 'LongRunningOperation', 'DevCenter', 'Redis', 'LogAnalytics', 'Runbook', 'Automation', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = '0.1.0: first release. Get-DevCenterOperationStatus, Get-CacheOperationStatus and Get-LogAnalyticsOperationStatus read the status of an asynchronous operation of their service, many piped ids at a time in input order, within one read limit per subscription; Wait-OperationStatus polls statuses, async-operation URLs or the responses that started operations until they end, with a deadline per operation. One sign-in for the session (managed identity, the default Azure credential chain or a given token), retries with Retry-After, errors whose ids name the command and the service''s code, help for every cmdlet and about_OpStatus.'
        }
    }
}
