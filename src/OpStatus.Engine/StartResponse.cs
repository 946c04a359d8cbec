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
    /// <param name="method">The method of that request (PUT, PATCH, POST, DELETE), when known.</param>
    public StartResponse(int? statusCode, IReadOnlyDictionary<string, string> headers, string? content, Uri? requestUri, string? method = null)
    {
        StatusCode = statusCode;
        this.headers = headers;
        Content = content;
        RequestUri = requestUri;
        Method = method?.Trim().ToUpperInvariant();
    }

    public string? Method { get; }

    /// <summary>
    /// Where the resource is read once the operation succeeded, by Resource Manager's rules (final-state-via): the
    /// request's own URL after a PUT or PATCH; the Location URL after a POST, when there is one and it was not the URL
    /// polled (that one's last answer is the resource already); nothing after a DELETE. Null, with the reason for
    /// -Verbose, when there is nothing to read.
    /// </summary>
    public Uri? FinalResource(out string reason)
    {
        var polled = PollHeader()?.Header;
        switch (Method)
        {
            case "PUT" or "PATCH":
                reason = RequestUri is null ? "the URL of the request is not known (pipe the whole response, not its headers)" : string.Empty;
                return RequestUri;
            case "POST" when polled != "Location" && Header("Location") is { } location && Uri.TryCreate(location, UriKind.Absolute, out var result):
                reason = string.Empty;
                return result;
            case "POST":
                reason = polled == "Location" ? "the Location URL polled gives it" : "the response has no Location header";
                return null;
            case "DELETE":
                reason = "a DELETE leaves no resource";
                return null;
            case null:
                reason = "the method of the request is not known (pipe the whole response, not its headers)";
                return null;
            default:
                reason = $"a {Method} has no resource to read";
                return null;
        }
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

    /// <summary>
    /// What waiting on this response means: a URL to poll (after its Retry-After); a result the response itself
    /// holds; or a refusal that says why there is nothing to wait on. Never holds the response itself, whose
    /// request may still carry the Authorization header.
    /// </summary>
    public StartOutcome Decide(SignIn signIn)
    {
        if (PollHeader() is { } header)
        {
            return Uri.TryCreate(header.Value, UriKind.Absolute, out var uri)
                ? new StartOutcome(StartOutcomeKind.Poll) { PollUri = uri, Header = header.Header, RetryAfter = RetryAfter }
                : Refused(StartOutcomeKind.InvalidHeader, "InvalidOperationHeader", $"The {header.Header} header of the response, '{InputValidation.Printable(header.Value)}', is not an absolute URL, so there is nothing to poll.", header.Value);
        }

        var names = string.Join(", ", OperationHeaders);
        if (IsCompleted)
        {
            var requestUri = RequestUri ?? new Uri("about:blank");
            var request = new OperationRequest(AzureService.AsyncOperation, AzureCloud.Public, requestUri, string.Empty, signIn.CredentialFor(AzureCloud.Public), AsyncOperationUri.OperationIdOf(requestUri));
            var completed = Completed(request);
            return completed.IsTerminal
                ? new StartOutcome(StartOutcomeKind.Done) { Request = request, Status = completed, Note = $"The response ({StatusCode}) carries none of {names}: the operation completed in the request itself." }
                // A 200/201 whose resource is still provisioning, with nothing to poll: say so rather than call it done.
                : Refused(StartOutcomeKind.NoOperation, "NoOperationHeader", Sentences.Join($"The response ({StatusCode}) carries none of the headers {names}, and the resource reports provisioningState {completed.Status}, so it has not finished", "Read the resource again until its provisioningState is Succeeded, Failed or Canceled."), RequestUri);
        }

        var said = StatusCode is { } code ? $"The response ({code})" : "The response";
        var error = Error();
        var reason = error is null ? null : $"The service said: {error}";
        var failed = StatusCode is >= 400;
        var message = Sentences.Join($"{said} carries none of the headers {names}, so there is no operation to wait on", reason, failed ? null : "Pipe the response of the request that started the operation (201 or 202), or give its URL with -Uri");
        return failed
            ? Refused(StartOutcomeKind.RequestFailed, "RequestFailed", message, RequestUri, error?.Code)
            : Refused(StartOutcomeKind.NoOperation, "NoOperationHeader", message, RequestUri);
    }

    private static StartOutcome Refused(StartOutcomeKind kind, string errorId, string message, object? target, string? serverCode = null) =>
        new(kind) { Invalid = new InvalidInput(errorId, message, target), ServerCode = serverCode };

    /// <summary>How long to wait before the first poll, as the response asked.</summary>
    public TimeSpan? RetryAfter => RetryAfterHeader.Of(Header, DateTimeOffset.UtcNow);

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

/// <summary>What a start response leads to.</summary>
internal enum StartOutcomeKind
{
    /// <summary>Poll PollUri, after RetryAfter.</summary>
    Poll,

    /// <summary>The operation ended in the request itself: Status is final.</summary>
    Done,

    /// <summary>The operation header is not a URL.</summary>
    InvalidHeader,

    /// <summary>No operation header, and the response does not say the operation ended.</summary>
    NoOperation,

    /// <summary>The request that should have started the operation failed (4xx, 5xx).</summary>
    RequestFailed,
}

/// <summary>The decision about one start response (see <see cref="StartResponse.Decide"/>).</summary>
internal sealed class StartOutcome
{
    public StartOutcome(StartOutcomeKind kind) => Kind = kind;

    public StartOutcomeKind Kind { get; }

    public Uri? PollUri { get; set; }

    /// <summary>The header PollUri came from.</summary>
    public string? Header { get; set; }

    public TimeSpan? RetryAfter { get; set; }

    public OperationRequest? Request { get; set; }

    public OperationStatus? Status { get; set; }

    /// <summary>A Verbose line about a Done outcome.</summary>
    public string? Note { get; set; }

    /// <summary>For the refusals: the end of the error id, the message and the target (a URL or the header's value).</summary>
    public InvalidInput? Invalid { get; set; }

    /// <summary>The error code of a failed start request, when its body has one.</summary>
    public string? ServerCode { get; set; }
}
