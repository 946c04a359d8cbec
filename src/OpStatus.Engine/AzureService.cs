using System;
using System.Collections.Generic;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>Where a service's status paths start: the cloud's Resource Manager, or an endpoint of the service's own.</summary>
internal enum ServiceRoot
{
    ResourceManager,
    ServiceEndpoint,
}

/// <summary>
/// One Azure service whose operation statuses OpStatus reads, as data: its status path as a template with
/// named segments, the rule of each segment, its api-versions, its token scope, its status words and the
/// wording of its advice. Composing a URL, recognising a -Uri, completing -ApiVersion and the advice of a 404
/// are all derived from it. Adding a service is adding one of these to All, and one thin cmdlet (CONTRIBUTING.md
/// lists the other files it touches: the manifest, the docs and the tests).
/// </summary>
internal sealed class AzureService
{
    public static readonly AzureService DevCenter = new()
    {
        Name = "DevCenter",
        Root = ServiceRoot.ServiceEndpoint,
        EndpointShape = "https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com",
        HostSuffix = ".devcenter.azure.com",
        Path = new PathTemplate("projects/{ProjectName}/operationstatuses/{OperationId}"),
        Segments = new Dictionary<string, SegmentRule>
        {
            ["ProjectName"] = SegmentRule.DevCenterProjectName,
            ["OperationId"] = SegmentRule.DevCenterOperationId,
        },
        DefaultApiVersion = "2025-02-01",
        KnownApiVersions = new[] { "2025-02-01", "2024-02-01", "2023-04-01" },
        FixedScope = "https://devcenter.azure.com/.default",
        Identifiers = "the operation id, the project name and the endpoint",
        ReadScope = "the project",
    };

    public static readonly AzureService Cache = InResourceManagerLocation(
        "Cache",
        "Microsoft.Cache/locations/{Location}/operationsStatus/{OperationId}",
        "operation id",
        "2024-10-01",
        new[] { "2025-07-01", "2025-04-01", "2024-10-01", "2024-02-01" });

    public static readonly AzureService LogAnalytics = InResourceManagerLocation(
        "LogAnalytics",
        "Microsoft.OperationalInsights/locations/{Location}/operationStatuses/{AsyncOperationId}",
        "async operation id",
        "2025-02-01",
        new[] { "2025-07-01", "2025-02-01", "2023-09-01", "2020-08-01" });

    /// <summary>
    /// Any Azure async-operation URL (Azure-AsyncOperation, Operation-Location or Location header), as
    /// Wait-OperationStatus -Uri takes it. The URL carries its own api-version; its host decides the scope.
    /// </summary>
    public static readonly AzureService AsyncOperation = new()
    {
        Name = "AsyncOperation",
        AcceptsLocationContract = true,
        Identifiers = "the URL",
        ReadScope = "the resource or its subscription",
        PathWords = new[] { "operationResults", "asyncOperations", "operations" },
    };

    /// <summary>
    /// A Resource Manager service whose operations are read per subscription and location:
    /// subscriptions/{SubscriptionId}/providers/{<paramref name="providerPath"/>}, the last segment being the operation id.
    /// </summary>
    private static AzureService InResourceManagerLocation(string name, string providerPath, string operationIdWhat, string defaultApiVersion, string[] knownApiVersions)
    {
        var path = new PathTemplate("subscriptions/{SubscriptionId}/providers/" + providerPath);
        return new AzureService
        {
            Name = name,
            Path = path,
            Segments = new Dictionary<string, SegmentRule>
            {
                ["SubscriptionId"] = SegmentRule.SubscriptionId,
                ["Location"] = SegmentRule.Location,
                [path.Names.Last()] = SegmentRule.ResourceManagerOperationId(operationIdWhat),
            },
            DefaultApiVersion = defaultApiVersion,
            KnownApiVersions = knownApiVersions,
            Identifiers = "the operation id, the location and the subscription id",
            ReadScope = "the subscription",
        };
    }

    /// <summary>
    /// The services with a Get cmdlet of their own, in the order their cmdlets are listed. Checked when the engine first
    /// uses them: a description that breaks a rule (<see cref="Problems"/>) stops every command, so that it can never
    /// widen where tokens go.
    /// </summary>
    public static IReadOnlyList<AzureService> All { get; } = Checked(DevCenter, Cache, LogAnalytics);

    /// <summary>The services given, when every one keeps the rules; otherwise an exception that names what is wrong.</summary>
    public static IReadOnlyList<AzureService> Checked(params AzureService[] services)
    {
        var problems = new List<string>();
        foreach (var service in services)
        {
            problems.AddRange(service.Problems().Select(p => $"{(service.Name.Length > 0 ? service.Name : "a service")}: {p}"));
        }

        foreach (var twice in services.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"{twice.Key}: two descriptions have this name, and so the same cmdlet.");
        }

        return problems.Count == 0
            ? services
            : throw new InvalidOperationException("OpStatus's service descriptions break its rules, so no command can run: " + string.Join(" ", problems));
    }

    /// <summary>
    /// What breaks the rules in this description of a service with a Get cmdlet: a path template that does not parse, a
    /// named segment without a rule or a rule without a segment, an api-version that is not one, and, for a service with
    /// an endpoint of its own, a missing host rule or token scope. Empty when it keeps them.
    /// </summary>
    public IEnumerable<string> Problems()
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(Name, "^[A-Z][A-Za-z0-9]*$"))
        {
            yield return $"the name '{Name}' is not a word in PascalCase, as Get-{{Name}}OperationStatus needs.";
        }

        foreach (var problem in Path.Problems())
        {
            yield return problem;
        }

        var names = Path.Names.ToList();
        foreach (var name in names.Where(n => !Segments.ContainsKey(n)))
        {
            yield return $"the path segment {{{name}}} has no rule.";
        }

        foreach (var name in Segments.Keys.Where(k => !names.Contains(k)))
        {
            yield return $"the rule for {name} names no segment of the path.";
        }

        foreach (var version in KnownApiVersions.Concat(new[] { DefaultApiVersion }))
        {
            if (InputValidation.CheckApiVersion(version) is not null)
            {
                yield return $"'{version}' is not an api-version.";
            }
        }

        if (!KnownApiVersions.Contains(DefaultApiVersion))
        {
            yield return $"the default api-version '{DefaultApiVersion}' is not among the known ones.";
        }

        if (Root == ServiceRoot.ServiceEndpoint)
        {
            if (!IsHostRule(HostSuffix))
            {
                yield return "a service with an endpoint of its own needs a host rule: HostSuffix, such as '.devcenter.azure.com' (a dot, then three labels or more), names the only hosts that may receive its tokens.";
            }

            if (FixedScope is null || !Uri.TryCreate(FixedScope, UriKind.Absolute, out var scope) || scope.Scheme != Uri.UriSchemeHttps)
            {
                yield return "a service with an endpoint of its own needs the https token scope of that service (FixedScope).";
            }
        }
        else if (HostSuffix is not null || FixedScope is not null)
        {
            yield return "a Resource Manager service sends its tokens to the cloud's Resource Manager only: it has no HostSuffix and no FixedScope.";
        }
    }

    /// <summary>The first word of each status path ("subscriptions", "projects"): what starts a status path pasted where an id belongs.</summary>
    public static IReadOnlyList<string> StatusPathRoots { get; } = All.Select(s => s.Path.FixedParts.First())
        .Distinct(StringComparer.OrdinalIgnoreCase)
        .ToArray();

    /// <summary>The other fixed words of the status paths, and the generic async-operation words: what marks one anywhere in a value.</summary>
    public static IReadOnlyList<string> StatusPathWords { get; } = All.Concat(new[] { AsyncOperation })
        .SelectMany(s => s.Path.FixedParts.Skip(1).Concat(s.PathWords))
        .Distinct(StringComparer.OrdinalIgnoreCase)
        .ToArray();

    /// <summary>Short name shown in output and messages (Cache). Its cmdlet is Get-{Name}OperationStatus.</summary>
    public string Name { get; init; } = string.Empty;

    public ServiceRoot Root { get; init; } = ServiceRoot.ResourceManager;

    /// <summary>For a service with an endpoint of its own: the shape of that endpoint, for messages.</summary>
    public string EndpointShape { get; init; } = "https://management.example.com/";

    /// <summary>
    /// For a service with an endpoint of its own: the end of every such host name (".devcenter.azure.com"), the only
    /// hosts to which Wait-OperationStatus -Uri sends the service's tokens unasked. Null for Resource Manager services,
    /// and a description of an endpoint service without one is refused.
    /// </summary>
    public string? HostSuffix { get; init; }

    /// <summary>Words of the service's URLs that are not in its path template (the generic async-operation paths).</summary>
    public IReadOnlyList<string> PathWords { get; init; } = Array.Empty<string>();

    /// <summary>The status path below the root; empty for AsyncOperation, whose URLs come whole.</summary>
    public PathTemplate Path { get; init; } = PathTemplate.None;

    /// <summary>The rule of each named segment of the path.</summary>
    public IReadOnlyDictionary<string, SegmentRule> Segments { get; init; } = new Dictionary<string, SegmentRule>();

    public string DefaultApiVersion { get; init; } = string.Empty;

    /// <summary>The stable api-versions of the service's operation-status call, newest first.</summary>
    public IReadOnlyList<string> KnownApiVersions { get; init; } = Array.Empty<string>();

    /// <summary>The token scope of a data-plane service; null for Resource Manager services, whose scope follows the cloud.</summary>
    public string? FixedScope { get; init; }

    /// <summary>The status words that end an operation of this service.</summary>
    public StatusVocabulary Vocabulary { get; init; } = StatusVocabulary.Azure;

    /// <summary>Response fields this service names differently from the common shape: its name, then the common name (both case-insensitive).</summary>
    public IReadOnlyDictionary<string, string> FieldAliases { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True when a response without a status field is read by the Location-header contract:
    /// 202 means the operation still runs; 200, 201 or 204 mean it succeeded.
    /// </summary>
    public bool AcceptsLocationContract { get; init; }

    /// <summary>What names an operation of this service, for the advice of a 404: "the operation id, the location and the subscription id".</summary>
    public string Identifiers { get; init; } = "the operation id";

    /// <summary>Where a role that reads operations is given, for the advice of a 403: "the subscription", "the project".</summary>
    public string ReadScope { get; init; } = "the resource";

    /// <summary>True for Resource Manager (control-plane) services, whose scope follows the cloud.</summary>
    public bool IsResourceManager => FixedScope is null;

    /// <summary>The segment that holds the operation id: the last one of the path.</summary>
    public string OperationSegment => Path.Names.Last();

    /// <summary>The token scope for this service in a cloud.</summary>
    public string ScopeIn(AzureCloud cloud) => FixedScope ?? cloud.ResourceManagerScope;

    /// <summary>True when a host is one of this service's own endpoints by its host rule: never for a description without one.</summary>
    public bool OwnsHost(string host) =>
        Root == ServiceRoot.ServiceEndpoint && IsHostRule(HostSuffix)
        && host.Length > HostSuffix!.Length && host.EndsWith(HostSuffix, StringComparison.OrdinalIgnoreCase);

    /// <summary>A host rule narrow enough to name one service's hosts: ".devcenter.azure.com", never ".azure.com" or "".</summary>
    private static bool IsHostRule(string? suffix) =>
        suffix is not null && System.Text.RegularExpressions.Regex.IsMatch(suffix, @"^(\.[a-z0-9-]+){3,}$");

    /// <summary>The Get cmdlet that reads this service: Get-CacheOperationStatus.</summary>
    public string CommandName => "Get-" + Name + "OperationStatus";

    public override string ToString() => Name;

    /// <summary>The service whose Get cmdlet a command name is (Get-CacheOperationStatus, or OpStatus\Get-CacheOperationStatus).</summary>
    public static AzureService? ForCommand(string commandName) =>
        All.FirstOrDefault(s => commandName.EndsWith(s.CommandName, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The service an async-operation URL belongs to, when its path ends in one of the services' status paths;
    /// AsyncOperation (which also reads the Location-header contract) otherwise.
    /// </summary>
    public static AzureService Recognize(Uri uri, IReadOnlyList<AzureService>? services = null) =>
        (services ?? All).FirstOrDefault(s => s.Path.Matches(uri)) ?? AsyncOperation;
}

/// <summary>
/// A path with named segments, "projects/{ProjectName}/operationstatuses/{OperationId}". Filling it escapes
/// every value whole, so that no value ('../x', 'a?b', 'a#b', '%2F') can change which path is requested.
/// </summary>
internal sealed class PathTemplate
{
    public static readonly PathTemplate None = new(string.Empty);

    private readonly string[] parts;

    public PathTemplate(string text)
    {
        Text = text;
        parts = text.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
    }

    public string Text { get; }

    /// <summary>The named segments, in path order.</summary>
    public IEnumerable<string> Names => parts.Where(IsName).Select(p => p.Substring(1, p.Length - 2));

    /// <summary>The fixed segments, in path order.</summary>
    public IEnumerable<string> FixedParts => parts.Where(p => !IsName(p));

    /// <summary>What makes this template unfit for a status path: empty, an empty or half-named segment, a name twice, no operation id last.</summary>
    public IEnumerable<string> Problems()
    {
        if (parts.Length == 0 || Text.Split('/').Any(p => p.Length == 0))
        {
            yield return $"the path template '{Text}' is empty or has an empty segment.";
            yield break;
        }

        foreach (var part in parts.Where(p => !IsName(p) && (p.IndexOfAny(new[] { '{', '}', '?', '#', '%' }) >= 0)))
        {
            yield return $"the path segment '{part}' is neither a word nor a whole {{Name}}.";
        }

        foreach (var name in Names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            yield return $"the path names {{{name.Key}}} twice.";
        }

        if (!IsName(parts[parts.Length - 1]))
        {
            yield return "the path does not end in the operation id's {Name}.";
        }
    }

    public Uri Compose(Uri root, IReadOnlyDictionary<string, string> values, string apiVersion)
    {
        var builder = new System.Text.StringBuilder(AzureCloud.EnsureTrailingSlash(root).AbsoluteUri);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            builder.Append(i > 0 ? "/" : string.Empty)
                .Append(IsName(part) ? Uri.EscapeDataString(values[part.Substring(1, part.Length - 2)]) : part);
        }

        builder.Append("?api-version=").Append(Uri.EscapeDataString(apiVersion));
        return new Uri(builder.ToString());
    }

    /// <summary>True when the URL's path ends in this template: its fixed segments equal (case-insensitively), one segment for each name.</summary>
    public bool Matches(Uri uri)
    {
        var segments = uri.AbsolutePath.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || segments.Length < parts.Length)
        {
            return false;
        }

        var offset = segments.Length - parts.Length;
        for (var i = 0; i < parts.Length; i++)
        {
            if (!IsName(parts[i]) && !string.Equals(parts[i], segments[offset + i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Text;

    private static bool IsName(string part) => part.Length > 2 && part[0] == '{' && part[part.Length - 1] == '}';
}

/// <summary>What a path segment must be before any request is made, and the error id of a value that is not.</summary>
internal sealed class SegmentRule
{
    private const string ResourceManagerOperationIdExample = "713192d7-503f-477a-9cfe-4efc3ee2bd11";

    public static readonly SegmentRule SubscriptionId = new("InvalidSubscriptionId", InputValidation.CheckSubscriptionId);

    public static readonly SegmentRule Location = new("InvalidLocation", InputValidation.CheckLocation, InputValidation.NormalizeLocation);

    public static readonly SegmentRule DevCenterProjectName = new("InvalidProjectName", InputValidation.CheckDevCenterProjectName);

    public static readonly SegmentRule DevCenterOperationId = new(
        "InvalidOperationId",
        value => InputValidation.CheckNotAUrl(value, "operation id") ?? InputValidation.CheckDevCenterOperationId(value));

    private SegmentRule(string errorId, Func<string?, string?> check, Func<string, string>? normalize = null)
    {
        ErrorId = errorId;
        Check = check;
        Normalize = normalize ?? (value => value);
    }

    /// <summary>The end of the error id of a refused value: InvalidLocation.</summary>
    public string ErrorId { get; }

    /// <summary>Null for a good value; otherwise a sentence saying what is wrong and what to give instead.</summary>
    public Func<string?, string?> Check { get; }

    /// <summary>The form the value takes in the path ('West US' becomes 'westus').</summary>
    public Func<string, string> Normalize { get; }

    /// <summary>A Resource Manager operation id, named in messages as <paramref name="what"/>.</summary>
    public static SegmentRule ResourceManagerOperationId(string what) => new(
        "InvalidOperationId",
        value => InputValidation.CheckNotAUrl(value, what) ?? InputValidation.CheckResourceManagerSegment(value, what, ResourceManagerOperationIdExample));
}
