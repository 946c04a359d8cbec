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
            Tags         = @('Azure', 'AsyncOperation', 'LongRunningOperation', 'DevCenter', 'Redis', 'LogAnalytics', 'Runbook')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            # PLACEHOLDER: the public repository's address, to be set before the first gallery release.
            ProjectUri   = 'https://example.invalid/opstatus'
            ReleaseNotes = '0.1.0: first release. Get-DevCenterOperationStatus, Get-CacheOperationStatus, Get-LogAnalyticsOperationStatus and Wait-OperationStatus.'
        }
    }
}
