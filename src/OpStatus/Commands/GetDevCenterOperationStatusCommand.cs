using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-DevCenterOperationStatus: the status of an operation of the Azure Dev Center data plane.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DevCenterOperationStatus")]
[OutputType(typeof(OperationStatus))]
public sealed class GetDevCenterOperationStatusCommand : OpStatusCommand
{
    /// <summary>The Dev Center endpoint, https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public Uri? Endpoint { get; set; }

    /// <summary>The Dev Center project the operation belongs to.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    public string ProjectName { get; set; } = string.Empty;

    /// <summary>The 36-character id of the operation.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string OperationId { get; set; } = string.Empty;

    /// <summary>The api-version of the Dev Center data plane.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string? ApiVersion { get; set; }

    protected override void ProcessRecord()
    {
        var apiVersion = ApiVersion ?? AzureService.DevCenter.DefaultApiVersion;
        if (!Validate(InputValidation.CheckNotAUrl(OperationId, "operation id") ?? InputValidation.CheckDevCenterOperationId(OperationId), "InvalidOperationId", OperationId)
            || !Validate(InputValidation.CheckDevCenterProjectName(ProjectName), "InvalidProjectName", ProjectName)
            || !Validate(InputValidation.CheckEndpointRoot(Endpoint, "-Endpoint", "https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com", string.Empty), "InvalidEndpoint", Endpoint)
            || !Validate(InputValidation.CheckApiVersion(apiVersion), "InvalidApiVersion", apiVersion))
        {
            return;
        }

        var uri = AzureService.DevCenterStatusUri(Endpoint!, ProjectName, OperationId, apiVersion);
        var credential = ResolveCredential(AzureCloud.Public);
        ReadAndWrite(new OperationRequest(AzureService.DevCenter, AzureCloud.Public, uri, AzureService.DevCenter.ScopeIn(AzureCloud.Public), credential, OperationId));
    }
}
