using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OpStatus.Engine.Tests.Fakes;

/// <summary>One scripted answer: a status and body, or an exception from the transport; optionally held until a gate opens.</summary>
internal sealed record Answer
{
    public int Status { get; init; } = 200;

    public string? Body { get; init; }

    public Dictionary<string, string> Headers { get; init; } = new();

    /// <summary>The answer waits until this task completes (or the request is cancelled).</summary>
    public Task? Gate { get; init; }

    /// <summary>Thrown instead of answering: a network fault.</summary>
    public Exception? Fault { get; init; }

    /// <summary>A body of its own instead of <see cref="Body"/>: a big one, a slow one.</summary>
    public Func<HttpContent>? Content { get; init; }

    public static Answer Json(string status, string? more = null, int httpStatus = 200) =>
        new() { Status = httpStatus, Body = "{\"status\":\"" + status + "\"" + (more is null ? string.Empty : "," + more) + "}" };

    public Answer RetryAfterMs(int milliseconds) => this with { Headers = new(Headers) { ["retry-after-ms"] = milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
}

/// <summary>A request the fake service saw.</summary>
internal sealed record Seen(string Method, Uri Uri, string OperationId, bool HadToken, TimeSpan At);

/// <summary>
/// Stands in for Azure behind an HttpClient: answers each request for an operation id (the last path segment) with the
/// next scripted answer (the last one repeats), in process, without sockets. Unknown ids get a 404.
/// </summary>
internal sealed class FakeService : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, Steps> scripts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<Seen> seen = new();
    private readonly ManualClock? clock;

    public FakeService(ManualClock? clock = null) => this.clock = clock;

    public IReadOnlyList<Seen> Requests => seen.ToArray();

    public IReadOnlyList<Seen> RequestsFor(string id) => seen.Where(s => s.OperationId == id).ToArray();

    public void Script(string id, params Answer[] answers) => scripts[id] = new Steps(answers);

    /// <summary>The settings of a pipeline that sends to this service: fast retries, no read limit to speak of.</summary>
    public PipelineSettings Settings(int maxRetries = 2, ReadThrottle? throttle = null) => new()
    {
        MaxRetries = maxRetries,
        RetryDelay = TimeSpan.FromMilliseconds(1),
        NetworkTimeout = TimeSpan.FromSeconds(5),
        Transport = new HttpClientTransport(new HttpClient(this)),
        Throttle = throttle ?? new ReadThrottle(burst: 1_000_000, rate: 1_000_000, probeFirst: false),
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath.TrimEnd('/');
        var id = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
        seen.Enqueue(new Seen(request.Method.Method, request.RequestUri, id, request.Headers.Authorization is not null, clock?.Elapsed ?? TimeSpan.Zero));
        var answer = scripts.TryGetValue(id, out var script)
            ? script.Next()
            : new Answer { Status = 404, Body = "{\"error\":{\"code\":\"OperationNotFound\",\"message\":\"No such operation.\"}}" };
        if (answer.Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (answer.Fault is { } fault)
        {
            throw fault;
        }

        var response = new HttpResponseMessage((HttpStatusCode)answer.Status)
        {
            Content = answer.Content?.Invoke() ?? new StringContent(answer.Body ?? string.Empty, Encoding.UTF8, "application/json"),
            RequestMessage = request,
        };
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        response.Headers.TryAddWithoutValidation("x-ms-request-id", Guid.NewGuid().ToString());
        return response;
    }

    private sealed class Steps
    {
        private readonly Answer[] answers;
        private int next;

        public Steps(Answer[] answers) => this.answers = answers;

        public Answer Next() => answers[Math.Min(Interlocked.Increment(ref next) - 1, answers.Length - 1)];
    }
}

/// <summary>A credential that hands out one fixed token, counting how often it was asked.</summary>
internal sealed class FixedCredential : TokenCredential
{
    /// <summary>Shaped as a JWT whose claims name a principal (tid, oid), as Microsoft Entra's tokens do; the signature is fake.</summary>
    public const string Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJ0aWQiOiI3MmY5ODhiZi0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEiLCJvaWQiOiIwYjFlN2U1Ny0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEifQ.fake-signature-for-tests";

    /// <summary>The principal the read limit finds in <see cref="Token"/>.</summary>
    public const string Principal = "72f988bf-0000-0000-0000-000000000001/0b1e7e57-0000-0000-0000-000000000001";

    private int asked;

    public int Asked => Volatile.Read(ref asked);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref asked);
        return new AccessToken(Token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));
}

/// <summary>A credential that can never sign in, as the default chain on a machine with no sign-in.</summary>
internal sealed class UnavailableCredential : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        throw new Azure.Identity.CredentialUnavailableException("No credential is available here.");

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        throw new Azure.Identity.CredentialUnavailableException("No credential is available here.");
}
