using System;
using System.Globalization;

namespace OpStatus.Engine;

/// <summary>How a waited operation ended, by its service's status words.</summary>
internal enum WaitOutcome
{
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>What Wait-OperationStatus says about each operation: its verbose lines, and the errors of those that did not succeed.</summary>
internal static class WaitMessages
{
    /// <summary>How a terminal status ended: Failed and Canceled by the service's words; any other terminal word is a success.</summary>
    public static WaitOutcome OutcomeOf(OperationStatus status) =>
        status.Vocabulary.IsCanceled(status.Status) ? WaitOutcome.Canceled
        : status.Vocabulary.IsFailed(status.Status) ? WaitOutcome.Failed
        : WaitOutcome.Succeeded;

    /// <summary>The error of a Failed or Canceled operation, with the server's code, message and request id; null for a success.</summary>
    public static OperationFailedException? Failure(OperationStatus status)
    {
        var outcome = OutcomeOf(status);
        if (outcome == WaitOutcome.Succeeded)
        {
            return null;
        }

        var reason = status.Error is { } error ? $": {error}" : string.Empty;
        var ids = string.IsNullOrEmpty(status.RequestId) ? null : $"Request id: {status.RequestId}.";
        var what = outcome == WaitOutcome.Canceled ? "was canceled" : "failed";
        return new OperationFailedException(
            Sentences.Join($"The {status.Service} operation '{InputValidation.Printable(status.Name ?? status.OperationId)}' {what}{reason}", ids),
            status);
    }

    /// <summary>The error of an operation whose -Timeout ran out, with its last status and why its last poll failed.</summary>
    public static OperationTimeoutException TimedOut(WaitTimedOut timedOut, TimeSpan timeout)
    {
        var last = timedOut.LastStatus?.Status ?? "not read yet";
        var why = timedOut.LastFailure is { } lastFailure ? $"The last poll failed: {lastFailure.Message}" : null;
        // A throttled or unavailable service says how long to wait: the reason a runbook's log needs, beside the status.
        var asked = timedOut.LastFailure is { RetryAfter: { } retryAfter } failed && failed.Message.IndexOf("Retry-After", StringComparison.Ordinal) < 0
            ? $"Its answer asked to wait {Seconds(retryAfter)} before the next request (Retry-After)."
            : null;
        return new OperationTimeoutException(
            Sentences.Join($"{Subject(timedOut.Request)} did not end within {(int)timeout.TotalSeconds} s of being received; its last status was {last}", why, asked, "Wait again with a longer -Timeout, or read it later with the same command."),
            timedOut.Request.Uri,
            timedOut.LastStatus);
    }

    public static string Polled(WaitPolled polled) =>
        $"{Subject(polled.Request)}: {polled.Status.Status}{Percent(polled.Status)}; next poll in {Seconds(polled.NextPoll)}{(polled.Status.RetryAfter is null ? string.Empty : " (Retry-After)")}.";

    public static string PollFailed(WaitPollFailed failed) =>
        $"{Subject(failed.Request)}: the poll failed ({failed.Error.Message}); trying again in {Seconds(failed.NextPoll)}.";

    public static string Finished(WaitFinished finished) =>
        $"{Subject(finished.Request)}: {finished.Status.Status}{Percent(finished.Status)}; done.";

    /// <summary>"Cache operation 'abc'", or "Operation 'abc'" for a URL of no known service.</summary>
    public static string Subject(OperationRequest request) => request.Service == AzureService.AsyncOperation
        ? $"Operation '{InputValidation.Printable(request.OperationId)}'"
        : $"{request.Service.Name} operation '{InputValidation.Printable(request.OperationId)}'";

    /// <summary>" (42%)", clamped to 0-100; empty when the service reports no percent.</summary>
    public static string Percent(OperationStatus status) =>
        status.PercentComplete is { } p ? string.Format(CultureInfo.InvariantCulture, " ({0:0.#}%)", Math.Max(0, Math.Min(100, p))) : string.Empty;

    private static string Seconds(TimeSpan span) => span.TotalSeconds >= 1
        ? string.Format(CultureInfo.InvariantCulture, "{0:0.#} s", span.TotalSeconds)
        : string.Format(CultureInfo.InvariantCulture, "{0:0} ms", span.TotalMilliseconds);
}
