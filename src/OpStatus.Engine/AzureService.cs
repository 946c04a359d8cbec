using System;
using System.Collections.Generic;

namespace OpStatus.Engine;

/// <summary>
/// One Azure service whose operation statuses OpStatus reads: its name, its api-versions and its token scope.
/// Adding a service means adding one of these and one thin cmdlet.
/// </summary>
public sealed class AzureService
{
    public static readonly AzureService DevCenter = new(
        "DevCenter",
        "2025-02-01",
        new[] { "2025-02-01", "2024-02-01", "2023-04-01" },
        fixedScope: "https://devcenter.azure.com/.default")
    {
        Identifiers = "the operation id, the project name and the endpoint",
        ReadScope = "the project",
    };

    public static readonly AzureService Cache = new(
        "Cache",
        "2024-10-01",
        new[] { "2025-07-01", "2025-04-01", "2024-10-01", "2024-02-01" },
        fixedScope: null)
    {
        Identifiers = "the operation id, the location and the subscription id",
        ReadScope = "the subscription",
    };

    public static readonly AzureService LogAnalytics = new(
        "LogAnalytics",
        "2025-02-01",
        new[] { "2025-07-01", "2025-02-01", "2023-09-01", "2020-08-01" },
        fixedScope: null)
    {
        Identifiers = "the operation id, the location and the subscription id",
        ReadScope = "the subscription",
    };

    /// <summary>
    /// Any Azure async-operation URL (Azure-AsyncOperation, Operation-Location or Location header), as
    /// Wait-OperationStatus -Uri takes it. The URL carries its own api-version; its host decides the scope.
    /// </summary>
    public static readonly AzureService AsyncOperation = new(
        "AsyncOperation",
        string.Empty,
        Array.Empty<string>(),
        fixedScope: null)
    {
        AcceptsLocationContract = true,
        Identifiers = "the URL",
        ReadScope = "the resource or its subscription",
    };

    private readonly string? fixedScope;

    private AzureService(string name, string defaultApiVersion, IReadOnlyList<string> knownApiVersions, string? fixedScope)
    {
        Name = name;
        DefaultApiVersion = defaultApiVersion;
        KnownApiVersions = knownApiVersions;
        this.fixedScope = fixedScope;
    }

    /// <summary>
    /// True when a response without a status field is read by the Location-header contract:
    /// 202 means the operation still runs; 200, 201 or 204 mean it succeeded.
    /// </summary>
    public bool AcceptsLocationContract { get; private init; }

    /// <summary>What names an operation of this service, for the advice of a 404: "the operation id, the location and the subscription id".</summary>
    public string Identifiers { get; private init; } = "the operation id";

    /// <summary>Where a role that reads operations is given, for the advice of a 403: "the subscription", "the project".</summary>
    public string ReadScope { get; private init; } = "the resource";

    /// <summary>Short name shown in output and messages: DevCenter, Cache, LogAnalytics.</summary>
    public string Name { get; }

    public string DefaultApiVersion { get; }

    /// <summary>The stable api-versions of the service's operation-status call, newest first.</summary>
    public IReadOnlyList<string> KnownApiVersions { get; }

    /// <summary>True for Resource Manager (control-plane) services, whose scope follows the cloud.</summary>
    public bool IsResourceManager => fixedScope is null;

    /// <summary>The token scope for this service in a cloud.</summary>
    public string ScopeIn(AzureCloud cloud) => fixedScope ?? cloud.ResourceManagerScope;

    public override string ToString() => Name;

    /// <summary>
    /// GET {endpoint}/projects/{projectName}/operationstatuses/{operationId}?api-version=...
    /// </summary>
    public static Uri DevCenterStatusUri(Uri endpoint, string projectName, string operationId, string apiVersion) =>
        Compose(endpoint, apiVersion, "projects", projectName, "operationstatuses", operationId);

    /// <summary>
    /// GET {rm}/subscriptions/{subscriptionId}/providers/Microsoft.Cache/locations/{location}/operationsStatus/{operationId}?api-version=...
    /// </summary>
    public static Uri CacheStatusUri(AzureCloud cloud, string subscriptionId, string location, string operationId, string apiVersion) =>
        Compose(cloud.ResourceManagerEndpoint, apiVersion, "subscriptions", subscriptionId, "providers", "Microsoft.Cache", "locations", location, "operationsStatus", operationId);

    /// <summary>
    /// GET {rm}/subscriptions/{subscriptionId}/providers/Microsoft.OperationalInsights/locations/{location}/operationStatuses/{asyncOperationId}?api-version=...
    /// </summary>
    public static Uri LogAnalyticsStatusUri(AzureCloud cloud, string subscriptionId, string location, string asyncOperationId, string apiVersion) =>
        Compose(cloud.ResourceManagerEndpoint, apiVersion, "subscriptions", subscriptionId, "providers", "Microsoft.OperationalInsights", "locations", location, "operationStatuses", asyncOperationId);

    /// <summary>
    /// The service an async-operation URL belongs to, when its path is one of the operation-status paths
    /// OpStatus knows; AsyncOperation (which also reads the Location-header contract) otherwise.
    /// </summary>
    public static AzureService Recognize(Uri uri)
    {
        var s = uri.AbsolutePath.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        static bool Is(string segment, string expected) => string.Equals(segment, expected, StringComparison.OrdinalIgnoreCase);

        if (s.Length >= 4 && Is(s[s.Length - 4], "projects") && Is(s[s.Length - 2], "operationstatuses"))
        {
            return DevCenter;
        }

        if (s.Length >= 8 && Is(s[s.Length - 8], "subscriptions") && Is(s[s.Length - 6], "providers") && Is(s[s.Length - 4], "locations"))
        {
            if (Is(s[s.Length - 5], "Microsoft.Cache") && Is(s[s.Length - 2], "operationsStatus"))
            {
                return Cache;
            }

            if (Is(s[s.Length - 5], "Microsoft.OperationalInsights") && Is(s[s.Length - 2], "operationStatuses"))
            {
                return LogAnalytics;
            }
        }

        return AsyncOperation;
    }

    /// <summary>
    /// Joins a base URL and path segments, escaping every segment whole, so that no value ('../x', 'a?b',
    /// 'a#b', '%2F') can change which path is requested.
    /// </summary>
    internal static Uri Compose(Uri baseUri, string apiVersion, params string[] segments)
    {
        var builder = new System.Text.StringBuilder(AzureCloud.EnsureTrailingSlash(baseUri).AbsoluteUri);
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            builder.Append(Uri.EscapeDataString(segments[i]));
        }

        builder.Append("?api-version=").Append(Uri.EscapeDataString(apiVersion));
        return new Uri(builder.ToString());
    }
}
