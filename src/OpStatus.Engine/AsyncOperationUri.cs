using System;
using System.Collections.Generic;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>
/// The hosts, besides the Resource Manager of the known clouds and the services' own host rules, that a command was
/// told may receive tokens: -ResourceManagerEndpoint (another cloud's Resource Manager) and -Endpoint (a service
/// endpoint outside its service's host rule).
/// </summary>
internal sealed class TrustedHosts
{
    public static readonly TrustedHosts None = new(null, null);

    public TrustedHosts(Uri? resourceManagerEndpoint, Uri? serviceEndpoint)
    {
        ResourceManagerEndpoint = resourceManagerEndpoint;
        ServiceEndpoint = serviceEndpoint;
    }

    public Uri? ResourceManagerEndpoint { get; }

    public Uri? ServiceEndpoint { get; }
}

/// <summary>
/// Decides whether a token may be sent to an async-operation URL, and for which scope: only to the Resource Manager
/// host of a known cloud, to the -ResourceManagerEndpoint given, to a host a service's host rule names, or to the
/// -Endpoint given, for the service whose status path the URL has (or whose host rule the endpoint's host meets).
/// Anything else is refused before a token is sent.
/// </summary>
internal static class AsyncOperationUri
{
    /// <summary>
    /// The refusal of input that holds no operation URL: an empty URL, or an object that is no status, response or URL,
    /// most often the body Invoke-RestMethod returns.
    /// </summary>
    public static InvalidInput NoOperationUrl(Uri? given) => new(
        "NoOperationUrl",
        given is not null
            ? "Wait-OperationStatus was given an empty URL. Give the URL of the Azure-AsyncOperation, Operation-Location or Location header of the response that started the operation."
            : "Wait-OperationStatus was given an object that is no status, response or URL, such as the body Invoke-RestMethod returns. A response body carries no operation URL; the response's headers do. Pipe what Invoke-WebRequest returns, which holds them, or, in PowerShell 7, keep the headers of Invoke-RestMethod and pipe those: Invoke-RestMethod ... -ResponseHeadersVariable h, then $h | Wait-OperationStatus.",
        given);

    /// <summary>
    /// The request that polls an async-operation URL, or null and why it may not be polled: it is not a URL
    /// (an operation id given where a URL belongs), or tokens may not go to its host.
    /// </summary>
    public static OperationRequest? RequestFor(Uri uri, TrustedHosts trusted, SignIn signIn, out InvalidInput? invalid)
    {
        if (uri is { IsAbsoluteUri: false } && string.IsNullOrWhiteSpace(uri.OriginalString))
        {
            invalid = NoOperationUrl(uri);
            return null;
        }

        if (uri is { IsAbsoluteUri: false })
        {
            var given = InputValidation.Printable(uri.OriginalString);
            invalid = new InvalidInput(
                "UntrustedUri",
                $"'{given}' is not a URL. Wait-OperationStatus waits on what {GetCommands()} write, or on async-operation URLs (-Uri). To wait on an operation id, read it first and pipe the status in, for example: {AzureService.Cache.CommandName} -SubscriptionId <subscription> -Location <region> -OperationId '{given}' | Wait-OperationStatus.",
                uri);
            return null;
        }

        if (Resolve(uri, trusted, AzureService.All, out var cloud, out var service, out var scope) is { } refused)
        {
            invalid = new InvalidInput("UntrustedUri", refused, uri);
            return null;
        }

        invalid = null;
        return new OperationRequest(service, cloud, uri, scope, signIn.CredentialFor(cloud), OperationIdOf(uri));
    }

    /// <summary>The Get cmdlets, in a sentence: "Get-A, Get-B and Get-C".</summary>
    private static string GetCommands() => Listed(AzureService.All.Select(s => s.CommandName).ToList(), "and");

    /// <summary>
    /// Returns null, and the cloud, the service and the scope to use, when the URL may be polled; otherwise a sentence
    /// that says why not and what to do.
    /// </summary>
    public static string? Resolve(Uri? uri, TrustedHosts trusted, IReadOnlyList<AzureService> services, out AzureCloud cloud, out AzureService service, out string scope)
    {
        cloud = AzureCloud.Public;
        service = AzureService.AsyncOperation;
        scope = string.Empty;
        if (InputValidation.CheckOperationUrl(uri) is { } problem)
        {
            return problem;
        }

        var url = uri!; // CheckOperationUrl refuses null.
        var endpointServices = services.Where(s => s.Root == ServiceRoot.ServiceEndpoint).ToList();
        var recognized = AzureService.Recognize(url, services);
        foreach (var name in AzureCloud.KnownNames)
        {
            var known = AzureCloud.FindByName(name)!;
            if (SameAuthority(url, known.ResourceManagerEndpoint))
            {
                (cloud, service, scope) = (known, ResourceManagerOrGeneric(recognized), known.ResourceManagerScope);
                return null;
            }
        }

        if (trusted.ResourceManagerEndpoint is { } resourceManager && SameAuthority(url, resourceManager))
        {
            cloud = AzureCloud.Custom(resourceManager);
            (service, scope) = (ResourceManagerOrGeneric(recognized), cloud.ResourceManagerScope);
            return null;
        }

        // A host a service's own host rule names: the longest rule that matches, so that no shorter one can claim it.
        if (endpointServices.Where(s => s.OwnsHost(url.Host)).OrderByDescending(s => s.HostSuffix!.Length).FirstOrDefault() is { } owner)
        {
            (service, scope) = (owner, owner.ScopeIn(AzureCloud.Public));
            return null;
        }

        if (trusted.ServiceEndpoint is { } endpoint && SameAuthority(url, endpoint))
        {
            // -Endpoint names a host, not a service: the URL's status path says which (or the endpoint's host rule); when
            // neither does, no service's token is sent.
            var byPath = recognized.Root == ServiceRoot.ServiceEndpoint ? recognized : null;
            if ((byPath ?? endpointServices.FirstOrDefault(s => s.OwnsHost(endpoint.Host))) is { } named)
            {
                (service, scope) = (named, named.ScopeIn(AzureCloud.Public));
                return null;
            }

            return $"The URL '{InputValidation.Printable(InputValidation.Display(url))}' is on -Endpoint, but its path is not the status path of {Names(endpointServices, "or")}, so it is not known which service's token it takes, and none is sent. "
                + "Give the URL from the Operation-Location or Azure-AsyncOperation header as the service returned it.";
        }

        return $"The host '{InputValidation.Printable(url.Authority)}' of the URL is not the Resource Manager of a known cloud nor an endpoint of {Names(endpointServices, "or")}, so no token is sent to it. "
            + $"For another cloud's Resource Manager give -ResourceManagerEndpoint with that host; for {Sentences.Article(FirstName(endpointServices))} {FirstName(endpointServices)} endpoint on another host give -Endpoint.";
    }

    /// <summary>A URL on Resource Manager belongs to a Resource Manager service, or to none: never an endpoint service's.</summary>
    private static AzureService ResourceManagerOrGeneric(AzureService recognized) =>
        recognized.Root == ServiceRoot.ResourceManager ? recognized : AzureService.AsyncOperation;

    private static string FirstName(IReadOnlyList<AzureService> services) => services.Count > 0 ? services[0].Name : "service";

    /// <summary>"DevCenter", "DevCenter or Batch", "A, B or C".</summary>
    private static string Names(IReadOnlyList<AzureService> services, string conjunction) =>
        services.Count == 0 ? "no service" : Listed(services.Select(s => s.Name).ToList(), conjunction);

    /// <summary>"A", "A and B", "A, B and C" (or "or"); at least one name.</summary>
    private static string Listed(IReadOnlyList<string> names, string conjunction) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + $" {conjunction} " + names[names.Count - 1];

    /// <summary>The operation id of an async-operation URL: its last path segment, unescaped.</summary>
    public static string OperationIdOf(Uri uri)
    {
        var path = uri.AbsolutePath.TrimEnd('/');
        var last = path.Substring(path.LastIndexOf('/') + 1);
        return Uri.UnescapeDataString(last);
    }

    private static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
