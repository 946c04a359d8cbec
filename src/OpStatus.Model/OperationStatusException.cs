using System;

namespace OpStatus;

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
/// Scripts catch it by name: catch [OpStatus.OperationStatusException].
/// </summary>
public sealed class OperationStatusException : Exception
{
    internal OperationStatusException(FailureKind kind, string message, string service, string operationId, Uri uri, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Service = service;
        OperationId = operationId;
        Uri = uri;
    }

    public FailureKind Kind { get; }

    /// <summary>The service that was asked, by the name in its Get cmdlet (Cache for Get-CacheOperationStatus), or AsyncOperation for any other URL.</summary>
    public string Service { get; }

    /// <summary>The operation id that was asked for.</summary>
    public string OperationId { get; }

    /// <summary>The URL that was read.</summary>
    public Uri Uri { get; }

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

    /// <summary>
    /// True when the failure may pass if the status is read again later (throttling, an outage, the network); false
    /// for one that will not (a 404, a refused token, a 501). Wait-OperationStatus keeps polling only after the first kind.
    /// </summary>
    public bool IsTransient { get; internal set; }
}
