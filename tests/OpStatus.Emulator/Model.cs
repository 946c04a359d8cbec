using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OpStatus.Emulator;

/// <summary>
/// One scripted response. Each request for an operation takes the next step; the last one repeats. A step with a
/// duration answers every request until that long has passed since it first answered, then the next step takes over:
/// an operation that runs for two minutes is a Running step of 120000 ms followed by a Succeeded step.
/// </summary>
public sealed record Step
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; init; } = 200;

    /// <summary>A JSON body. The text {now} in it is replaced by the time of the answer (ISO 8601, UTC).</summary>
    public JsonNode? Body { get; init; }

    /// <summary>A raw body, sent as it is (HTML, truncated JSON, nothing).</summary>
    public string? BodyText { get; init; }

    /// <summary>Content-Type for BodyText; application/json by default.</summary>
    public string? ContentType { get; init; }

    /// <summary>Extra response headers (Retry-After, x-ms-error-code, ...).</summary>
    public Dictionary<string, string>? Headers { get; init; }

    /// <summary>How long to wait before answering.</summary>
    public int DelayMs { get; init; }

    /// <summary>How long this step keeps answering, from the first time it answers; 0 for one request.</summary>
    public int DurationMs { get; init; }

    /// <summary>
    /// A network fault instead of an answer: "reset" (abort the connection), "truncate" (declare more than the body and cut
    /// it), "close-after-headers" (send the headers, then abort), "trickle" (the body one byte every TrickleMs), "gzip"
    /// (say Content-Encoding: gzip of a body that is not).
    /// </summary>
    public string? Fault { get; init; }

    /// <summary>For "trickle": the time between two bytes of the body; 1000 by default.</summary>
    public int TrickleMs { get; init; }

    /// <summary>This many spaces after the body: a status followed by megabytes of white space.</summary>
    public long PadBytes { get; init; }

    /// <summary>True to send the body without Content-Length (chunked).</summary>
    public bool Chunked { get; init; }
}

/// <summary>The script of one operation id.</summary>
public sealed record OperationScript
{
    public List<Step> Steps { get; init; } = new();
}

/// <summary>A request the emulator saw, as it arrived.</summary>
public sealed record SeenRequest
{
    public required string Method { get; init; }

    /// <summary>The path and query exactly as received, still escaped.</summary>
    public required string RawTarget { get; init; }

    /// <summary>The service of the path (a key of AzureEmulator.StatusPaths), AsyncOperation for another async-operation path, or null.</summary>
    public string? Service { get; init; }

    /// <summary>The operation id segment, unescaped.</summary>
    public string? OperationId { get; init; }

    public string? ApiVersion { get; init; }

    /// <summary>True when the request carried a valid token for the right audience.</summary>
    public bool Authorized { get; init; }

    public bool HadAuthorizationHeader { get; init; }

    public string? UserAgent { get; init; }

    public string? ClientRequestId { get; init; }

    public DateTimeOffset Time { get; init; }

    /// <summary>The status code the emulator answered with (0 for a network fault).</summary>
    public int ResponseStatus { get; init; }

    /// <summary>How many status reads the emulator was serving when this one arrived, itself included.</summary>
    public int InFlight { get; init; }

    /// <summary>True when the throttling model answered it 429 (see AzureEmulator.Throttle).</summary>
    public bool Throttled { get; init; }

    /// <summary>The principal (object id) of the token it carried, when the token was the emulator's.</summary>
    public string? Principal { get; init; }
}

/// <summary>The body of PUT /emulator/throttle.</summary>
public sealed record ThrottleSettings
{
    [JsonPropertyName("size")]
    public int Size { get; init; }

    [JsonPropertyName("refillPerSecond")]
    public double RefillPerSecond { get; init; }

    /// <summary>Another client (not OpStatus) taking this many reads a second from every bucket.</summary>
    [JsonPropertyName("competitorPerSecond")]
    public double CompetitorPerSecond { get; init; }
}

/// <summary>One bucket of the throttling model (a subscription and principal, or a Dev Center endpoint), as GET /emulator/throttle reports it.</summary>
public sealed record BucketStatistics
{
    /// <summary>The subscription, or the empty string for Dev Center.</summary>
    public required string Subscription { get; init; }

    public required string Principal { get; init; }

    /// <summary>Reads of OpStatus (or any client of the status paths) let through.</summary>
    public long Admitted { get; init; }

    /// <summary>Reads answered 429.</summary>
    public long Throttled { get; init; }

    /// <summary>Reads the competing client took, and those it wanted when the bucket was empty.</summary>
    public double CompetitorTaken { get; init; }

    public double CompetitorDenied { get; init; }

    /// <summary>What the bucket holds now.</summary>
    public int Left { get; init; }
}

/// <summary>A managed-identity token request the emulator served.</summary>
public sealed record TokenRequest
{
    public required string Resource { get; init; }

    public string? ClientId { get; init; }

    public bool Granted { get; init; }

    public DateTimeOffset Time { get; init; }
}

internal sealed record IssuedToken(string Audience, DateTimeOffset ExpiresOn, string Principal);

internal sealed record TokenIssueRequest
{
    [JsonPropertyName("audience")]
    public string Audience { get; init; } = "";

    [JsonPropertyName("lifetimeSeconds")]
    public int? LifetimeSeconds { get; init; }

    [JsonPropertyName("principal")]
    public string? Principal { get; init; }
}

/// <summary>The body of PUT /_emulator/devcenters: a project of a dev center, as Resource Graph knows it.</summary>
public sealed record DevCenterProject
{
    [JsonPropertyName("devCenter")]
    public string DevCenter { get; init; } = "";

    [JsonPropertyName("project")]
    public string Project { get; init; } = "";

    [JsonPropertyName("uri")]
    public string Uri { get; init; } = "";
}
