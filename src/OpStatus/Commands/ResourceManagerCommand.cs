using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// The parameters of the Resource Manager (ARM) cmdlets: subscription, location and cloud.
/// </summary>
public abstract class ResourceManagerCommand : OpStatusCommand
{
    /// <summary>The id of the subscription the operation runs in.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string SubscriptionId { get; set; } = string.Empty;

    /// <summary>The Azure region of the operation, as a name ('westus') or a display name ('West US').</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(LocationCompleter))]
    public string Location { get; set; } = string.Empty;

    /// <summary>The Azure cloud: AzureCloud (the default), AzureUSGovernment or AzureChinaCloud.</summary>
    /// <remarks>No parameter sets for the two: so that giving both gets a message of ours, not AmbiguousParameterSet.</remarks>
    [Parameter]
    [ValidateSet(AzureCloud.AzureCloudName, AzureCloud.AzureUSGovernmentName, AzureCloud.AzureChinaCloudName, IgnoreCase = true)]
    public string Environment { get; set; } = AzureCloud.AzureCloudName;

    /// <summary>The Resource Manager endpoint of any other cloud (Azure Stack Hub, a private cloud).</summary>
    [Parameter]
    public Uri? ResourceManagerEndpoint { get; set; }

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

    /// <summary>The service this cmdlet reads.</summary>
    protected abstract AzureService Service { get; }

    /// <summary>The name of the operation id parameter, for messages.</summary>
    protected virtual string OperationIdWhat => "operation id";

    /// <summary>The operation id bound for this item.</summary>
    protected abstract string CurrentOperationId { get; }

    /// <summary>The api-version bound, or null for the service's default.</summary>
    protected abstract string? CurrentApiVersion { get; }

    /// <summary>Builds the status URL of one operation in a cloud.</summary>
    protected abstract Uri StatusUri(AzureCloud cloud, string subscriptionId, string location, string operationId, string apiVersion);

    protected override void ProcessRecord()
    {
        var operationId = CurrentOperationId;
        var apiVersion = CurrentApiVersion ?? Service.DefaultApiVersion;
        if (!Validate(InputValidation.CheckNotAUrl(operationId, OperationIdWhat) ?? InputValidation.CheckResourceManagerSegment(operationId, OperationIdWhat, "713192d7-503f-477a-9cfe-4efc3ee2bd11"), "InvalidOperationId", operationId)
            || !Validate(InputValidation.CheckSubscriptionId(SubscriptionId), "InvalidSubscriptionId", SubscriptionId)
            || !Validate(InputValidation.CheckLocation(Location), "InvalidLocation", Location)
            || !Validate(InputValidation.CheckApiVersion(apiVersion), "InvalidApiVersion", apiVersion)
            || !Validate(ResourceManagerEndpoint is not null ? InputValidation.CheckEndpointRoot(ResourceManagerEndpoint, "-ResourceManagerEndpoint", "https://management.example.com/", "/subscriptions", "/providers") : null, "InvalidResourceManagerEndpoint", ResourceManagerEndpoint))
        {
            return;
        }

        var cloud = ResourceManagerEndpoint is not null
            ? AzureCloud.Custom(ResourceManagerEndpoint!)
            : AzureCloud.FindByName(Environment) ?? AzureCloud.Public;
        var uri = StatusUri(cloud, SubscriptionId, InputValidation.NormalizeLocation(Location), operationId, apiVersion);
        ReadAndWrite(new OperationRequest(Service, cloud, uri, Service.ScopeIn(cloud), ResolveCredential(cloud), operationId));
    }
}
