using System;
using System.Globalization;
using Azure.Core.Pipeline;

namespace OpStatus.Engine;

/// <summary>
/// How the shared pipeline retries, how long one try may take and how big an answer may be: from OPSTATUS_RETRY_DELAY_MS,
/// OPSTATUS_NETWORK_TIMEOUT_MS and OPSTATUS_MAX_RESPONSE_BYTES, read once per session; the engine tests give their own,
/// with a fake transport.
/// </summary>
internal sealed class PipelineSettings
{
    /// <summary>The session's settings, read from the environment when first needed.</summary>
    public static PipelineSettings Session { get; } = FromEnvironment();

    /// <summary>How many times a failed request is tried again.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry delay, doubled on each further try; a longer Retry-After from the service wins.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>How long one try may take before it is abandoned and retried.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The largest answer read, headers aside: 4 MiB, or OPSTATUS_MAX_RESPONSE_BYTES. An operation status is a few KB;
    /// a bigger answer is not one, and reading it whole would cost a runbook its memory.
    /// </summary>
    public long MaxAnswerBytes { get; set; } = DefaultMaxAnswerBytes;

    /// <summary>
    /// The longest Retry-After the pipeline waits for within one read: a minute, what a shell user accepts. A longer one
    /// ends the read with its 429 (or 503), whose error says when to try again.
    /// </summary>
    public TimeSpan LongestRetryAfter { get; set; } = TimeSpan.FromMinutes(1);

    public const long DefaultMaxAnswerBytes = 4L * 1024 * 1024;

    /// <summary>The transport to send with; null for Azure.Core's default (HttpClient).</summary>
    public HttpPipelineTransport? Transport { get; set; }

    /// <summary>The session's read limit, which every try waits for.</summary>
    public ReadThrottle Throttle { get; set; } = ReadThrottle.Session;

    /// <summary>Tries in all: the first and its retries.</summary>
    public int Tries => MaxRetries + 1;

    private static PipelineSettings FromEnvironment() => new()
    {
        RetryDelay = Milliseconds("OPSTATUS_RETRY_DELAY_MS", 800, 0, 60_000),
        NetworkTimeout = Milliseconds("OPSTATUS_NETWORK_TIMEOUT_MS", 100_000, 1, 600_000),
        MaxAnswerBytes = long.TryParse(Environment.GetEnvironmentVariable("OPSTATUS_MAX_RESPONSE_BYTES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
            && bytes >= 1024 && bytes <= 1L << 30
            ? bytes
            : DefaultMaxAnswerBytes,
    };

    private static TimeSpan Milliseconds(string variable, int fallback, int min, int max)
    {
        var setting = Environment.GetEnvironmentVariable(variable);
        return int.TryParse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= min && milliseconds <= max
            ? TimeSpan.FromMilliseconds(milliseconds)
            : TimeSpan.FromMilliseconds(fallback);
    }
}
