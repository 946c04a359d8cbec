using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-CacheOperationStatus: the status of an Azure Managed Redis / Redis Enterprise (Microsoft.Cache) operation.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CacheOperationStatus")]
[OutputType(typeof(OperationStatus))]
public sealed class GetCacheOperationStatusCommand : ResourceManagerCommand
{
    /// <summary>The id of the operation, as returned by the request that started it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [AllowNull]
    public string OperationId { get; set; } = string.Empty;

    private protected override AzureService Service => AzureService.Cache;
}
