using System;
using System.Linq;
using System.Runtime.CompilerServices;

namespace OpStatus.Engine;

/// <summary>
/// Everything needed to read one operation status, and to read it again: the service, the full URL,
/// the token scope and the credential. Built once from the cmdlet's parameters.
/// </summary>
internal sealed class OperationRequest
{
    /// <summary>The request each status was read with; held beside the status, not in it, so the output type stays free of engine types.</summary>
    private static readonly ConditionalWeakTable<OperationStatus, OperationRequest> ReadWith = new();

    public OperationRequest(AzureService service, AzureCloud cloud, Uri uri, string scope, AuthenticatedPipelines credential, string operationId)
    {
        Service = service;
        Cloud = cloud;
        Uri = uri;
        Scope = scope;
        Credential = credential;
        OperationId = operationId;
    }

    public AzureService Service { get; }

    /// <summary>The cloud whose authority signs in for this request.</summary>
    public AzureCloud Cloud { get; }

    public Uri Uri { get; }

    public string Scope { get; }

    public AuthenticatedPipelines Credential { get; }

    /// <summary>The operation id as the user gave it.</summary>
    public string OperationId { get; }

    /// <summary>The request a status was read with, to read it again the same way.</summary>
    public static OperationRequest Of(OperationStatus status) =>
        ReadWith.TryGetValue(status, out var request) ? request : throw new InvalidOperationException("The status was not read by OpStatus.");

    /// <summary>The request a status was read with; false for a status OpStatus did not read in this session.</summary>
    public static bool TryOf(OperationStatus status, out OperationRequest request)
    {
        var found = ReadWith.TryGetValue(status, out var readWith);
        request = readWith!;
        return found;
    }

    /// <summary>The same request with another api-version in its URL.</summary>
    public OperationRequest WithApiVersion(string apiVersion)
    {
        var builder = new UriBuilder(Uri);
        var pairs = builder.Query.TrimStart('?').Split(new[] { '&' }, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("api-version=", StringComparison.OrdinalIgnoreCase))
            .Concat(new[] { "api-version=" + Uri.EscapeDataString(apiVersion) });
        builder.Query = string.Join("&", pairs);
        return new OperationRequest(Service, Cloud, builder.Uri, Scope, Credential, OperationId);
    }

    /// <summary>A new, empty status of this request's operation, remembered as read with this request.</summary>
    public OperationStatus NewStatus()
    {
        var status = new OperationStatus(Service.Name, Service.Vocabulary, OperationId, Uri);
        ReadWith.Add(status, this);
        return status;
    }

    /// <summary>A failure of this request, for the ErrorRecord of its item.</summary>
    public OperationStatusException Failure(FailureKind kind, string message, Exception? innerException = null) =>
        new(kind, message, Service.Name, OperationId, Uri, innerException) { IsTransient = FailureClassifier.IsTransient(kind, retriedByPipeline: false) };

    /// <summary>The same request, made with another credential.</summary>
    public OperationRequest WithCredential(AuthenticatedPipelines credential) => new(Service, Cloud, Uri, Scope, credential, OperationId);

    public override string ToString() => $"{Service.Name} {Uri.AbsoluteUri}";
}
