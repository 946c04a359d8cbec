using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-CacheOperationStatus: the status of an Azure Managed Redis / Redis Enterprise (Microsoft.Cache) operation.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CacheOperationStatus", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(OperationStatus))]
public sealed class GetCacheOperationStatusCommand : ResourceManagerCommand
{
    /// <summary>The ids of the operations, as returned by the requests that started them; each is read and written in turn.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [AllowEmptyString]
    [AllowNull]
    [AllowEmptyCollection]
    public string?[]? OperationId { get; set; } = Array.Empty<string?>();

    private protected override AzureService Service => AzureService.Cache;
}
