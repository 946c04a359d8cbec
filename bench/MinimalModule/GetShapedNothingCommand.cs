using System;
using System.Management.Automation;

namespace MinimalModule;

/// <summary>
/// Does nothing, with the parameters of Get-CacheOperationStatus (names, types, sets, pipeline binding and
/// validation attributes): what PowerShell itself charges to bind such a command.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ShapedNothing", DefaultParameterSetName = "Environment")]
public sealed class GetShapedNothingCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string OperationId { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string SubscriptionId { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string Location { get; set; } = string.Empty;

    [Parameter(ParameterSetName = "Environment")]
    [ValidateSet("AzureCloud", "AzureUSGovernment", "AzureChinaCloud", IgnoreCase = true)]
    public string Environment { get; set; } = "AzureCloud";

    [Parameter(Mandatory = true, ParameterSetName = "ResourceManagerEndpoint")]
    public Uri? ResourceManagerEndpoint { get; set; }

    [Parameter]
    public string? ApiVersion { get; set; }

    [Parameter]
    [ValidateNotNull]
    public System.Security.SecureString? AccessToken { get; set; }

    [Parameter]
    public SwitchParameter Identity { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TenantId { get; set; }

    protected override void ProcessRecord() => WriteObject(null);
}
