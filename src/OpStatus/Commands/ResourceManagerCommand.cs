using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// The parameters of the Resource Manager (ARM) cmdlets: subscription, location and cloud.
/// </summary>
public abstract class ResourceManagerCommand : GetOperationStatusCommand
{
    /// <summary>The id of the subscription the operation runs in.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [AllowNull]
    public string SubscriptionId { get; set; } = string.Empty;

    /// <summary>The Azure region of the operation, as a name ('westus') or a display name ('West US').</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(LocationCompleter))]
    [AllowEmptyString]
    [AllowNull]
    public string Location { get; set; } = string.Empty;

    /// <summary>The Azure cloud: AzureCloud (the default), AzureUSGovernment or AzureChinaCloud.</summary>
    /// <remarks>No parameter sets for the two: so that giving both gets a message of ours, not AmbiguousParameterSet.</remarks>
    [Parameter]
    [ValidateSet(AzureCloud.AzureCloudName, AzureCloud.AzureUSGovernmentName, AzureCloud.AzureChinaCloudName, IgnoreCase = true)]
    public string Environment { get; set; } = AzureCloud.AzureCloudName;

    /// <summary>The Resource Manager endpoint of any other cloud (Azure Stack Hub, a private cloud).</summary>
    [Parameter]
    public Uri? ResourceManagerEndpoint { get; set; }

    private protected override Uri? RootEndpoint => ResourceManagerEndpoint;

    private protected override string? CloudName => Environment;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ResourceManagerEndpoint is not null && MyInvocation.BoundParameters.ContainsKey(nameof(Environment)))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-Environment and -ResourceManagerEndpoint exclude each other: -Environment picks a known cloud, -ResourceManagerEndpoint names the Resource Manager of any other. Give one of them."),
                ErrorIdPrefix + "CloudConflict",
                ErrorCategory.InvalidArgument,
                ResourceManagerEndpoint));
        }
    }
}
