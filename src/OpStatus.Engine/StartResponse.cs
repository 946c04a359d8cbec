using System;
using System.Collections.Generic;
using System.Text;

namespace OpStatus.Engine;

/// <summary>
/// The response of the request that started an operation (a PUT, POST, PATCH or DELETE answered 200, 201, 202
/// or 204), as far as waiting needs it: where to poll, how long to wait first, or the result when it is done.
/// </summary>
internal sealed class StartResponse
{
    /// <summary>The headers that say where to poll, in the order of the ARM contract.</summary>
    public static readonly IReadOnlyList<string> OperationHeaders = new[] { "Azure-AsyncOperation", "Operation-Location", "Location" };

    private readonly IReadOnlyDictionary<string, string> headers;

    /// <param name="statusCode">The HTTP status, or null when only headers are known.</param>
    /// <param name="headers">The response headers, first value of each, names compared ignoring case.</param>
    /// <param name="content">The body, when known.</param>
    /// <param name="requestUri">The URL of the request that started the operation, when known.</param>
    public StartResponse(int? statusCode, IReadOnlyDictionary<string, string> headers, string? content, Uri? requestUri)
    {
        StatusCode = statusCode;
        this.headers = headers;
        Content = content;
        RequestUri = requestUri;
    }

    public int? StatusCode { get; }

    public string? Content { get; }

    public Uri? RequestUri { get; }

    /// <summary>The header to poll and its value, by precedence, or null when the response carries none.</summary>
    public (string Header, string Value)? PollHeader()
    {
        foreach (var name in OperationHeaders)
        {
            if (Header(name) is { } value)
            {
                return (name, value);
            }
        }

        return null;
    }

    /// <summary>How long to wait before the first poll, as the response asked.</summary>
    public TimeSpan? RetryAfter => OperationStatusReader.RetryAfter(Header);

    /// <summary>True when the status code says the operation already ended well (200, 201, 204).</summary>
    public bool IsCompleted => StatusCode is 200 or 201 or 204;

    /// <summary>The final status of an operation that completed in the response itself: Succeeded, with the body as Properties.</summary>
    public OperationStatus Completed(OperationRequest request)
    {
        var status = request.NewStatus();
        status.RetrievedAt = DateTimeOffset.UtcNow;
        status.RequestId = Header("x-ms-request-id");
        status.CorrelationRequestId = Header("x-ms-correlation-request-id");
        if (!StatusParser.TryFillFromLocationContract(status, StatusCode ?? 200, Body()))
        {
            // A body that is not JSON still means done: keep the status, without Properties.
            status.Status = "Succeeded";
        }

        // A resource body says how far it got: properties.provisioningState (Creating, Failed, ...) is the status.
        if (status.Properties is { } resource && resource.TryGetValue("properties", out var inner)
            && inner is IDictionary<string, object?> properties && properties.TryGetValue("provisioningState", out var state)
            && state is string { Length: > 0 } provisioning)
        {
            status.Status = provisioning;
        }

        return status;
    }

    /// <summary>The error a failed response's body carries, when it carries one.</summary>
    public OperationError? Error() => StatusParser.ParseErrorBody(Body());

    private ReadOnlyMemory<byte> Body() => Content is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(Content);

    private string? Header(string name) =>
        headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
