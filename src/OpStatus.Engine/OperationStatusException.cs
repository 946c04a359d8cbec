using System;

namespace OpStatus.Engine;

/// <summary>What went wrong when reading an operation status.</summary>
public enum FailureKind
{
    /// <summary>The service answered with an HTTP error status.</summary>
    Http,

    /// <summary>The service could not be reached, or the connection failed.</summary>
    Network,

    /// <summary>The service did not answer in time.</summary>
    Timeout,

    /// <summary>No token could be had for the request.</summary>
    Authentication,

    /// <summary>The service answered 2xx, but not with an operation status.</summary>
    InvalidResponse,

    /// <summary>The host name of the URL could not be resolved (not retried: it will not resolve on the next try).</summary>
    NameResolution,

    /// <summary>The server's TLS certificate was not trusted (not retried).</summary>
    Certificate,

    /// <summary>Something failed that OpStatus did not foresee; reported for that operation alone.</summary>
    Unexpected,
}

/// <summary>
/// A failure to read an operation status, with what a user needs to act on it or to ask support:
/// the server's code and message, the HTTP status and the request ids. Never holds a token.
/// </summary>
public sealed class OperationStatusException : Exception
{
    public OperationStatusException(FailureKind kind, string message, OperationRequest request, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Request = request;
    }

    public FailureKind Kind { get; }

    public OperationRequest Request { get; }

    /// <summary>The HTTP status code, for Http failures.</summary>
    public int? StatusCode { get; internal set; }

    /// <summary>The service's error code (x-ms-error-code or the body's code), when it sent one.</summary>
    public string? ErrorCode { get; internal set; }

    /// <summary>The service's error message, when it sent one.</summary>
    public string? ServerMessage { get; internal set; }

    /// <summary>The service's error object, when it sent one.</summary>
    public OperationError? Error { get; internal set; }

    public string? RequestId { get; internal set; }

    public string? CorrelationRequestId { get; internal set; }

    /// <summary>How long to wait before asking again, when the service said so.</summary>
    public TimeSpan? RetryAfter { get; internal set; }
}
