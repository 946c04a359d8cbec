using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace OpStatus.Emulator;

/// <summary>
/// A local stand-in for the services' operation-status endpoints (<see cref="StatusPaths"/>) and a managed-identity token endpoint.
/// HTTPS on 127.0.0.1 for the services; plain HTTP on 127.0.0.1 for tokens, as Azure Automation serves them.
/// Responses are scripted per operation id; every request is logged as it arrived.
/// </summary>
public sealed class AzureEmulator : IAsyncDisposable
{
    public const string DevCenterAudience = "https://devcenter.azure.com";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, ScriptState> scripts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IssuedToken> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SeenRequest> requests = new();
    private readonly ConcurrentDictionary<string, bool> revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TokenRequest> tokenRequests = new();
    private readonly ConcurrentDictionary<string, System.Text.Json.Nodes.JsonObject> resources = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string DevCenter, string Project), string> devCenterProjects = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset WindowStarts, int Used)> graphQuota = new(StringComparer.Ordinal);
    private int graphQuotaSize = 15;
    private TimeSpan graphQuotaWindow = TimeSpan.FromSeconds(5);
    private int? graphFailure;
    private WebApplication? app;
    private ReadBuckets? readBuckets;
    private int inFlight;
    private int tokenFailuresPending;
    private int tokenFailureStatus = 500;

    private AzureEmulator()
    {
        IdentityHeader = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>https://127.0.0.1:{port}/: the Dev Center endpoint and the Resource Manager endpoint.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>
    /// https://127.0.0.1:{another port}/: the same emulator at an origin of its own, for a test that needs a
    /// Resource Manager token scope for which nothing is cached.
    /// </summary>
    public Uri SpareUri { get; private set; } = null!;

    /// <summary>The audience Resource Manager tokens must carry: the emulator's own origin.</summary>
    public string ResourceManagerAudience => BaseUri.GetLeftPart(UriPartial.Authority);

    /// <summary>The managed-identity endpoint, for IDENTITY_ENDPOINT.</summary>
    public Uri IdentityEndpoint { get; private set; } = null!;

    /// <summary>The secret the managed-identity endpoint expects, for IDENTITY_HEADER.</summary>
    public string IdentityHeader { get; }

    /// <summary>How long managed-identity tokens live.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether requests are logged; benchmarks of memory turn it off so the log does not count.</summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>How long the managed-identity endpoint takes to answer.</summary>
    public TimeSpan TokenDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Every token the emulator has issued, so tests can look for them where they must not be.</summary>
    public IReadOnlyCollection<string> IssuedTokens => tokens.Keys.ToArray();

    public IReadOnlyList<SeenRequest> Requests => requests.ToArray();

    public IReadOnlyList<TokenRequest> TokenRequests => tokenRequests.ToArray();

    public static async Task<AzureEmulator> StartAsync(string certificateFolder, int port = 0, int tokenPort = 0)
    {
        var emulator = new AzureEmulator();
        var certificate = TestCertificates.LoadServer(certificateFolder);
        port = port == 0 ? FreePort() : port;
        var sparePort = FreePort();
        while (sparePort == port)
        {
            sparePort = FreePort();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The same port on 127.0.0.1 and [::1]: with 'localhost' that is three host names, so tests
            // can have token scopes of their own.
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate));
            kestrel.Listen(IPAddress.IPv6Loopback, port, listen => listen.UseHttps(certificate));
            // A second origin, and so a token scope, that no test shares unless it asks for it.
            kestrel.Listen(IPAddress.Loopback, sparePort, listen => listen.UseHttps(certificate));
            kestrel.Listen(IPAddress.Loopback, tokenPort);
        });

        var app = builder.Build();
        app.Run(emulator.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        emulator.app = app;

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        var https = addresses.First(a => a.Scheme == "https" && a.Host == "127.0.0.1" && a.Port != sparePort);
        var http = addresses.First(a => a.Scheme == "http");
        emulator.BaseUri = new Uri($"https://127.0.0.1:{https.Port}/");
        emulator.SpareUri = new Uri($"https://127.0.0.1:{sparePort}/");
        emulator.IdentityEndpoint = new Uri($"http://127.0.0.1:{http.Port}/msi/token");
        return emulator;
    }

    /// <summary>Scripts the answers for an operation id, replacing any earlier script for it.</summary>
    public void Script(string operationId, params Step[] steps)
    {
        if (steps.Length == 0)
        {
            throw new ArgumentException("A script needs at least one step.", nameof(steps));
        }

        scripts[operationId] = new ScriptState(steps);
    }

    /// <summary>
    /// Scripts an operation that runs until a moment and then succeeds: Running (with no Retry-After) before
    /// it, Succeeded from then on. For benchmarks of waiting, where many operations end at the same time.
    /// </summary>
    public void ScriptUntil(string operationId, DateTimeOffset completesAt) => scripts[operationId] = new ScriptState(operationId, completesAt);

    /// <summary>The principal of a token issued without one: the system-assigned identity, or whoever signed in elsewhere.</summary>
    public const string DefaultPrincipal = "00000000-0000-0000-0000-0000000000a1";

    /// <summary>The tenant every token names.</summary>
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    /// <summary>
    /// Issues a token the emulator accepts, as if the caller had signed in elsewhere. It is shaped as a JWT, "emu."
    /// then its claims (tid, oid, aud) then random bytes, so that a client can tell its principal, as from Microsoft
    /// Entra's tokens; only the emulator's own list says whether it is valid.
    /// </summary>
    public string IssueToken(string audience, TimeSpan? lifetime = null, string principal = DefaultPrincipal)
    {
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["tid"] = Tenant, ["oid"] = principal, ["aud"] = audience.TrimEnd('/') });
        var token = "emu." + Base64Url(claims) + "." + Base64Url(RandomNumberGenerator.GetBytes(32));
        tokens[token] = new IssuedToken(audience.TrimEnd('/'), DateTimeOffset.UtcNow + (lifetime ?? TokenLifetime), principal);
        return token;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Revokes every token issued so far for an audience, as Microsoft Entra does when a session is revoked.
    /// With a claims challenge the 401 carries WWW-Authenticate error="insufficient_claims" and claims, as
    /// continuous access evaluation sends it; without, a plain invalid_token.
    /// </summary>
    public void RevokeTokens(string audience, bool withClaimsChallenge)
    {
        foreach (var (token, issued) in tokens)
        {
            if (string.Equals(issued.Audience, audience.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            {
                revoked[token] = withClaimsChallenge;
            }
        }
    }

    /// <summary>Revokes one token.</summary>
    public void RevokeToken(string token, bool withClaimsChallenge) => revoked[token] = withClaimsChallenge;

    private static string ClaimsChallenge()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var claims = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"" + now + "\"}}}";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(claims));
    }

    /// <summary>Makes the next managed-identity token requests fail, with a 500 unless told otherwise.</summary>
    public void FailNextTokenRequests(int count, int status = 500)
    {
        tokenFailureStatus = status;
        Interlocked.Exchange(ref tokenFailuresPending, count);
    }

    /// <summary>
    /// Throttles status reads as Resource Manager does: a token bucket per subscription and principal (Dev Center:
    /// one for the endpoint) of <paramref name="size"/> reads, refilled at <paramref name="refillPerSecond"/>. A read
    /// that finds it empty is answered 429 with Retry-After (whole seconds) and
    /// x-ms-ratelimit-remaining-subscription-reads: 0; every other read carries what remains.
    /// <paramref name="competitorPerSecond"/> is another client, not OpStatus, taking that many reads a second from
    /// every bucket, from the moment the bucket is first used.
    /// </summary>
    public void Throttle(int size, double refillPerSecond, double competitorPerSecond = 0) => readBuckets = new ReadBuckets(size, refillPerSecond, competitorPerSecond);

    /// <summary>Each bucket of the throttling model: what it let through, what it refused, what the competitor took.</summary>
    public IReadOnlyList<BucketStatistics> ThrottleStatistics => readBuckets?.Statistics() ?? Array.Empty<BucketStatistics>();

    /// <summary>Makes a project of a dev center known to Resource Graph, with the URI of its dev center.</summary>
    public void AddDevCenterProject(string devCenter, string project, string devCenterUri) => devCenterProjects[(devCenter, project)] = devCenterUri;

    /// <summary>Resource Graph's query quota of each principal: so many queries a window.</summary>
    public void ResourceGraphQuota(int queries, TimeSpan window)
    {
        graphQuotaSize = queries;
        graphQuotaWindow = window;
        graphQuota.Clear();
    }

    /// <summary>Resource Graph answers every query with this HTTP status (an error body), or, given null, answers again.</summary>
    public void ResourceGraphFails(int? status) => graphFailure = status;

    /// <summary>Reads are no longer throttled.</summary>
    public void StopThrottling() => readBuckets = null;

    public void ClearRequests()
    {
        while (requests.TryDequeue(out _))
        {
        }
    }

    /// <summary>Completes when the process is told to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => app?.WaitForShutdownAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var path = rawTarget.Split('?', 2)[0];
        if (context.Request.Path.StartsWithSegments("/msi/token"))
        {
            await ServeTokenAsync(context).ConfigureAwait(false);
        }
        else if (!context.Request.IsHttps)
        {
            context.Response.StatusCode = 404;
        }
        else if (path.StartsWith("/_emulator/", StringComparison.Ordinal))
        {
            await ServeControlAsync(context, path).ConfigureAwait(false);
        }
        else
        {
            await ServeOperationAsync(context, rawTarget, path).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A Redis Enterprise cluster path, /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Cache/redisEnterprise/{name},
    /// or an action on it (/{name}/{action}): PUT starts a create (201 with Azure-AsyncOperation), PATCH an update (200
    /// with Azure-AsyncOperation), POST an action (202 with Azure-AsyncOperation and Location), DELETE a delete (202 with
    /// Location), as Resource Manager does; GET reads the cluster.
    /// </summary>
    private static bool IsStartPath(string path, out string subscription, out string name, out string? action)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var match = s.Length is 8 or 9 && string.Equals(s[0], "subscriptions", StringComparison.OrdinalIgnoreCase)
            && string.Equals(s[2], "resourceGroups", StringComparison.OrdinalIgnoreCase)
            && string.Equals(s[5], "Microsoft.Cache", StringComparison.OrdinalIgnoreCase)
            && string.Equals(s[6], "redisEnterprise", StringComparison.OrdinalIgnoreCase);
        subscription = match ? s[1] : string.Empty;
        name = match ? Uri.UnescapeDataString(s[7]) : string.Empty;
        action = match && s.Length == 9 ? Uri.UnescapeDataString(s[8]) : null;
        return match;
    }

    /// <summary>The cluster path of a start path (without its action), as the resource store keys it.</summary>
    private static string ResourcePath(string path, string? action) =>
        action is null ? path.TrimEnd('/') : path.TrimEnd('/')[..^(action.Length + 1)];

    private Step StartOperation(HttpContext context, string path, string subscription, string name, string? action)
    {
        var origin = $"https://{context.Request.Host.Value}";
        var operationId = Guid.NewGuid().ToString();
        var retry = new Dictionary<string, string> { ["retry-after-ms"] = "200" };
        var resourcePath = ResourcePath(path, action);
        var resource = new System.Text.Json.Nodes.JsonObject { ["id"] = resourcePath, ["name"] = name, ["type"] = "Microsoft.Cache/redisEnterprise", ["location"] = "westus" };
        var statusUrl = $"{origin}/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{operationId}?api-version=2024-10-01";
        if (context.Request.Method == "GET")
        {
            return action is null && resources.TryGetValue(resourcePath, out var stored)
                ? new Step { Body = System.Text.Json.Nodes.JsonNode.Parse(stored.ToJsonString())!.AsObject() }
                : Error(404, "ResourceNotFound", $"The Resource 'Microsoft.Cache/redisEnterprise/{name}' under resource group was not found.");
        }

        if (context.Request.Method is "PATCH" or "POST")
        {
            Script(operationId,
                new Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = operationId, ["status"] = "InProgress", ["startTime"] = "{now}" }, Headers = retry },
                new Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = operationId, ["status"] = "Succeeded", ["startTime"] = "{now}", ["endTime"] = "{now}" } });
            if (context.Request.Method == "PATCH")
            {
                // The update is in the stored cluster as soon as it is accepted; its final read shows it.
                var updated = resources.GetOrAdd(resourcePath, _ => resource);
                var properties = updated["properties"] as System.Text.Json.Nodes.JsonObject ?? new System.Text.Json.Nodes.JsonObject();
                properties["provisioningState"] = "Succeeded";
                properties["patched"] = true;
                updated["properties"] = properties;
                return new Step { Status = 200, Body = System.Text.Json.Nodes.JsonNode.Parse(updated.ToJsonString())!.AsObject(), Headers = new() { ["Azure-AsyncOperation"] = statusUrl, ["Retry-After"] = "1" } };
            }

            // An action's result is at its Location once the operation has ended.
            Script(operationId + "-result", new Step { Body = new System.Text.Json.Nodes.JsonObject { ["action"] = action, ["primaryKey"] = "result-of-" + name } });
            return new Step
            {
                Status = 202,
                BodyText = string.Empty,
                Headers = new()
                {
                    ["Azure-AsyncOperation"] = statusUrl,
                    ["Location"] = $"{origin}/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationResults/{operationId}-result?api-version=2024-10-01",
                    ["Retry-After"] = "1",
                },
            };
        }

        if (context.Request.Method == "PUT")
        {
            resources[resourcePath] = new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = resourcePath, ["name"] = name, ["type"] = "Microsoft.Cache/redisEnterprise", ["location"] = "westus",
                ["properties"] = new System.Text.Json.Nodes.JsonObject { ["provisioningState"] = "Succeeded", ["hostName"] = name + ".westus.redis.azure.net" },
            };
            Script(operationId,
                new Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = operationId, ["status"] = "InProgress", ["startTime"] = "{now}" }, Headers = retry },
                new Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = operationId, ["status"] = "Succeeded", ["startTime"] = "{now}", ["endTime"] = "{now}" } });
            resource["properties"] = new System.Text.Json.Nodes.JsonObject { ["provisioningState"] = "Creating" };
            return new Step
            {
                Status = 201,
                Body = resource,
                Headers = new()
                {
                    ["Azure-AsyncOperation"] = $"{origin}/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{operationId}?api-version=2024-10-01",
                    ["Retry-After"] = "1",
                },
            };
        }

        resources.TryRemove(resourcePath, out _);
        Script(operationId, new Step { Status = 202, BodyText = string.Empty, Headers = retry }, new Step { Status = 204, BodyText = string.Empty });
        return new Step
        {
            Status = 202,
            BodyText = string.Empty,
            Headers = new()
            {
                ["Location"] = $"{origin}/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationResults/{operationId}?api-version=2024-10-01",
                ["Retry-After"] = "1",
            },
        };
    }

    private async Task ServeOperationAsync(HttpContext context, string rawTarget, string path)
    {
        if (context.Request.Method == "POST" && path.Equals("/providers/Microsoft.ResourceGraph/resources", StringComparison.OrdinalIgnoreCase))
        {
            await ServeResourceGraphAsync(context, rawTarget).ConfigureAwait(false);
            return;
        }

        if (IsStartPath(path, out var startSubscription, out var startName, out var action)
            && (context.Request.Method is "PUT" or "PATCH" or "DELETE" or "GET" ? action is null : context.Request.Method == "POST" && action is not null))
        {
            var authorization = context.Request.Headers.Authorization.FirstOrDefault();
            var startProblem = CheckToken(authorization, "https://" + context.Request.Host.Value);
            var step = startProblem is { } refused ? Error(401, refused.Code, refused.Message) : StartOperation(context, path, startSubscription, startName, action);
            Record(context, rawTarget, "Resource", null, step, authorization, startProblem is null);
            await WriteStepAsync(context, step, dataPlane: false).ConfigureAwait(false);
            return;
        }

        var (service, operationId) = Match(path);
        var concurrent = Interlocked.Increment(ref inFlight);
        try
        {
            await ServeStatusAsync(context, rawTarget, path, service, operationId, concurrent).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private async Task ServeStatusAsync(HttpContext context, string rawTarget, string path, string? service, string? operationId, int concurrent)
    {
        var apiVersion = context.Request.Query["api-version"].FirstOrDefault();
        var authorization = context.Request.Headers.Authorization.FirstOrDefault();
        // Resource Manager tokens are for the endpoint they are sent to: https://127.0.0.1:{port} or https://localhost:{port}.
        var expectedAudience = service == "DevCenter" ? DevCenterAudience : "https://" + context.Request.Host.Value;
        var tokenProblem = CheckToken(authorization, expectedAudience);
        var principal = PrincipalOf(authorization);

        Step step;
        if (service is null)
        {
            step = Error(404, "PathNotFound", $"The path '{path}' is not an operation status of a known service.");
        }
        else if (tokenProblem is not null)
        {
            var challenge = tokenProblem.Value.Code == "RevokedAuthenticationToken"
                ? $"Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{ClaimsChallenge()}\""
                : "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\"";
            step = Error(401, tokenProblem.Value.Code, tokenProblem.Value.Message);
            step.Headers!["WWW-Authenticate"] = challenge;
        }
        else if (string.IsNullOrEmpty(apiVersion))
        {
            step = Error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }
        else if (context.Request.Method != "GET")
        {
            step = Error(405, "MethodNotAllowed", "Only GET is supported.");
        }
        else if (readBuckets is { } buckets && !buckets.TryTake(SubscriptionOf(path), principal, out var retryAfter))
        {
            step = Error(429, "SubscriptionRequestsThrottled", "Number of read requests for subscription exceeded the limit. Please try again after some time.");
            step.Headers!["Retry-After"] = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            step.Headers!["x-ms-ratelimit-remaining-subscription-reads"] = "0";
        }
        else if (scripts.TryGetValue(operationId!, out var script))
        {
            step = script.Next();
        }
        else
        {
            step = Error(404, "OperationNotFound", $"The operation '{operationId}' was not found.");
        }

        Record(context, rawTarget, service, operationId, step, authorization, tokenProblem is null, concurrent);

        if (readBuckets is { } model && step.Status != 429 && service is not null)
        {
            context.Response.Headers["x-ms-ratelimit-remaining-subscription-reads"] = model.Remaining(SubscriptionOf(path), principal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await WriteStepAsync(context, step, service == "DevCenter").ConfigureAwait(false);
    }

    private static async Task WriteStepAsync(HttpContext context, Step step, bool dataPlane)
    {
        if (step.DelayMs > 0)
        {
            try
            {
                await Task.Delay(step.DelayMs, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (string.Equals(step.Fault, "reset", StringComparison.OrdinalIgnoreCase))
        {
            context.Abort();
            return;
        }

        var response = context.Response;
        response.StatusCode = step.Status;
        response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        if (!dataPlane)
        {
            response.Headers["x-ms-correlation-request-id"] = Guid.NewGuid().ToString();
        }

        foreach (var (name, value) in step.Headers ?? new())
        {
            response.Headers[name] = value;
        }

        // "{now}" in a body stands for the moment of the answer, so scripted end times never precede what a reader saw.
        var body = (step.BodyText ?? step.Body?.ToJsonString() ?? string.Empty)
            .Replace("{now}", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentType = step.ContentType ?? (bytes.Length > 0 ? "application/json; charset=utf-8" : null);
        switch (step.Fault?.ToLowerInvariant())
        {
            case "truncate":
                response.ContentLength = bytes.Length + 100;
                await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2)).ConfigureAwait(false);
                await response.Body.FlushAsync().ConfigureAwait(false);
                context.Abort();
                return;
            case "close-after-headers":
                response.ContentLength = bytes.Length;
                await response.StartAsync().ConfigureAwait(false);
                await response.Body.FlushAsync().ConfigureAwait(false);
                context.Abort();
                return;
            case "trickle":
                response.ContentLength = bytes.Length;
                await response.StartAsync().ConfigureAwait(false);
                try
                {
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        await response.Body.WriteAsync(bytes.AsMemory(i, 1), context.RequestAborted).ConfigureAwait(false);
                        await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                        await Task.Delay(step.TrickleMs > 0 ? step.TrickleMs : 1000, context.RequestAborted).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    // The client gave up on the answer.
                }

                return;
            case "gzip":
                // The gzip magic number, then bytes that are no deflate stream: an answer that does not decompress.
                response.Headers.ContentEncoding = "gzip";
                bytes = new byte[] { 0x1f, 0x8b, 0x08, 0x00 }.Concat(Encoding.UTF8.GetBytes("not a deflate stream")).ToArray();
                break;
        }

        if (!step.Chunked)
        {
            response.ContentLength = bytes.Length + step.PadBytes;
        }

        await response.Body.WriteAsync(bytes).ConfigureAwait(false);
        await WritePaddingAsync(response, step.PadBytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>White space after the body, written a block at a time: an answer of any size, never held whole.</summary>
    private static async Task WritePaddingAsync(HttpResponse response, long count, CancellationToken cancellationToken)
    {
        var block = new byte[64 * 1024];
        Array.Fill(block, (byte)' ');
        try
        {
            for (var left = count; left > 0; left -= block.Length)
            {
                await response.Body.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, left)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client stopped reading: what a bounded reader does.
        }
    }

    /// <summary>Keeps a request in the request log (a status read, a start, a resource, a Resource Graph query), when requests are recorded.</summary>
    /// <param name="concurrent">For a status read: how many were being served when it arrived, itself included.</param>
    private void Record(HttpContext context, string rawTarget, string? service, string? operationId, Step step, string? authorization, bool authorized, int concurrent = 0)
    {
        if (RecordRequests)
        {
            requests.Enqueue(new SeenRequest
            {
                Method = context.Request.Method,
                RawTarget = rawTarget,
                Service = service,
                OperationId = operationId,
                ApiVersion = context.Request.Query["api-version"].FirstOrDefault(),
                Authorized = authorized,
                HadAuthorizationHeader = authorization is not null,
                UserAgent = context.Request.Headers.UserAgent.FirstOrDefault(),
                ClientRequestId = context.Request.Headers["x-ms-client-request-id"].FirstOrDefault(),
                Time = DateTimeOffset.UtcNow,
                ResponseStatus = step.Fault is null ? step.Status : 0,
                InFlight = concurrent,
                Throttled = step.Status == 429 && step.Headers?.ContainsKey("x-ms-ratelimit-remaining-subscription-reads") == true,
                Principal = PrincipalOf(authorization),
            });
        }
    }

    /// <summary>
    /// Azure Resource Graph's query API, for the one query OpStatus makes: the project of a name whose dev center has a
    /// name, and its dev center's URI. The names are read from the query's string literals; a query of another shape
    /// is a 400. Each principal has a quota (15 queries per 5 s unless set), told in x-ms-user-quota-remaining and
    /// x-ms-user-quota-resets-after, and answered 429 once spent.
    /// </summary>
    private async Task ServeResourceGraphAsync(HttpContext context, string rawTarget)
    {
        var authorization = context.Request.Headers.Authorization.FirstOrDefault();
        var problem = CheckToken(authorization, "https://" + context.Request.Host.Value);
        var principal = PrincipalOf(authorization);
        string query;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body).ConfigureAwait(false);
            query = body.RootElement.TryGetProperty("query", out var text) ? text.GetString() ?? string.Empty : string.Empty;
        }
        catch (JsonException)
        {
            query = string.Empty;
        }

        Step step;
        var now = DateTimeOffset.UtcNow;
        var quota = graphQuota.AddOrUpdate(principal, _ => (now, 0), (_, q) => now - q.WindowStarts >= graphQuotaWindow ? (now, 0) : q);
        var resetsAfter = graphQuotaWindow - (now - quota.WindowStarts);
        var project = System.Text.RegularExpressions.Regex.Match(query, @"type =~ 'microsoft\.devcenter/projects' and name =~ '([^']*)'");
        var devCenter = System.Text.RegularExpressions.Regex.Match(query, @"devCenterId endswith '/devcenters/([^']*)'");
        if (problem is { } refused)
        {
            step = Error(401, refused.Code, refused.Message);
        }
        else if (graphFailure is { } failing)
        {
            step = Error(failing, "ServiceError", "Please provide below info when asking for support: timestamp, correlation id. The service failed.");
        }
        else if (quota.Used >= graphQuotaSize)
        {
            step = Error(429, "RateLimiting", "Please provide below info when asking for support: timestamp, correlation id. Too many requests.");
        }
        else if (!project.Success || !devCenter.Success || context.Request.Query["api-version"].FirstOrDefault() is not { Length: > 0 })
        {
            step = Error(400, "BadRequest", "Please provide below info when asking for support: the query is not one the emulator answers.");
        }
        else
        {
            graphQuota[principal] = (quota.WindowStarts, quota.Used + 1);
            var rows = new System.Text.Json.Nodes.JsonArray();
            foreach (var ((dc, proj), uri) in devCenterProjects)
            {
                if (dc.Equals(devCenter.Groups[1].Value, StringComparison.OrdinalIgnoreCase) && proj.Equals(project.Groups[1].Value, StringComparison.OrdinalIgnoreCase))
                {
                    rows.Add(new System.Text.Json.Nodes.JsonObject
                    {
                        ["devCenterUri"] = uri,
                        ["devCenterId"] = $"/subscriptions/{Guid.Empty}/resourceGroups/rg/providers/Microsoft.DevCenter/devcenters/{dc}",
                    });
                }
            }

            step = new Step
            {
                Body = new System.Text.Json.Nodes.JsonObject { ["totalRecords"] = rows.Count, ["count"] = rows.Count, ["data"] = rows, ["facets"] = new System.Text.Json.Nodes.JsonArray(), ["resultTruncated"] = "false" },
                Headers = new(),
            };
        }

        var used = graphQuota.TryGetValue(principal, out var after) ? after.Used : 0;
        step.Headers!["x-ms-user-quota-remaining"] = Math.Max(0, graphQuotaSize - used).ToString(System.Globalization.CultureInfo.InvariantCulture);
        step.Headers["x-ms-user-quota-resets-after"] = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(0, resetsAfter.TotalSeconds))).ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture);
        Record(context, rawTarget, "ResourceGraph", null, step, authorization, problem is null);
        await WriteStepAsync(context, step, dataPlane: false).ConfigureAwait(false);
    }

    /// <summary>The principal of a token the emulator issued; the empty string for any other.</summary>
    private string PrincipalOf(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && tokens.TryGetValue(authorization["Bearer ".Length..].Trim(), out var issued)
            ? issued.Principal
            : string.Empty;

    private (string Code, string Message)? CheckToken(string? authorization, string expectedAudience)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
        }

        var token = authorization["Bearer ".Length..].Trim();
        if (!tokens.TryGetValue(token, out var issued))
        {
            return ("InvalidAuthenticationToken", "The access token is invalid.");
        }

        if (revoked.TryGetValue(token, out var withClaims))
        {
            return withClaims
                ? ("RevokedAuthenticationToken", "The access token has been revoked; get a new one for the claims in the challenge.")
                : ("InvalidAuthenticationToken", "The access token has been revoked.");
        }

        if (issued.ExpiresOn <= DateTimeOffset.UtcNow)
        {
            return ("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.");
        }

        if (!string.Equals(issued.Audience, expectedAudience, StringComparison.OrdinalIgnoreCase))
        {
            return ("InvalidAuthenticationTokenAudience", $"The access token has been obtained for wrong audience or resource '{issued.Audience}'. It should exactly match with one of the allowed audiences '{expectedAudience}'.");
        }

        return null;
    }

    private async Task ServeTokenAsync(HttpContext context)
    {
        if (TokenDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(TokenDelay, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var resource = context.Request.Query["resource"].FirstOrDefault() ?? string.Empty;
        var clientId = context.Request.Query["client_id"].FirstOrDefault();
        var headerOk = context.Request.Headers["X-IDENTITY-HEADER"].FirstOrDefault() == IdentityHeader;
        var fail = Interlocked.Decrement(ref tokenFailuresPending) >= 0;
        if (!fail)
        {
            Interlocked.Exchange(ref tokenFailuresPending, 0);
        }

        var granted = headerOk && !fail && resource.Length > 0;
        tokenRequests.Enqueue(new TokenRequest { Resource = resource, ClientId = clientId, Granted = granted, Time = DateTimeOffset.UtcNow });
        if (!granted)
        {
            context.Response.StatusCode = !headerOk ? 401 : fail ? tokenFailureStatus : 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_request", error_description = !headerOk ? "The identity header is missing or wrong." : fail ? "The token service failed." : "A resource is required." }).ConfigureAwait(false);
            return;
        }

        // A user-assigned identity is a principal of its own; the system-assigned one is the default principal.
        var token = IssueToken(resource, principal: clientId is null ? DefaultPrincipal : "mi-" + clientId);
        var expiresOn = tokens[token].ExpiresOn.ToUnixTimeSeconds();
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
        {
            ["access_token"] = token,
            ["expires_on"] = expiresOn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = clientId ?? "00000000-0000-0000-0000-000000000001",
        }).ConfigureAwait(false);
    }

    private async Task ServeControlAsync(HttpContext context, string path)
    {
        var method = context.Request.Method;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments.Length > 1 ? segments[1] : string.Empty)
        {
            case "operations" when method == "PUT" && segments.Length == 3:
                var script = await JsonSerializer.DeserializeAsync<OperationScript>(context.Request.Body, Json).ConfigureAwait(false);
                if (script is null || script.Steps.Count == 0)
                {
                    context.Response.StatusCode = 400;
                    await context.Response.WriteAsync("A script needs at least one step.").ConfigureAwait(false);
                    return;
                }

                Script(Uri.UnescapeDataString(segments[2]), script.Steps.ToArray());
                context.Response.StatusCode = 204;
                return;
            case "requests" when method == "GET":
                await context.Response.WriteAsJsonAsync(Requests, Json).ConfigureAwait(false);
                return;
            case "requests" when method == "DELETE":
                ClearRequests();
                context.Response.StatusCode = 204;
                return;
            case "tokens" when method == "POST":
                var issue = await JsonSerializer.DeserializeAsync<TokenIssueRequest>(context.Request.Body, Json).ConfigureAwait(false);
                var lifetime = issue?.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
                await context.Response.WriteAsJsonAsync(new { access_token = IssueToken(issue?.Audience ?? ResourceManagerAudience, lifetime, issue?.Principal ?? DefaultPrincipal) }).ConfigureAwait(false);
                return;
            case "throttle" when method == "PUT":
                var limits = await JsonSerializer.DeserializeAsync<ThrottleSettings>(context.Request.Body, Json).ConfigureAwait(false);
                if (limits is null || limits.Size < 1 || limits.RefillPerSecond <= 0)
                {
                    context.Response.StatusCode = 400;
                    await context.Response.WriteAsync("Give {\"size\": reads, \"refillPerSecond\": reads a second}, both above 0.").ConfigureAwait(false);
                    return;
                }

                Throttle(limits.Size, limits.RefillPerSecond, limits.CompetitorPerSecond);
                context.Response.StatusCode = 204;
                return;
            case "devcenters" when method == "PUT":
                var project = await JsonSerializer.DeserializeAsync<DevCenterProject>(context.Request.Body, Json).ConfigureAwait(false);
                if (project is null || string.IsNullOrEmpty(project.DevCenter) || string.IsNullOrEmpty(project.Project) || string.IsNullOrEmpty(project.Uri))
                {
                    context.Response.StatusCode = 400;
                    await context.Response.WriteAsync("Give {\"devCenter\": name, \"project\": name, \"uri\": the dev center's URI}.").ConfigureAwait(false);
                    return;
                }

                AddDevCenterProject(project.DevCenter, project.Project, project.Uri);
                context.Response.StatusCode = 204;
                return;
            case "throttle" when method == "GET":
                await context.Response.WriteAsJsonAsync(ThrottleStatistics, Json).ConfigureAwait(false);
                return;
            case "throttle" when method == "DELETE":
                StopThrottling();
                context.Response.StatusCode = 204;
                return;
            case "token-requests" when method == "GET":
                await context.Response.WriteAsJsonAsync(TokenRequests, Json).ConfigureAwait(false);
                return;
            default:
                context.Response.StatusCode = 404;
                return;
        }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var free = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return free;
    }

    /// <summary>
    /// The status path of each service the emulator answers, as templates with named segments. A copy of the
    /// module's service descriptions, so that the emulator stays independent of the module; a test checks
    /// that the two agree.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> StatusPaths = new Dictionary<string, string>
    {
        ["DevCenter"] = "projects/{ProjectName}/operationstatuses/{OperationId}",
        ["Cache"] = "subscriptions/{SubscriptionId}/providers/Microsoft.Cache/locations/{Location}/operationsStatus/{OperationId}",
        ["LogAnalytics"] = "subscriptions/{SubscriptionId}/providers/Microsoft.OperationalInsights/locations/{Location}/operationStatuses/{AsyncOperationId}",
    };

    /// <summary>Which service a raw path belongs to, and its operation id (the last segment), unescaped.</summary>
    private static (string? Service, string? OperationId) Match(string path)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        static bool Is(string segment, string expected) => string.Equals(segment, expected, StringComparison.OrdinalIgnoreCase);

        foreach (var (service, template) in StatusPaths)
        {
            var parts = template.Split('/');
            if (parts.Length == s.Length && parts.Select((part, i) => part.StartsWith('{') || Is(part, s[i])).All(matched => matched))
            {
                return (service, Uri.UnescapeDataString(s[^1]));
            }
        }

        // Any other provider's async-operation or Location URL: .../operationResults/{id}, .../asyncOperations/{id}.
        if (s.Length >= 2 && (Is(s[^2], "operationResults") || Is(s[^2], "asyncOperations") || Is(s[^2], "operations")))
        {
            return ("AsyncOperation", Uri.UnescapeDataString(s[^1]));
        }

        return (null, null);
    }

    /// <summary>The subscription a path reads in, or the empty string (Dev Center: one bucket for the endpoint).</summary>
    private static string SubscriptionOf(string path)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return s.Length >= 2 && s[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase) ? s[1].ToLowerInvariant() : string.Empty;
    }

    private static Step Error(int status, string code, string message) => new()
    {
        Status = status,
        Body = new System.Text.Json.Nodes.JsonObject
        {
            ["error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = code, ["message"] = message },
        },
        Headers = new() { ["x-ms-error-code"] = code },
    };

    /// <summary>
    /// Resource Manager's read throttling: one token bucket per subscription and principal, and a competing client
    /// that takes its share of every bucket's refill first.
    /// </summary>
    private sealed class ReadBuckets
    {
        private readonly ConcurrentDictionary<(string Subscription, string Principal), Bucket> buckets = new();
        private readonly int size;
        private readonly double refill;
        private readonly double competitor;

        public ReadBuckets(int size, double refillPerSecond, double competitorPerSecond)
        {
            this.size = size;
            refill = refillPerSecond;
            competitor = competitorPerSecond;
        }

        /// <summary>Takes a read; false, with the whole seconds until the next one, when the bucket is empty.</summary>
        public bool TryTake(string subscription, string principal, out int retryAfterSeconds)
        {
            var bucket = BucketOf(subscription, principal);
            lock (bucket)
            {
                Refill(bucket);
                if (bucket.Tokens >= 1)
                {
                    bucket.Tokens -= 1;
                    bucket.Admitted++;
                    retryAfterSeconds = 0;
                    return true;
                }

                bucket.Throttled++;
                retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / Math.Max(0.1, refill - competitor)));
                return false;
            }
        }

        public int Remaining(string subscription, string principal)
        {
            var bucket = BucketOf(subscription, principal);
            lock (bucket)
            {
                Refill(bucket);
                return (int)Math.Floor(bucket.Tokens);
            }
        }

        public IReadOnlyList<BucketStatistics> Statistics() => buckets.Select(pair =>
        {
            lock (pair.Value)
            {
                Refill(pair.Value);
                return new BucketStatistics
                {
                    Subscription = pair.Key.Subscription,
                    Principal = pair.Key.Principal,
                    Admitted = pair.Value.Admitted,
                    Throttled = pair.Value.Throttled,
                    CompetitorTaken = pair.Value.CompetitorTaken,
                    CompetitorDenied = pair.Value.CompetitorDenied,
                    Left = (int)Math.Floor(pair.Value.Tokens),
                };
            }
        }).ToArray();

        /// <summary>Dev Center (no subscription in the path) counts per endpoint, whoever reads.</summary>
        private Bucket BucketOf(string subscription, string principal) =>
            buckets.GetOrAdd((subscription, subscription.Length == 0 ? string.Empty : principal), _ => new Bucket(size));

        /// <summary>The refill since the last look; the competitor takes its reads from it first, and from the bucket.</summary>
        private void Refill(Bucket bucket)
        {
            var now = bucket.Clock.Elapsed.TotalSeconds;
            var seconds = now - bucket.RefilledAt;
            bucket.RefilledAt = now;
            var wanted = seconds * competitor;
            var available = bucket.Tokens + (seconds * refill);
            var taken = Math.Min(wanted, Math.Max(0, available));
            bucket.CompetitorTaken += taken;
            bucket.CompetitorDenied += wanted - taken;
            bucket.Tokens = Math.Min(size, available - taken);
        }

        private sealed class Bucket
        {
            public Bucket(int size) => Tokens = size;

            public System.Diagnostics.Stopwatch Clock { get; } = System.Diagnostics.Stopwatch.StartNew();

            public double Tokens { get; set; }

            public double RefilledAt { get; set; }

            public long Admitted { get; set; }

            public long Throttled { get; set; }

            public double CompetitorTaken { get; set; }

            public double CompetitorDenied { get; set; }
        }
    }

    private sealed class ScriptState
    {
        private readonly Step[] steps;
        private readonly DateTimeOffset? completesAt;
        private readonly object gate = new();
        private int next;
        private DateTimeOffset? stepSince;

        public ScriptState(Step[] steps) => this.steps = steps;

        public ScriptState(string operationId, DateTimeOffset completesAt)
        {
            this.completesAt = completesAt;
            steps = new[] { Status("Running"), Status("Succeeded") };

            Step Status(string status) => new()
            {
                Body = new System.Text.Json.Nodes.JsonObject { ["name"] = operationId, ["status"] = status },
            };
        }

        public Step Next()
        {
            if (completesAt is { } end)
            {
                return DateTimeOffset.UtcNow < end ? steps[0] : steps[1];
            }

            lock (gate)
            {
                while (true)
                {
                    var step = steps[next];
                    var last = next == steps.Length - 1;
                    if (step.DurationMs <= 0)
                    {
                        next += last ? 0 : 1;
                        return step;
                    }

                    var now = DateTimeOffset.UtcNow;
                    stepSince ??= now;
                    if (last || now - stepSince.Value < TimeSpan.FromMilliseconds(step.DurationMs))
                    {
                        return step;
                    }

                    next++;
                    stepSince = null;
                }
            }
        }
    }
}
