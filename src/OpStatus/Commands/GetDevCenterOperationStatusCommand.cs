using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-DevCenterOperationStatus: the status of an operation of the Azure Dev Center data plane.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DevCenterOperationStatus")]
[OutputType(typeof(OperationStatus))]
public sealed class GetDevCenterOperationStatusCommand : GetOperationStatusCommand
{
    /// <summary>The Dev Center endpoint, https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public Uri? Endpoint { get; set; }

    /// <summary>The Dev Center project the operation belongs to.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [AllowEmptyString]
    [AllowNull]
    public string ProjectName { get; set; } = string.Empty;

    /// <summary>The 36-character id of the operation.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [AllowNull]
    public string OperationId { get; set; } = string.Empty;

    private protected override AzureService Service => AzureService.DevCenter;

    private protected override Uri? RootEndpoint => Endpoint;
}
