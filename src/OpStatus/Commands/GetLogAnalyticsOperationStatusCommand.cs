using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-LogAnalyticsOperationStatus: the status of a Log Analytics (Microsoft.OperationalInsights) asynchronous operation.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LogAnalyticsOperationStatus")]
[OutputType(typeof(OperationStatus))]
public sealed class GetLogAnalyticsOperationStatusCommand : ResourceManagerCommand
{
    /// <summary>The id of the asynchronous operation, as returned by the request that started it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("OperationId")]
    [AllowEmptyString]
    [AllowNull]
    public string AsyncOperationId { get; set; } = string.Empty;

    private protected override AzureService Service => AzureService.LogAnalytics;
}
