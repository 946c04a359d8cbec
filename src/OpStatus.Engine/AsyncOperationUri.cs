using System;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>
/// Decides whether a token may be sent to an async-operation URL, and for which scope: only to the Resource
/// Manager host of a known cloud, to the -ResourceManagerEndpoint given, or to a Dev Center endpoint.
/// </summary>
internal static class AsyncOperationUri
{
    /// <summary>
    /// The request that polls an async-operation URL, or null and why it may not be polled: it is not a URL
    /// (an operation id given where a URL belongs), or tokens may not go to its host.
    /// </summary>
    public static OperationRequest? RequestFor(Uri uri, Uri? resourceManagerEndpoint, Uri? devCenterEndpoint, Func<AzureCloud, AuthenticatedPipelines> signIn, out InvalidInput? invalid)
    {
        if (uri is { IsAbsoluteUri: false })
        {
            var given = InputValidation.Printable(uri.OriginalString);
            invalid = new InvalidInput(
                "UntrustedUri",
                $"'{given}' is not a URL. Wait-OperationStatus waits on what {GetCommands()} write, or on async-operation URLs (-Uri). To wait on an operation id, read it first and pipe the status in, for example: {AzureService.Cache.CommandName} -SubscriptionId <subscription> -Location <region> -OperationId '{given}' | Wait-OperationStatus.",
                uri);
            return null;
        }

        if (Resolve(uri, resourceManagerEndpoint, devCenterEndpoint, out var cloud, out var scope) is { } refused)
        {
            invalid = new InvalidInput("UntrustedUri", refused, uri);
            return null;
        }

        invalid = null;
        return new OperationRequest(AzureService.Recognize(uri), cloud, uri, scope, signIn(cloud), OperationIdOf(uri));
    }

    /// <summary>The Get cmdlets, in a sentence: "Get-A, Get-B and Get-C".</summary>
    private static string GetCommands()
    {
        var names = AzureService.All.Select(s => s.CommandName).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[names.Count - 1];
    }

    /// <summary>
    /// Returns null and the cloud and scope to use when the URL may be polled; otherwise a sentence that says
    /// why not and what to do.
    /// </summary>
    public static string? Resolve(Uri? uri, Uri? resourceManagerEndpoint, Uri? devCenterEndpoint, out AzureCloud cloud, out string scope)
    {
        cloud = AzureCloud.Public;
        scope = string.Empty;
        if (InputValidation.CheckOperationUrl(uri) is { } problem)
        {
            return problem;
        }

        var url = uri!; // CheckOperationUrl refuses null.
        foreach (var name in AzureCloud.KnownNames)
        {
            var known = AzureCloud.FindByName(name)!;
            if (SameAuthority(url, known.ResourceManagerEndpoint))
            {
                cloud = known;
                scope = known.ResourceManagerScope;
                return null;
            }
        }

        if (resourceManagerEndpoint is not null && SameAuthority(url, resourceManagerEndpoint))
        {
            cloud = AzureCloud.Custom(resourceManagerEndpoint);
            scope = cloud.ResourceManagerScope;
            return null;
        }

        foreach (var service in AzureService.All)
        {
            if (service.Root == ServiceRoot.ServiceEndpoint
                && (url.Host.EndsWith(service.HostSuffix, StringComparison.OrdinalIgnoreCase) || (devCenterEndpoint is not null && SameAuthority(url, devCenterEndpoint))))
            {
                scope = service.ScopeIn(AzureCloud.Public);
                return null;
            }
        }

        return $"The host '{InputValidation.Printable(url.Authority)}' of -Uri is not the Resource Manager of a known cloud nor a Dev Center endpoint, so no token is sent to it. "
            + "For another cloud's Resource Manager give -ResourceManagerEndpoint with that host; for a Dev Center endpoint give -Endpoint.";
    }

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
