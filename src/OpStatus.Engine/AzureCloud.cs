using System;
using System.Collections.Generic;

namespace OpStatus.Engine;

/// <summary>
/// One Azure cloud: where Resource Manager answers, which audience its tokens carry, and where to sign in.
/// </summary>
internal sealed class AzureCloud
{
    public const string AzureCloudName = "AzureCloud";
    public const string AzureUSGovernmentName = "AzureUSGovernment";
    public const string AzureChinaCloudName = "AzureChinaCloud";

    private static readonly Dictionary<string, AzureCloud> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        [AzureCloudName] = new AzureCloud(AzureCloudName, new Uri("https://management.azure.com/"), "https://management.azure.com/.default", new Uri("https://login.microsoftonline.com/")),
        [AzureUSGovernmentName] = new AzureCloud(AzureUSGovernmentName, new Uri("https://management.usgovcloudapi.net/"), "https://management.usgovcloudapi.net/.default", new Uri("https://login.microsoftonline.us/")),
        [AzureChinaCloudName] = new AzureCloud(AzureChinaCloudName, new Uri("https://management.chinacloudapi.cn/"), "https://management.chinacloudapi.cn/.default", new Uri("https://login.chinacloudapi.cn/")),
    };

    private AzureCloud(string name, Uri resourceManagerEndpoint, string resourceManagerScope, Uri authorityHost)
    {
        Name = name;
        ResourceManagerEndpoint = resourceManagerEndpoint;
        ResourceManagerScope = resourceManagerScope;
        AuthorityHost = authorityHost;
    }

    /// <summary>The cloud's name, as Az spells it (AzureCloud, AzureUSGovernment, AzureChinaCloud), or "Custom".</summary>
    public string Name { get; }

    /// <summary>The Resource Manager endpoint, always ending with a slash.</summary>
    public Uri ResourceManagerEndpoint { get; }

    /// <summary>The token scope for Resource Manager calls in this cloud.</summary>
    public string ResourceManagerScope { get; }

    /// <summary>The Microsoft Entra authority that signs users in for this cloud.</summary>
    public Uri AuthorityHost { get; }

    /// <summary>The names accepted by -Environment.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = new[] { AzureCloudName, AzureUSGovernmentName, AzureChinaCloudName };

    public static AzureCloud Public => Known[AzureCloudName];

    /// <summary>A known cloud by name (case-insensitive), or null.</summary>
    public static AzureCloud? FindByName(string? name) =>
        name is not null && Known.TryGetValue(name, out var cloud) ? cloud : null;

    /// <summary>
    /// A cloud for a Resource Manager endpoint that is not one of the known ones (Azure Stack Hub, a private cloud).
    /// The token audience is the endpoint's origin unless one is given; sign-in uses the public authority
    /// unless one is given.
    /// </summary>
    public static AzureCloud Custom(Uri resourceManagerEndpoint, Uri? audience = null, Uri? authorityHost = null)
    {
        var endpoint = EnsureTrailingSlash(resourceManagerEndpoint);
        foreach (var known in Known.Values)
        {
            if (Uri.Compare(known.ResourceManagerEndpoint, endpoint, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
                && audience is null && authorityHost is null)
            {
                return known;
            }
        }

        var scope = ScopeFor(audience ?? new Uri(endpoint.GetLeftPart(UriPartial.Authority)));
        return new AzureCloud("Custom", endpoint, scope, authorityHost ?? Public.AuthorityHost);
    }

    /// <summary>The ".default" scope of an audience URI, as Microsoft Entra expects it.</summary>
    public static string ScopeFor(Uri audience) => audience.GetLeftPart(UriPartial.Authority) + "/.default";

    internal static Uri EnsureTrailingSlash(Uri uri)
    {
        var text = uri.GetLeftPart(UriPartial.Path);
        return text.EndsWith("/", StringComparison.Ordinal) ? new Uri(text) : new Uri(text + "/");
    }

    public override string ToString() => Name;
}
