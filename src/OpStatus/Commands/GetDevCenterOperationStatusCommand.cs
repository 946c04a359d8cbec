using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Get-DevCenterOperationStatus: the status of an operation of the Azure Dev Center data plane, at the dev center's
/// endpoint (-Endpoint) or found by the dev center's name through Azure Resource Graph (-DevCenterName).
/// </summary>
[Cmdlet(VerbsCommon.Get, "DevCenterOperationStatus", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(OperationStatus))]
public sealed class GetDevCenterOperationStatusCommand : GetOperationStatusCommand
{
    private const string EndpointSet = "Endpoint";
    private const string DevCenterNameSet = "DevCenterName";

    /// <summary>The Dev Center endpoint, https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = EndpointSet)]
    public Uri? Endpoint { get; set; }

    /// <summary>The name of the dev center, whose endpoint is found through Azure Resource Graph once per session.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DevCenterNameSet)]
    [Alias("DevCenter")]
    [AllowEmptyString]
    [AllowNull]
    public string DevCenterName { get; set; } = string.Empty;

    /// <summary>The Dev Center project the operation belongs to.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = EndpointSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DevCenterNameSet)]
    [Alias("Project")]
    [AllowEmptyString]
    [AllowNull]
    public string ProjectName { get; set; } = string.Empty;

    /// <summary>The 36-character ids of the operations.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = EndpointSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DevCenterNameSet)]
    [AllowEmptyString]
    [AllowNull]
    [AllowEmptyCollection]
    public string?[]? OperationId { get; set; } = Array.Empty<string?>();

    /// <summary>With -DevCenterName, the Azure cloud whose Resource Graph finds the dev center: AzureCloud (the default), AzureUSGovernment or AzureChinaCloud.</summary>
    /// <remarks>In every parameter set, so that $PSDefaultParameterValues can give it to every OpStatus cmdlet; used with -DevCenterName only.</remarks>
    [Parameter]
    [ValidateSet(AzureCloud.AzureCloudName, AzureCloud.AzureUSGovernmentName, AzureCloud.AzureChinaCloudName, IgnoreCase = true)]
    public string Environment { get; set; } = AzureCloud.AzureCloudName;

    /// <summary>With -DevCenterName, the Resource Manager endpoint of any other cloud, whose Resource Graph finds the dev center.</summary>
    [Parameter]
    public Uri? ResourceManagerEndpoint { get; set; }

    private protected override AzureService Service => AzureService.DevCenter;

    private protected override Uri? RootEndpoint => Endpoint;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (CloudConflict(ResourceManagerEndpoint) is { } conflict)
        {
            ThrowTerminatingError(conflict);
        }
    }

    private protected override EndpointLookup? FindRoot()
    {
        if (ParameterSetName != DevCenterNameSet)
        {
            return null;
        }

        // Once a command for the same names: piped ids share one lookup, a failed one included, so none asks again.
        var key = $"{DevCenterName}|{ProjectName}|{Environment}|{ResourceManagerEndpoint}";
        if (lastLookup is not null && lastKey == key)
        {
            return lastLookup;
        }

        lastLookup = Await(DevCenterFinder.FindAsync(DevCenterName, ProjectName, MyInvocation.BoundParameters.ContainsKey(nameof(Environment)) ? Environment : null, ResourceManagerEndpoint, Context));
        lastKey = key;
        return lastLookup;
    }

    // Plain references, not a tuple: a struct field of an engine type would load the engine with this class, before the
    // module's resolver can find it.
    private string? lastKey;

    private EndpointLookup? lastLookup;
}
