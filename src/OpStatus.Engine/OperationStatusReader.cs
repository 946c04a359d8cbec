using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace OpStatus.Engine;

/// <summary>Reads one operation status over the shared pipeline.</summary>
internal static class OperationStatusReader
{
    /// <summary>
    /// GETs the status. Returns it on a 2xx whose body is an operation status; otherwise throws an
    /// OperationStatusException that says what went wrong. Throws OperationCanceledException when cancelled.
    /// </summary>
    /// <remarks>
    /// Asynchronous only: a read on the pipeline thread with Azure.Core's synchronous Send measured the same per call
    /// as this read on the thread pool with the pipeline thread waiting for it (bench/README.md, section 2).
    /// </remarks>
    public static async Task<OperationStatus> ReadAsync(OperationRequest request, IOperationLog? log, CancellationToken cancellationToken)
    {
        using var message = await SendAsync(request, log, freshToken: false, cancellationToken).ConfigureAwait(false);
        return StatusFrom(request, message);
    }

    /// <summary>
    /// GETs the resource an operation made or changed, once it succeeded: its body as a dictionary, or null for an empty
    /// body. Throws an OperationStatusException for an HTTP error or a body that is not a JSON object.
    /// </summary>
    public static async Task<IDictionary<string, object?>?> ReadResourceAsync(OperationRequest request, IOperationLog? log, CancellationToken cancellationToken)
    {
        using var message = await SendAsync(request, log, freshToken: false, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        var body = response.Content.ToMemory();
        if (response.Status < 200 || response.Status > 299)
        {
            var error = StatusParser.ParseErrorBody(body);
            var said = error is null ? string.Empty : $" {error.Code}: {error.Message}";
            var advice = response.Status switch
            {
                404 or 410 => "The resource may have been deleted or moved since the operation ended.",
                403 => "The identity may read the operation but not the resource: ask for read access (Reader) on the resource.",
                _ => FailureClassifier.Advice(request, response.Status, FailureClassifier.IsRetriable(message)),
            };
            var failure = request.Failure(
                FailureKind.Http,
                Sentences.Join($"GET {request.Uri.GetLeftPart(UriPartial.Path)} answered {response.Status} ({response.ReasonPhrase}){said}", advice) + RequestIds(Header(response, "x-ms-request-id"), Header(response, "x-ms-correlation-request-id")));
            failure.StatusCode = response.Status;
            failure.ErrorCode = error?.Code;
            failure.Error = error;
            throw failure;
        }

        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (StatusParser.ToValue(document.RootElement) is IDictionary<string, object?> resource)
            {
                return resource;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Said below.
        }

        throw request.Failure(FailureKind.InvalidResponse, $"GET {request.Uri.AbsoluteUri} answered {response.Status}, but its body ({body.Length} bytes) is not a JSON object, so it is not the resource. A proxy or gateway may have answered instead of Azure.");
    }

    /// <param name="freshToken">True for the one retry after a plain 401, on a pipeline that asks for a token anew.</param>
    private static async Task<HttpMessage> SendAsync(OperationRequest request, IOperationLog? log, bool freshToken, CancellationToken cancellationToken)
    {
        var pipeline = PipelineOf(request, freshToken);
        var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(request.Uri);
        message.Request.Headers.Add("Accept", "application/json");
        // The body is read by BoundedAnswerPolicy, bounded in size and time, not buffered whole by Azure.Core.
        message.BufferResponse = false;
        if (log is not null)
        {
            message.SetProperty(OpStatusPipeline.LogProperty, log);
        }

        try
        {
            await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            message.Dispose();
            throw SendFailure(request, ex);
        }
        catch
        {
            message.Dispose();
            throw;
        }

        var response = message.Response;
        // Azure.Core's bearer policy has already answered a claims challenge; a plain 401 gets one try with a
        // token asked for anew, the same rule for Get and Wait. A second 401 is the error.
        if (response.Status == 401 && !freshToken)
        {
            if (log is { VerboseEnabled: true })
            {
                log.Verbose($"The {request.Service.Name} service refused the token (401); asking {request.Credential.Description} for a token again and trying once more.");
            }

            message.Dispose();
            return await SendAsync(request, log, freshToken: true, cancellationToken).ConfigureAwait(false);
        }

        return message;
    }

    /// <summary>The pipeline of the request's credential and scope; a sign-in setting that Azure.Identity refuses is the request's Authentication failure.</summary>
    private static HttpPipeline PipelineOf(OperationRequest request, bool freshToken)
    {
        try
        {
            return freshToken ? request.Credential.FreshPipelineFor(request.Scope) : request.Credential.PipelineFor(request.Scope);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // Azure.Identity refuses its settings when the credential is made (AZURE_TOKEN_CREDENTIALS=NoSuchCredential).
            throw request.Failure(
                FailureKind.Authentication,
                Sentences.Join($"The sign-in settings of {request.Credential.Description} are not valid: {ex.Message}", "Check AZURE_TOKEN_CREDENTIALS and the other AZURE_* variables, or sign in another way (see Get-Help about_OpStatus)."),
                ex);
        }
    }

    /// <summary>What a send that threw (after Azure.Core's retries) means for the user: no token, a permanent fault, a timeout, the network.</summary>
    internal static OperationStatusException SendFailure(OperationRequest request, Exception ex)
    {
        var service = request.Service.Name;
        var authority = request.Uri.GetLeftPart(UriPartial.Authority);
        var settings = request.Credential.Settings;
        if (ex is CredentialUnavailableException or AuthenticationFailedException)
        {
            return request.Failure(FailureKind.Authentication, AuthenticationMessage(request, ex), ex);
        }

        if (ex is AnswerTooLargeException tooLarge)
        {
            return request.Failure(
                FailureKind.InvalidResponse,
                Sentences.Join($"The {service} service answered GET {request.Uri.AbsoluteUri}, but {tooLarge.Message}", "A proxy or gateway may have answered instead of Azure; check the URL and the network path. For an answer that really is this big, set OPSTATUS_MAX_RESPONSE_BYTES (in bytes) before the first command of the session."),
                ex);
        }

        if (PermanentFault.Of(ex) is { } permanent)
        {
            return request.Failure(permanent, Sentences.Join(PermanentFault.Explain(permanent, service, request.Uri, FailureClassifier.HostNamedBy(request.Service)), $"({Innermost(ex).Message})"), ex);
        }

        if (IsTimeout(ex))
        {
            return request.Failure(
                FailureKind.Timeout,
                $"The {service} service did not answer GET {request.Uri.AbsoluteUri} in time, after {settings.Tries} tries of up to {settings.NetworkTimeout.TotalSeconds:0.#} s each. Check the network path to {request.Uri.Host} (proxy, firewall, DNS) and try again.",
                ex);
        }

        // Whatever else the transport throws belongs to this item alone: report it, never end the pipeline.
        var message = IsNetworkFailure(ex)
            ? Sentences.Join($"Could not reach the {service} service at {authority} after {settings.Tries} tries: {Innermost(ex).Message}", "Check the URL, the network path (proxy, firewall, DNS) and try again.")
            : Sentences.Join($"The request to the {service} service at {authority} failed: {Innermost(ex).GetType().Name}: {Innermost(ex).Message}");
        return request.Failure(FailureKind.Network, message, ex);
    }

    /// <summary>The status a response carries, or the failure it is: an HTTP error, or a 2xx that is no operation status.</summary>
    private static OperationStatus StatusFrom(OperationRequest request, HttpMessage message)
    {
        var response = message.Response;
        var status = request.NewStatus();
        status.RetrievedAt = DateTimeOffset.UtcNow;
        status.RequestId = Header(response, "x-ms-request-id");
        status.CorrelationRequestId = Header(response, "x-ms-correlation-request-id");
        status.RetryAfter = RetryAfterHeader.Of(response);

        var body = response.Content.ToMemory();
        if (response.Status < 200 || response.Status > 299)
        {
            throw HttpFailure(request, response, body, status, FailureClassifier.IsRetriable(message));
        }

        var problem = StatusParser.TryFill(status, body, request.Service.FieldAliases);
        if (problem is not null && request.Service.AcceptsLocationContract && StatusParser.TryFillFromLocationContract(status, response.Status, body))
        {
            problem = null;
        }

        if (problem is null)
        {
            return status;
        }

        var contentType = Header(response, "Content-Type") ?? "no content type";
        // OpStatus asks for no compression; an encoded answer is read as it came, and says so.
        var encoding = Header(response, "Content-Encoding") is { } coded && !coded.Equals("identity", StringComparison.OrdinalIgnoreCase)
            ? $"; it is encoded ({InputValidation.Printable(coded)}), though OpStatus did not ask for it"
            : string.Empty;
        var failure = request.Failure(
            FailureKind.InvalidResponse,
            $"The {request.Service.Name} service answered {response.Status} for operation '{InputValidation.Printable(request.OperationId)}', but not with an operation status: {problem} ({contentType}, {body.Length} bytes){encoding}. A proxy or gateway may have answered instead of Azure; check the URL and the network path.{RequestIds(status.RequestId, status.CorrelationRequestId)}");
        failure.StatusCode = response.Status;
        failure.RequestId = status.RequestId;
        failure.CorrelationRequestId = status.CorrelationRequestId;
        throw failure;
    }

    private static OperationStatusException HttpFailure(OperationRequest request, Response response, ReadOnlyMemory<byte> body, OperationStatus status, bool retriable)
    {
        var error = StatusParser.ParseErrorBody(body);
        var code = Header(response, "x-ms-error-code") ?? error?.Code;
        var serverMessage = error?.Message;
        var what = string.IsNullOrEmpty(code) ? string.Empty : $" {code}";
        var said = string.IsNullOrEmpty(serverMessage) ? string.Empty : $": {serverMessage}";
        var advice = status.RetryAfter is { } asked && asked > request.Credential.Settings.LongestRetryAfter
            ? FailureClassifier.WaitLonger(asked, DateTimeOffset.Now)
            : FailureClassifier.Advice(request, response.Status, retriable);

        var failure = request.Failure(
            FailureKind.Http,
            Sentences.Join(
                $"The {request.Service.Name} service answered {response.Status} ({response.ReasonPhrase}){what} for operation '{InputValidation.Printable(request.OperationId)}'{said}",
                advice,
                RequestIds(status.RequestId, status.CorrelationRequestId)));
        failure.StatusCode = response.Status;
        failure.ErrorCode = code;
        failure.ServerMessage = serverMessage;
        failure.Error = error;
        failure.RequestId = status.RequestId;
        failure.CorrelationRequestId = status.CorrelationRequestId;
        failure.RetryAfter = status.RetryAfter;
        failure.IsTransient = FailureClassifier.IsTransient(FailureKind.Http, retriable);
        return failure;
    }

    private static string AuthenticationMessage(OperationRequest request, Exception ex)
    {
        var scope = request.Scope;
        if (request.Credential.IsManagedIdentity)
        {
            // Azure.Identity's own words say what failed on the wire ("resolve_deny", "No connection"), not what it means.
            return Sentences.Join(
                $"Could not get a token for {scope} from {request.Credential.Description}: no managed identity gave one ({AllMessages(ex)})",
                "-Identity works only where Azure gives the machine an identity: an Azure VM or scale set, App Service or Functions, Container Apps, Azure Automation, AKS with workload identity, or an Azure Arc-enabled server. Outside Azure, sign in without -Identity ('az login', 'Connect-AzAccount') or give a token with -AccessToken; on an Azure resource, check that its identity is turned on (with -ClientId, that this identity is assigned to it).");
        }

        if (!request.Credential.IsDefaultChain)
        {
            return $"Could not get a token for {scope} from {request.Credential.Description}: {AllMessages(ex)}";
        }

        var lines = new System.Text.StringBuilder();
        lines.Append($"Could not get a token for {scope}: no credential of the default Azure credential chain could sign in. Tried:");
        foreach (var (name, reason) in Attempts(ex))
        {
            lines.Append(Environment.NewLine).Append("- ").Append(name).Append(": ").Append(Sentences.Close(reason));
        }

        lines.Append(Environment.NewLine)
            .Append("Sign in with one of: 'az login' (Azure CLI); 'Connect-AzAccount' (Az PowerShell); 'azd auth login'; ")
            .Append("a managed identity (-Identity, in Azure Automation or on an Azure VM); ")
            .Append("AZURE_TENANT_ID with AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE; ")
            .Append("or a token with -AccessToken. The full text of each failure is in the inner exception ($Error[0].Exception.InnerException).");
        return lines.ToString();
    }

    private static readonly System.Text.RegularExpressions.Regex CredentialName = new(@"\b(\w+Credential)\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// What each credential of a chain said, one short line each: the first sentence, without Azure.Identity's
    /// "authentication unavailable/failed" preamble and troubleshooting links. Credentials that only say a package
    /// is missing (Azure.Identity.Broker) are left out: nobody running the module can act on them.
    /// </summary>
    private static System.Collections.Generic.IEnumerable<(string Name, string Reason)> Attempts(Exception ex)
    {
        var aggregate = ex as AggregateException;
        for (var current = ex; aggregate is null && current is not null; current = current.InnerException)
        {
            aggregate = current as AggregateException;
        }

        if (aggregate is null)
        {
            var named = "DefaultAzureCredential";
            for (var current = ex; current is not null; current = current.InnerException)
            {
                var match = CredentialName.Match(current.Message);
                if (match.Success && match.Groups[1].Value != "DefaultAzureCredential")
                {
                    named = match.Groups[1].Value;
                    break;
                }
            }

            yield return (named, FirstSentence(Innermost(ex).Message));
            yield break;
        }

        foreach (var inner in aggregate.InnerExceptions)
        {
            var message = inner.Message;
            if (message.IndexOf("Azure.Identity.Broker", StringComparison.Ordinal) >= 0)
            {
                continue;
            }

            var match = CredentialName.Match(message);
            var name = match.Success ? match.Groups[1].Value
                : message.StartsWith("Managed Identity", StringComparison.OrdinalIgnoreCase) ? "ManagedIdentityCredential"
                : inner.GetType().Name;
            var reason = message;
            foreach (var preamble in new[] { name + " authentication unavailable.", name + " authentication failed:", name + " authentication failed." })
            {
                if (reason.StartsWith(preamble, StringComparison.Ordinal))
                {
                    reason = reason.Substring(preamble.Length);
                }
            }

            yield return (name, FirstSentence(reason));
        }
    }

    private static string FirstSentence(string text)
    {
        var cut = text.IndexOf("See the troubleshooting guide", StringComparison.Ordinal);
        var trimmed = (cut >= 0 ? text.Substring(0, cut) : text).Trim();
        var end = trimmed.IndexOf(". ", StringComparison.Ordinal);
        trimmed = end > 0 ? trimmed.Substring(0, end + 1) : trimmed;
        return trimmed.Length > 160 ? trimmed.Substring(0, 157) + "..." : trimmed;
    }

    /// <summary>Every distinct message of an exception and its inner ones, in one line.</summary>
    private static string AllMessages(Exception ex)
    {
        var messages = new System.Collections.Generic.List<string>();
        void Walk(Exception? current)
        {
            if (current is null)
            {
                return;
            }

            var message = current.Message.Trim();
            if (message.Length > 0 && !messages.Exists(m => m.Contains(message)))
            {
                messages.Add(message);
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Walk(inner);
                }
            }
            else
            {
                Walk(current.InnerException);
            }
        }

        Walk(ex);
        return string.Join(" ", messages);
    }

    private static string RequestIds(string? requestId, string? correlationId)
    {
        var text = string.Empty;
        if (!string.IsNullOrEmpty(requestId))
        {
            text += $" Request id: {requestId}.";
        }

        if (!string.IsNullOrEmpty(correlationId))
        {
            text += $" Correlation id: {correlationId}.";
        }

        return text;
    }

    private static string? Header(Response response, string name) =>
        response.Headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>Tries that each ran out of time (the network timeout), with no cancellation asked for.</summary>
    private static bool IsTimeout(Exception ex) => ex switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.All(e => IsTimeout(e) || IsNetworkFailure(e))
            && aggregate.InnerExceptions.Any(IsTimeout),
        OperationCanceledException => true,
        _ => false,
    };

    /// <summary>
    /// A failure to talk to the service at all: refused or reset connections, cut bodies. After its last try
    /// Azure.Core's retry policy reports these as an AggregateException of the failures of each try.
    /// </summary>
    private static bool IsNetworkFailure(Exception ex) => ex switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsNetworkFailure),
        RequestFailedException failed => failed.Status == 0,
        System.IO.IOException or System.Net.Http.HttpRequestException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    private static Exception Innermost(Exception ex)
    {
        while (true)
        {
            var next = ex is AggregateException aggregate && aggregate.InnerExceptions.Count > 0 ? aggregate.InnerExceptions[aggregate.InnerExceptions.Count - 1] : ex.InnerException;
            if (next is null)
            {
                return ex;
            }

            ex = next;
        }
    }
}
