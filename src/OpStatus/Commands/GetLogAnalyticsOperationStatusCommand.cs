using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-LogAnalyticsOperationStatus: the status of a Log Analytics (Microsoft.OperationalInsights) asynchronous operation.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LogAnalyticsOperationStatus", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(OperationStatus))]
public sealed class GetLogAnalyticsOperationStatusCommand : ResourceManagerCommand
{
    /// <summary>The ids of the asynchronous operations, as returned by the requests that started them.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [Alias("OperationId")]
    [AllowEmptyString]
    [AllowNull]
    [AllowEmptyCollection]
    public string?[]? AsyncOperationId { get; set; } = Array.Empty<string?>();

    private protected override AzureService Service => AzureService.LogAnalytics;
}
