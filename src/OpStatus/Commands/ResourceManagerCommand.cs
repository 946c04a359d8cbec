using System;
using System.Collections.Generic;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// The parameters of the Resource Manager (ARM) cmdlets: subscription, location and cloud.
/// </summary>
public abstract class ResourceManagerCommand : GetOperationStatusCommand
{
    /// <summary>The parameter set of ids; statuses piped back in are the other (<see cref="GetOperationStatusCommand.InputObjectSet"/>, the default, so that the binder tries both for piped input).</summary>
    internal const string IdSet = "Id";

    /// <summary>The id of the subscription the operation runs in.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [AllowEmptyString]
    [AllowNull]
    public string SubscriptionId { get; set; } = string.Empty;

    /// <summary>The Azure region of the operation, as a name ('westus') or a display name ('West US').</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
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
    /// <remarks>
    /// In every parameter set, as -Environment, so that $PSDefaultParameterValues can give them; statuses piped back in
    /// are read again where they were read.
    /// </remarks>
    [Parameter]
    public Uri? ResourceManagerEndpoint { get; set; }

    private protected override Uri? RootEndpoint => ResourceManagerEndpoint;

    private protected override string? CloudName => Environment;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (CloudConflict(ResourceManagerEndpoint) is { } conflict)
        {
            ThrowTerminatingError(conflict);
        }
    }

    protected override void ProcessRecord()
    {
        // A region OpStatus does not know is sent as given (Azure adds regions), with a word about the nearest known one.
        // Once per name: the nearest known names are not worked out again for each piped item.
        if (ParameterSetName == IdSet && Location is { } location && !warnedLocations.Contains(InputValidation.NormalizeLocation(location))
            && AzureRegions.Unknown(location) is { } advice)
        {
            warnedLocations.Add(InputValidation.NormalizeLocation(location));
            WriteWarning(advice);
        }

        base.ProcessRecord();
    }

    private readonly HashSet<string> warnedLocations = new(StringComparer.Ordinal);
}
