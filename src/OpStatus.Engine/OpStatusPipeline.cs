using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OpStatus.Engine;

/// <summary>
/// The one HTTP pipeline shape every request goes through. Azure.Core does the work: bearer tokens cached and
/// refreshed before expiry; retries that honour Retry-After, of network faults and of the answers its
/// ResponseClassifier calls retriable (408, 429, 500, 502, 503, 504); a client request id; and a User-Agent that
/// starts with OpStatus and its version. OpStatus adds its diagnostics and, since Azure.Core has no client-side rate
/// limit, the session's read limit (<see cref="ReadThrottle"/>), taken on every try.
/// </summary>
internal static class OpStatusPipeline
{
    /// <summary>The key under which a request carries its IOperationLog.</summary>
    internal const string LogProperty = "OpStatus.Log";

    /// <summary>"OpStatus/{module version}", first in every User-Agent.</summary>
    internal static readonly string ProductName = "OpStatus/" + typeof(OpStatusPipeline).Assembly.GetName().Version!.ToString(3);

    public static HttpPipeline Build(TokenCredential credential, string scope, PipelineSettings settings)
    {
        var options = new OpStatusClientOptions();
        options.Retry.MaxRetries = settings.MaxRetries;
        options.Retry.NetworkTimeout = settings.NetworkTimeout;
        // Azure.Core's own retry policy and exponential delays, but a long Retry-After ends the read (BoundedRetryPolicy).
        options.RetryPolicy = new BoundedRetryPolicy(
            settings.MaxRetries,
            DelayStrategy.CreateExponentialDelayStrategy(settings.RetryDelay, TimeSpan.FromSeconds(60)),
            settings.LongestRetryAfter);
        options.Diagnostics.ApplicationId = ProductName;
        options.Diagnostics.IsDistributedTracingEnabled = false;
        options.Diagnostics.IsLoggingContentEnabled = false;
        if (settings.Transport is { } transport)
        {
            options.Transport = transport;
        }

        return HttpPipelineBuilder.Build(
            options,
            perCallPolicies: Array.Empty<HttpPipelinePolicy>(),
            perRetryPolicies: new HttpPipelinePolicy[]
            {
                new BearerTokenAuthenticationPolicy(credential, scope),
                // After the token: Resource Manager counts reads per principal, and the token names it.
                new ThrottlePolicy(settings.Throttle, settings.LongestRetryAfter, credential),
                new BoundedAnswerPolicy(settings.MaxAnswerBytes, settings.NetworkTimeout),
                new DiagnosticsPolicy(),
            },
            responseClassifier: new PermanentFaultClassifier());
    }

    /// <summary>
    /// Azure.Core's classification, except that a host name that does not resolve and a certificate that is not
    /// trusted are not retried: they fail the same way on every try, and retrying only delays the message.
    /// </summary>
    private sealed class PermanentFaultClassifier : ResponseClassifier
    {
        public override bool IsRetriable(HttpMessage message, Exception exception) =>
            PermanentFault.Of(exception) is null && base.IsRetriable(message, exception);
    }

    /// <summary>
    /// Each try waits for the session's read limit of its place (the subscription and the principal the token was
    /// issued to), and tells the limit what the answer said: 429 and its Retry-After,
    /// x-ms-ratelimit-remaining-subscription-reads. A wait, and a rate learned, show under -Verbose.
    /// </summary>
    private sealed class ThrottlePolicy : SyncOrAsyncPolicy
    {
        private static readonly ConditionalWeakTable<TokenCredential, string> Credentials = new();
        private static int credentialsSeen;

        private readonly ReadThrottle throttle;
        private readonly TimeSpan longestPause;
        private readonly string credentialKey;
        private Principal? last;

        public ThrottlePolicy(ReadThrottle throttle, TimeSpan longestPause, TokenCredential credential)
        {
            this.throttle = throttle;
            this.longestPause = longestPause;
            // A token that is not a JWT names no principal: the credential object stands for it.
            credentialKey = Credentials.GetValue(credential, _ => "credential " + Interlocked.Increment(ref credentialsSeen).ToString(CultureInfo.InvariantCulture));
        }

        protected override async ValueTask Run(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            var uri = message.Request.Uri.ToUri();
            message.Request.Headers.TryGetValue(HttpHeader.Names.Authorization, out var authorization);
            var principal = PrincipalOf(authorization) ?? credentialKey;
            var ticket = await throttle.AcquireAsync(uri, principal, async, message.CancellationToken).ConfigureAwait(false);
            var log = message.TryGetProperty(LogProperty, out var value) && value is IOperationLog { VerboseEnabled: true } verbose ? verbose : null;
            if (ticket.Waited > TimeSpan.Zero && log is not null)
            {
                log.Verbose(string.Format(CultureInfo.InvariantCulture, "Held back {0:0.###} s by the read limit for {1}: {2}.", ticket.Waited.TotalSeconds, ticket.Place, ticket.Report().Describe()));
            }

            try
            {
                await Next(message, pipeline, async).ConfigureAwait(false);
            }
            catch
            {
                ticket.Failed();
                throw;
            }

            var response = message.Response;
            var learned = ticket.Answered(
                response.Status,
                // The same bound as a read's: a Retry-After of a day pauses the place for a minute; each read then gets
                // its own 429, which says when to try again.
                response.Status == 429 && RetryAfterHeader.Of(response) is { } asked ? (asked > longestPause ? longestPause : asked) : null,
                response.Headers.TryGetValue(ReadThrottle.RemainingReadsHeader, out var remaining) ? remaining : null);
            if (learned && log is not null)
            {
                log.Verbose(string.Format(CultureInfo.InvariantCulture, "Read limit for {0}: {1}, learned from Resource Manager's remaining-reads counts.", ticket.Place, ticket.Report().Describe()));
            }
        }

        /// <summary>The principal of a token, read once per token rather than on every try: one token serves many reads.</summary>
        private string? PrincipalOf(string? authorization)
        {
            if (authorization is null)
            {
                return null;
            }

            var seen = Volatile.Read(ref last);
            if (seen is null || !string.Equals(seen.Authorization, authorization, StringComparison.Ordinal))
            {
                seen = new Principal(authorization, ReadThrottle.PrincipalOf(authorization));
                Volatile.Write(ref last, seen);
            }

            return seen.Name;
        }

        private sealed class Principal
        {
            public Principal(string authorization, string? name)
            {
                Authorization = authorization;
                Name = name;
            }

            public string Authorization { get; }

            public string? Name { get; }
        }
    }

    /// <summary>A policy written once for both of Azure.Core's paths: Process runs it synchronously, ProcessAsync asynchronously.</summary>
    private abstract class SyncOrAsyncPolicy : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            Run(message, pipeline, async: false).GetAwaiter().GetResult();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            Run(message, pipeline, async: true);

        protected abstract ValueTask Run(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async);

        protected static async ValueTask Next(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            if (async)
            {
                await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            }
            else
            {
                ProcessNext(message, pipeline);
            }
        }
    }

    /// <summary>Options of OpStatus's own: Azure.Core names their assembly in the User-Agent, after the ApplicationId.</summary>
    private sealed class OpStatusClientOptions : ClientOptions
    {
    }

    /// <summary>
    /// Reports each attempt to the request's IOperationLog: a Verbose line with method, URL, status and time,
    /// and Debug lines with headers. Only headers on a safe list are shown; every other value is REDACTED.
    /// </summary>
    private sealed class DiagnosticsPolicy : SyncOrAsyncPolicy
    {
        private static readonly HashSet<string> SafeHeaders = new(StringComparer.OrdinalIgnoreCase)
        {
            "Accept", "User-Agent", "Content-Type", "Content-Length", "Date", "Retry-After", "retry-after-ms",
            "x-ms-retry-after-ms", "x-ms-client-request-id", "x-ms-return-client-request-id", "x-ms-request-id",
            "x-ms-correlation-request-id", "x-ms-error-code", "x-ms-routing-request-id", "Server", "Cache-Control",
            "x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-subscription-global-reads",
            "Azure-AsyncOperation", "Operation-Location", "Location", "traceparent",
        };

        protected override async ValueTask Run(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            if (!message.TryGetProperty(LogProperty, out var value) || value is not IOperationLog log || !(log.VerboseEnabled || log.DebugEnabled))
            {
                await Next(message, pipeline, async).ConfigureAwait(false);
                return;
            }

            var request = message.Request;
            if (log.DebugEnabled)
            {
                log.Debug($"{request.Method} {request.Uri}{Environment.NewLine}{Headers(request.Headers)}");
            }

            var stopwatch = Stopwatch.StartNew();
            try
            {
                await Next(message, pipeline, async).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (log.VerboseEnabled)
                {
                    log.Verbose($"{request.Method} {request.Uri} failed after {Elapsed(stopwatch)}: {ex.GetType().Name}");
                }

                throw;
            }

            LogResponse(log, message, stopwatch);
        }

        private static void LogResponse(IOperationLog log, HttpMessage message, Stopwatch stopwatch)
        {
            var (request, response) = (message.Request, message.Response);
            if (log.VerboseEnabled)
            {
                var requestId = response.Headers.TryGetValue("x-ms-request-id", out var id) ? $", x-ms-request-id {id}" : string.Empty;
                log.Verbose($"{request.Method} {request.Uri} -> {response.Status} {response.ReasonPhrase} in {Elapsed(stopwatch)}{requestId}");
                if (FailureClassifier.IsRetriable(message) && RetryAfterHeader.Of(response) is { } asked)
                {
                    log.Verbose($"The service asked to wait {asked.TotalSeconds:0.###} s (Retry-After) before trying again.");
                }
            }

            if (log.DebugEnabled)
            {
                log.Debug($"Response {response.Status} {response.ReasonPhrase}{Environment.NewLine}{Headers(response.Headers)}");
            }
        }

        private static string Elapsed(Stopwatch stopwatch) =>
            stopwatch.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms";

        private static string Headers(IEnumerable<HttpHeader> headers)
        {
            var builder = new StringBuilder();
            foreach (var header in headers)
            {
                if (builder.Length > 0)
                {
                    builder.AppendLine();
                }

                builder.Append("  ").Append(header.Name).Append(": ")
                    .Append(SafeHeaders.Contains(header.Name) ? header.Value : "REDACTED");
            }

            return builder.ToString();
        }
    }
}
