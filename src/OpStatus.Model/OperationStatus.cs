using System;
using System.Collections.Generic;

namespace OpStatus;

/// <summary>
/// The status of one Azure asynchronous operation, as one of the Get-*OperationStatus cmdlets read it.
/// The same type for every service, so that statuses from different services pipe into the same commands.
/// </summary>
public sealed class OperationStatus
{
    internal OperationStatus(string service, StatusVocabulary vocabulary, string operationId, Uri uri)
    {
        Service = service;
        Vocabulary = vocabulary;
        OperationId = operationId;
        Uri = uri;
    }

    /// <summary>The service that was asked, by the name in its Get cmdlet (Cache for Get-CacheOperationStatus), or AsyncOperation for any other URL.</summary>
    public string Service { get; }

    /// <summary>The operation id that was asked for.</summary>
    public string OperationId { get; }

    /// <summary>The fully qualified id of the operation status, as the service returns it.</summary>
    public string? Id { get; internal set; }

    /// <summary>The operation's name (usually its id).</summary>
    public string? Name { get; internal set; }

    /// <summary>The status exactly as the service spelled it: NotStarted, Running, Succeeded, Failed, Canceled, or a service's own value.</summary>
    public string? Status { get; internal set; }

    /// <summary>When the operation started, in the local time zone with its offset (the one rule for every time OpStatus shows).</summary>
    public DateTimeOffset? StartTime
    {
        get => startTime;
        internal set => startTime = value?.ToLocalTime();
    }

    /// <summary>When the operation ended: empty until the status is terminal, whatever the service sent before.</summary>
    public DateTimeOffset? EndTime
    {
        get => IsTerminal ? ReportedEndTime : null;
        internal set => ReportedEndTime = value;
    }

    /// <summary>The endTime the service sent, terminal or not (some services send one while the operation still runs).</summary>
    public DateTimeOffset? ReportedEndTime
    {
        get => reportedEndTime;
        private set => reportedEndTime = value?.ToLocalTime();
    }

    /// <summary>Percent of the operation that is complete, when the service reports it (Dev Center does).</summary>
    public double? PercentComplete { get; internal set; }

    /// <summary>The id of the resource the operation works on, when the service reports it.</summary>
    public string? ResourceId { get; internal set; }

    /// <summary>The service's custom properties; fields read as $status.Properties.someField.</summary>
    public IDictionary<string, object?>? Properties { get; internal set; }

    /// <summary>
    /// The resource the operation made or changed, read once it succeeded, by Resource Manager's rules: Wait-OperationStatus
    /// -Response reads the request's own URL after a PUT or PATCH, the Location URL after a POST that has one (a DELETE
    /// leaves nothing); a Location URL polled to its end gives it at once. Null otherwise.
    /// </summary>
    public IDictionary<string, object?>? Resource { get; internal set; }

    /// <summary>Why the operation failed, when it did.</summary>
    public OperationError? Error { get; internal set; }

    /// <summary>Top-level fields of the response that have no property of their own, kept as they came.</summary>
    public IDictionary<string, object?> AdditionalProperties { get; internal set; } = new PropertyDictionary();

    /// <summary>True when the status is one of its service's final words (Succeeded, Failed, Canceled; compared case-insensitively): nothing more will happen.</summary>
    public bool IsTerminal => Vocabulary.IsTerminal(Status);

    /// <summary>
    /// How long the operation ran: to its end time, or, while it runs, to the moment the status was read. Empty
    /// without a start time, or when a terminal status has no end time; never negative (clocks differ).
    /// </summary>
    public TimeSpan? Duration
    {
        get
        {
            var end = IsTerminal ? EndTime : RetrievedAt;
            if (StartTime is not { } start || end is not { } until)
            {
                return null;
            }

            var duration = until - start;
            return duration < TimeSpan.Zero ? TimeSpan.Zero : duration;
        }
    }

    /// <summary>The URL the status was read from.</summary>
    public Uri Uri { get; }

    /// <summary>The x-ms-request-id of the response, for support requests.</summary>
    public string? RequestId { get; internal set; }

    /// <summary>The x-ms-correlation-request-id of the response, for support requests.</summary>
    public string? CorrelationRequestId { get; internal set; }

    /// <summary>How long the service asked callers to wait before reading the status again (Retry-After), if it said.</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    /// <summary>When the status was read, in the local time zone with its offset.</summary>
    public DateTimeOffset RetrievedAt
    {
        get => retrievedAt;
        internal set => retrievedAt = value.ToLocalTime();
    }

    /// <summary>The final status words of the service that was asked.</summary>
    internal StatusVocabulary Vocabulary { get; }

    private DateTimeOffset? startTime;
    private DateTimeOffset? reportedEndTime;
    private DateTimeOffset retrievedAt;

    public override string ToString() => $"{Name ?? OperationId}: {Status}";
}
