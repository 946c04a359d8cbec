using System;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Core;

namespace OpStatus.Engine;

/// <summary>
/// The categories OpStatus's errors use: PowerShell's ErrorCategory values, by the same names and numbers, which the
/// engine cannot name (it has no PowerShell types).
/// </summary>
internal enum FailureCategory
{
    NotSpecified = 0,
    InvalidArgument = 5,
    InvalidData = 6,
    InvalidOperation = 7,
    InvalidResult = 8,
    NotImplemented = 11,
    ObjectNotFound = 13,
    OperationStopped = 14,
    OperationTimeout = 15,
    PermissionDenied = 18,
    ResourceBusy = 19,
    ResourceUnavailable = 21,
    SecurityError = 25,
    ConnectionError = 27,
    AuthenticationError = 28,
    LimitsExceeded = 29,
}

/// <summary>One error a command writes: the exception, the end of its error id (after the command's name), its category and target.</summary>
internal sealed class CommandError
{
    public CommandError(Exception exception, string errorId, FailureCategory category, object? target, bool endsCommand = false)
    {
        Exception = exception;
        ErrorId = errorId;
        Category = category;
        Target = target;
        EndsCommand = endsCommand;
    }

    public Exception Exception { get; }

    /// <summary>The end of the error id: Http404.OperationNotFound, InvalidLocation.</summary>
    public string ErrorId { get; }

    public FailureCategory Category { get; }

    public object? Target { get; }

    /// <summary>True when nothing else can go on (no token can be had): the command ends with this error.</summary>
    public bool EndsCommand { get; }

    /// <summary>The error of a value refused before any request.</summary>
    public static CommandError Refused(InvalidInput invalid, FailureCategory category = FailureCategory.InvalidArgument, string idSuffix = "") =>
        new(new ArgumentException(invalid.Message), invalid.ErrorId + idSuffix, category, invalid.Target);
}

/// <summary>
/// The one place that says what a failure is: whether it may pass if asked again later, which category and error id it
/// gets, and what its message advises. Get, Wait and the messages all ask here. For an HTTP answer, "may pass" is what
/// the pipeline's own ResponseClassifier decided when the answer came: exactly the answers the pipeline retried.
/// </summary>
internal static class FailureClassifier
{
    /// <summary>Whether the pipeline retries this answer (Azure.Core: 408, 429, 500, 502, 503 and 504).</summary>
    public static bool IsRetriable(HttpMessage message) => message.ResponseClassifier.IsRetriableResponse(message);

    /// <summary>
    /// Whether a failure may pass if the status is read again later: the network, a try that ran out of time, an answer a
    /// proxy may have garbled, and the HTTP answers the pipeline retries. Never a refused token, a name that does not
    /// resolve, an untrusted certificate, or an HTTP status the pipeline does not retry (a 404, a 501).
    /// </summary>
    public static bool IsTransient(FailureKind kind, bool retriedByPipeline) => kind switch
    {
        FailureKind.Network or FailureKind.Timeout or FailureKind.InvalidResponse => true,
        FailureKind.Http => retriedByPipeline,
        _ => false,
    };

    /// <summary>The error of a failed read: a category that fits, an id that names the server's code, the operation id as target.</summary>
    public static CommandError ErrorOf(OperationStatusException ex)
    {
        var (category, id) = ex.Kind switch
        {
            FailureKind.Authentication => (FailureCategory.AuthenticationError, "AuthenticationFailed"),
            FailureKind.Network => (FailureCategory.ConnectionError, "ConnectionFailed"),
            FailureKind.Timeout => (FailureCategory.OperationTimeout, "Timeout"),
            FailureKind.InvalidResponse => (FailureCategory.InvalidResult, "InvalidResponse"),
            FailureKind.NameResolution => (FailureCategory.ConnectionError, "NameNotResolved"),
            FailureKind.Certificate => (FailureCategory.SecurityError, "CertificateNotTrusted"),
            FailureKind.Unexpected => (FailureCategory.NotSpecified, "UnexpectedFailure"),
            _ => (CategoryOf(ex.StatusCode ?? 0), "Http" + ex.StatusCode + CodeSuffix(ex.ErrorCode)),
        };

        // Without a token no item can be read: that error ends the command.
        return new CommandError(ex, id, category, ex.OperationId, endsCommand: ex.Kind == FailureKind.Authentication);
    }

    /// <summary>The category of an HTTP error status.</summary>
    public static FailureCategory CategoryOf(int status) => status switch
    {
        400 => FailureCategory.InvalidArgument,
        401 => FailureCategory.AuthenticationError,
        403 => FailureCategory.PermissionDenied,
        404 or 410 => FailureCategory.ObjectNotFound,
        408 => FailureCategory.OperationTimeout,
        409 => FailureCategory.ResourceBusy,
        429 => FailureCategory.LimitsExceeded,
        501 => FailureCategory.NotImplemented,
        >= 500 => FailureCategory.ResourceUnavailable,
        >= 300 and < 400 => FailureCategory.InvalidResult,
        _ => FailureCategory.InvalidOperation,
    };

    /// <summary>What a message advises for an HTTP error status of a request; empty when there is nothing to add.</summary>
    public static string Advice(OperationRequest request, int status, bool transient) => status switch
    {
        401 => TokenRefused(request),
        403 => $"The identity lacks permission to read this operation: ask for a role with read access (Reader) on {request.Service.ReadScope}.",
        404 => $"Check {request.Service.Identifiers}: the operation may also have expired.",
        429 => "Azure is throttling requests: wait and try again, or make fewer calls.",
        >= 500 when transient => "The service had a problem: try again later.",
        >= 500 => "The service does not serve this request, so it was not tried again: check the URL and the api-version.",
        >= 300 and < 400 => "It redirects the request, which OpStatus never follows, so that no token leaves for another host: check the URL; a proxy may be sending its sign-in page.",
        _ => string.Empty,
    };

    /// <summary>What to do about a refused token: it depends on where the token came from, and on what names the endpoint.</summary>
    private static string TokenRefused(OperationRequest request)
    {
        var audience = request.Scope.EndsWith("/.default", StringComparison.Ordinal) ? request.Scope.Substring(0, request.Scope.Length - "/.default".Length) : request.Scope;
        if (request.Credential.IsStaticToken)
        {
            return $"The token given with -AccessToken was refused: it may have expired (such tokens last about an hour) or be for another audience. Get a fresh one for {audience}, for example with (Get-AzAccessToken -ResourceUrl {audience}).Token or az account get-access-token --resource {audience}.";
        }

        return $"The token was refused: sign in again (az login, Connect-AzAccount), or check {HostNamedBy(request.Service)}.";
    }

    /// <summary>What names the host of a service's requests, in words for advice: the parameters of its Get cmdlet, or the URL given to Wait.</summary>
    public static string HostNamedBy(AzureService service) =>
        service == AzureService.AsyncOperation ? "the URL"
        : service.Root == ServiceRoot.ServiceEndpoint ? "-Endpoint (or -DevCenterName)"
        : "-Environment or -ResourceManagerEndpoint";

    /// <summary>
    /// The advice of an answer that asks to wait longer than a read waits (a Retry-After of an hour): how long, and until
    /// when in local time, so that a shell or a script knows when to try again.
    /// </summary>
    public static string WaitLonger(TimeSpan asked, DateTimeOffset now) => string.Format(
        CultureInfo.InvariantCulture,
        "The service asks to wait {0} before the next request (Retry-After), longer than a read waits: try again after {1:yyyy-MM-dd HH:mm:ss} (local time, UTC{1:zzz}).",
        Heartbeat.Span(asked),
        now.Add(asked));

    /// <summary>".Code" to end an error id with a service's error code (only its safe characters), or nothing without one.</summary>
    public static string CodeSuffix(string? code)
    {
        if (code is not { Length: > 0 })
        {
            return string.Empty;
        }

        var safe = Regex.Replace(code, "[^A-Za-z0-9_.-]", string.Empty);
        return "." + (safe.Length > 64 ? safe.Substring(0, 64) : safe);
    }
}
