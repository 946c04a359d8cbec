using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OpStatus.Engine;

/// <summary>
/// The one HTTP pipeline shape every request goes through. Azure.Core does the work: bearer tokens cached and
/// refreshed before expiry, retries of 408, 429, 5xx and network faults that honour Retry-After, a client
/// request id and a User-Agent naming OpStatus. OpStatus adds its diagnostics and, since Azure.Core has no
/// client-side rate limit, the session's read throttle (<see cref="ReadThrottle"/>), taken on every try.
/// </summary>
internal static class OpStatusPipeline
{
    /// <summary>The key under which a request carries its IOperationLog.</summary>
    internal const string LogProperty = "OpStatus.Log";

    /// <summary>"OpStatus/{module version}", first in every User-Agent.</summary>
    internal static readonly string ProductName = "OpStatus/" + typeof(OpStatusPipeline).Assembly.GetName().Version!.ToString(3);

    /// <summary>How many times a failed request is tried again.</summary>
    internal const int MaxRetries = 4;

    /// <summary>
    /// How long one try may take before it is abandoned and retried: 100 s, or OPSTATUS_NETWORK_TIMEOUT_MS when
    /// set (read when the session's first pipeline is built).
    /// </summary>
    internal static TimeSpan NetworkTimeout { get; } = Milliseconds("OPSTATUS_NETWORK_TIMEOUT_MS", 100_000, 1, 600_000);

    public static HttpPipeline Build(TokenCredential credential, string scope)
    {
        var options = new OpStatusClientOptions();
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = RetryDelay();
        options.Retry.MaxDelay = TimeSpan.FromSeconds(60);
        options.Retry.NetworkTimeout = NetworkTimeout;
        options.Diagnostics.ApplicationId = ProductName;
        options.Diagnostics.IsDistributedTracingEnabled = false;
        options.Diagnostics.IsLoggingContentEnabled = false;

        return HttpPipelineBuilder.Build(
            options,
            perCallPolicies: Array.Empty<HttpPipelinePolicy>(),
            perRetryPolicies: new HttpPipelinePolicy[] { new ThrottlePolicy(), new BearerTokenAuthenticationPolicy(credential, scope), new DiagnosticsPolicy() },
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
    /// The first retry delay, doubled on each further try: 800 ms, or OPSTATUS_RETRY_DELAY_MS when set
    /// (read when the session's first pipeline is built). A longer Retry-After from the service wins.
    /// </summary>
    private static TimeSpan RetryDelay() => Milliseconds("OPSTATUS_RETRY_DELAY_MS", 800, 0, 60_000);

    private static TimeSpan Milliseconds(string variable, int fallback, int min, int max)
    {
        var setting = Environment.GetEnvironmentVariable(variable);
        return int.TryParse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= min && milliseconds <= max
            ? TimeSpan.FromMilliseconds(milliseconds)
            : TimeSpan.FromMilliseconds(fallback);
    }

    /// <summary>
    /// Each try waits for the session's read limit of its place, and tells the limit what the answer said
    /// (429 and its Retry-After; x-ms-ratelimit-remaining-subscription-reads). A wait shows under -Verbose.
    /// </summary>
    private sealed class ThrottlePolicy : SyncOrAsyncPolicy
    {
        protected override async ValueTask Run(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            var uri = message.Request.Uri.ToUri();
            var waited = await ReadThrottle.Session.AcquireAsync(uri, async, message.CancellationToken).ConfigureAwait(false);
            if (waited > TimeSpan.Zero && message.TryGetProperty(LogProperty, out var value) && value is IOperationLog { VerboseEnabled: true } log)
            {
                var report = ReadThrottle.Session.ReportFor(uri);
                log.Verbose(string.Format(CultureInfo.InvariantCulture, "Held back {0:0.###} s by the session's read limit for {1}: bursts of up to {2:0} reads, then {3:0.#} a second.", waited.TotalSeconds, report.Key, report.Burst, report.Rate));
            }

            await Next(message, pipeline, async).ConfigureAwait(false);
            var response = message.Response;
            ReadThrottle.Session.Observe(
                uri,
                response.Status,
                response.Status == 429 ? OperationStatusReader.RetryAfter(response) : null,
                response.Headers.TryGetValue("x-ms-ratelimit-remaining-subscription-reads", out var remaining) ? remaining : null);
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

    /// <summary>Options whose assembly names the User-Agent: azsdk-net-OpStatus/{version}.</summary>
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

            LogResponse(log, request, message.Response, stopwatch);
        }

        private static void LogResponse(IOperationLog log, Request request, Azure.Response response, Stopwatch stopwatch)
        {
            if (log.VerboseEnabled)
            {
                var requestId = response.Headers.TryGetValue("x-ms-request-id", out var id) ? $", x-ms-request-id {id}" : string.Empty;
                log.Verbose($"{request.Method} {request.Uri} -> {response.Status} {response.ReasonPhrase} in {Elapsed(stopwatch)}{requestId}");
                if ((response.Status is 408 or 429 || response.Status >= 500) && OperationStatusReader.RetryAfter(response) is { } asked)
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
