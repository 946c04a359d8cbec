using System;
using System.Globalization;
using Azure;

namespace OpStatus.Engine;

/// <summary>The delay a response asks for before the next request.</summary>
/// <remarks>
/// Azure.Core's DelayStrategy reads the same headers, but only from a Response and with "none" and "zero" alike;
/// a start response comes as a header dictionary, and Retry-After: 0 is not the absence of one.
/// </remarks>
internal static class RetryAfterHeader
{
    /// <summary>retry-after-ms, x-ms-retry-after-ms, or Retry-After in seconds or as an HTTP date; null when the response sets none.</summary>
    public static TimeSpan? Of(Response response) =>
        Of(name => response.Headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null, DateTimeOffset.UtcNow);

    /// <param name="header">The value of a header by name, or null.</param>
    /// <param name="now">The time an HTTP date is counted from.</param>
    public static TimeSpan? Of(Func<string, string?> header, DateTimeOffset now)
    {
        foreach (var name in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
        {
            if (header(name) is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
            {
                return TimeSpan.FromMilliseconds(Math.Min(milliseconds, TimeSpan.MaxValue.TotalMilliseconds / 2));
            }
        }

        if (header("Retry-After") is { } after)
        {
            after = after.Trim();
            if (long.TryParse(after, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.MaxValue.TotalSeconds / 2));
            }

            if (DateTimeOffset.TryParse(after, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                var delay = when - now;
                return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
            }
        }

        return null;
    }
}
