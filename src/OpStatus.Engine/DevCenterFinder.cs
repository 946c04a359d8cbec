using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;

namespace OpStatus.Engine;

/// <summary>
/// Finds a dev center's endpoint from its name and one of its projects, as Az.DevCenter and the CLI do, through Azure
/// Resource Graph's REST API with the Resource Manager sign-in (no other module). Once per session, cloud and names;
/// Resource Graph's per-user quota (x-ms-user-quota-remaining, x-ms-user-quota-resets-after) is honoured. The endpoint
/// found must pass the Dev Center host rule before any token goes to it.
/// </summary>
internal static class DevCenterFinder
{
    /// <summary>Resource Graph's api-version; its default result format is an array of objects.</summary>
    public const string ApiVersion = "2021-03-01";

    /// <summary>Added to a quota's reset: x-ms-user-quota-resets-after counts whole seconds, so the reset may come a little later.</summary>
    private static readonly TimeSpan QuotaMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>What each sign-in found: another identity (another tenant) may see another dev center of the same name.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AuthenticatedPipelines, ConcurrentDictionary<string, Uri>> Found = new();

    /// <summary>When Resource Graph last said this user's quota is spent, until when (per Resource Manager endpoint).</summary>
    private static readonly ConcurrentDictionary<string, DateTimeOffset> QuotaSpentUntil = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The Resource Graph read, as a service of its own for messages and the read limit.</summary>
    private static readonly AzureService ResourceGraph = new()
    {
        Name = "Resource Graph",
        Identifiers = "the dev center name and the project name",
        ReadScope = "the project",
    };

    /// <summary>
    /// The endpoint of the dev center that has this project, or why there is none: a value that is not valid, nothing
    /// found, more than one found, an endpoint that fails the host rule, or the Resource Graph read failing. The cloud is
    /// -ResourceManagerEndpoint's (whose host may then hold the dev center too), else -Environment's, else the public one.
    /// </summary>
    public static async Task<EndpointLookup> FindAsync(string? devCenterName, string? projectName, string? environment, Uri? resourceManagerEndpoint, CommandContext context)
    {
        if (resourceManagerEndpoint is not null && InputValidation.CheckEndpoint(resourceManagerEndpoint, "-ResourceManagerEndpoint") is { } badEndpoint)
        {
            return EndpointLookup.Refused(new InvalidInput("InvalidResourceManagerEndpoint", badEndpoint, resourceManagerEndpoint));
        }

        if (InputValidation.CheckDevCenterName(devCenterName) is { } badName)
        {
            return EndpointLookup.Refused(new InvalidInput("InvalidDevCenterName", badName, devCenterName));
        }

        if (InputValidation.CheckDevCenterProjectName(projectName) is { } badProject)
        {
            return EndpointLookup.Refused(new InvalidInput("InvalidProjectName", badProject, projectName));
        }

        var cloud = resourceManagerEndpoint is not null ? AzureCloud.Custom(resourceManagerEndpoint) : AzureCloud.FindByName(environment) ?? AzureCloud.Public;
        var credential = context.SignIn.CredentialFor(cloud);
        var found = Found.GetValue(credential, _ => new ConcurrentDictionary<string, Uri>(StringComparer.OrdinalIgnoreCase));
        var key = $"{cloud.ResourceManagerEndpoint.AbsoluteUri}|{devCenterName}|{projectName}";
        if (found.TryGetValue(key, out var known))
        {
            return EndpointLookup.At(known);
        }

        var clock = context.Clock;
        var log = context.Output;
        var longestPause = credential.Settings.LongestRetryAfter;
        var cancellationToken = context.Stopping;
        var uri = new Uri(cloud.ResourceManagerEndpoint, "providers/Microsoft.ResourceGraph/resources?api-version=" + ApiVersion);
        var request = new OperationRequest(ResourceGraph, cloud, uri, cloud.ResourceManagerScope, credential, $"{devCenterName}/{projectName}");
        if (QuotaSpentUntil.TryGetValue(cloud.ResourceManagerEndpoint.AbsoluteUri, out var until) && until - clock.GetUtcNow() is { } left && left > TimeSpan.Zero)
        {
            if (left > longestPause)
            {
                return EndpointLookup.Failed(QuotaFailure(request, left));
            }

            if (log.VerboseEnabled)
            {
                log.Verbose(string.Format(CultureInfo.InvariantCulture, "Resource Graph's quota for this user is spent: waiting {0:0.#} s before finding dev center '{1}'.", left.TotalSeconds, devCenterName));
            }

            await clock.Delay(left, cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            var (status, body, resetsAfter, retriable, failure) = await QueryAsync(request, Query(devCenterName!, projectName!), log, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return EndpointLookup.Failed(failure);
            }

            if (resetsAfter is { } reset)
            {
                QuotaSpentUntil[cloud.ResourceManagerEndpoint.AbsoluteUri] = clock.GetUtcNow() + reset + QuotaMargin;
            }

            if (status == 429 && attempt < 3 && (resetsAfter ?? TimeSpan.FromSeconds(5)) + QuotaMargin is { } pause && pause <= longestPause)
            {
                if (log.VerboseEnabled)
                {
                    log.Verbose(string.Format(CultureInfo.InvariantCulture, "Resource Graph throttled the query (429): trying again in {0:0.#} s, when this user's quota resets.", pause.TotalSeconds));
                }

                await clock.Delay(pause, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (status is < 200 or >= 300)
            {
                return EndpointLookup.Failed(status == 429 && resetsAfter is { } longer && longer > longestPause
                    ? QuotaFailure(request, longer)
                    : HttpFailure(request, status, retriable, body));
            }

            return EndpointFromResults(body, devCenterName!, projectName!, cloud, found, key, request, log);
        }
    }

    /// <summary>The query: the project of that name whose dev center has that name (case ignored), and its dev center's URI.</summary>
    internal static string Query(string devCenterName, string projectName) =>
        "resources"
        + " | where type =~ 'microsoft.devcenter/projects' and name =~ '" + projectName + "'"
        + " | extend devCenterId = tostring(properties.devCenterId)"
        + " | where devCenterId endswith '/devcenters/" + devCenterName + "'"
        + " | project devCenterUri = tostring(properties.devCenterUri), devCenterId"
        + " | limit 2";

    private static async Task<(int Status, byte[] Body, TimeSpan? ResetsAfter, bool Retriable, OperationStatusException? Failure)> QueryAsync(OperationRequest request, string query, IOperationLog? log, CancellationToken cancellationToken)
    {
        var pipeline = request.Credential.PipelineFor(request.Scope);
        // 429s are retried here, after the quota's reset: Azure.Core's own retry does not read x-ms-user-quota-resets-after.
        using var message = pipeline.CreateMessage(null, new NotThrottledClassifier());
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(request.Uri);
        message.Request.Headers.Add("Accept", "application/json");
        message.Request.Headers.Add("Content-Type", "application/json");
        var text = JsonSerializer.Serialize(new QueryBody { Query = query });
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(text));
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
            return (0, Array.Empty<byte>(), null, false, OperationStatusReader.SendFailure(request, ex));
        }

        var response = message.Response;
        var body = response.Content.ToArray();
        TimeSpan? resetsAfter = null;
        if ((response.Status == 429 || (response.Headers.TryGetValue("x-ms-user-quota-remaining", out var remaining) && remaining.Trim() == "0"))
            && response.Headers.TryGetValue("x-ms-user-quota-resets-after", out var resets)
            && TimeSpan.TryParse(resets, CultureInfo.InvariantCulture, out var reset) && reset > TimeSpan.Zero)
        {
            resetsAfter = reset;
        }

        // A 429 is one the pipeline would retry; this class retries it itself, after the quota's reset.
        return (response.Status, body, resetsAfter, response.Status == 429 || FailureClassifier.IsRetriable(message), null);
    }

    private static EndpointLookup EndpointFromResults(byte[] body, string devCenterName, string projectName, AzureCloud cloud, ConcurrentDictionary<string, Uri> found, string key, OperationRequest request, IOperationLog log)
    {
        var rows = new System.Collections.Generic.List<(string? Uri, string? Id)>();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return EndpointLookup.Failed(request.Failure(FailureKind.InvalidResponse, $"Resource Graph answered the query for dev center '{devCenterName}' without the 'data' array of its results. A proxy or gateway may have answered instead of Azure; check the network path, or give the dev center's URI with -Endpoint."));
            }

            foreach (var row in data.EnumerateArray())
            {
                string? Text(string name) => row.ValueKind == JsonValueKind.Object && row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                rows.Add((Text("devCenterUri"), Text("devCenterId")));
            }
        }
        catch (JsonException)
        {
            return EndpointLookup.Failed(request.Failure(FailureKind.InvalidResponse, $"Resource Graph answered the query for dev center '{devCenterName}' with a body that is not JSON. A proxy or gateway may have answered instead of Azure; check the network path, or give the dev center's URI with -Endpoint."));
        }

        var who = request.Credential.Description;
        if (rows.Count == 0 || string.IsNullOrEmpty(rows[0].Uri))
        {
            var missing = request.Failure(
                FailureKind.Http,
                $"Resource Graph knows no project '{projectName}' in a dev center named '{devCenterName}' that {who} can read. Check both names, and that this identity has read access to the project (Reader, or a Dev Center role); or give the dev center's URI with -Endpoint (in the portal: the dev center's Overview, 'Dev center URI').");
            missing.StatusCode = 404;
            missing.ErrorCode = "DevCenterNotFound";
            return EndpointLookup.Failed(missing);
        }

        if (rows.Count > 1)
        {
            return EndpointLookup.Refused(new InvalidInput(
                "DevCenterAmbiguous",
                $"More than one dev center named '{devCenterName}' has a project '{projectName}' ({rows[0].Id}; {rows[1].Id}). Give the one you mean with -Endpoint and its dev center URI.",
                devCenterName));
        }

        if (!Uri.TryCreate(rows[0].Uri, UriKind.Absolute, out var endpoint) || endpoint.Scheme != Uri.UriSchemeHttps
            || !(AzureService.DevCenter.OwnsHost(endpoint.Host) || (cloud.Name == "Custom" && string.Equals(endpoint.Authority, cloud.ResourceManagerEndpoint.Authority, StringComparison.OrdinalIgnoreCase))))
        {
            // Never send a token to a host only because an answer named it.
            return EndpointLookup.Refused(new InvalidInput(
                "UntrustedDevCenterUri",
                $"Resource Graph gave '{InputValidation.Printable(rows[0].Uri ?? string.Empty)}' as the URI of dev center '{devCenterName}', which is not a Dev Center endpoint ({AzureService.DevCenter.EndpointShape}), so no token was sent to it. Give the dev center's URI with -Endpoint if you trust it.",
                rows[0].Uri));
        }

        found[key] = endpoint;
        if (log.VerboseEnabled)
        {
            log.Verbose($"Dev center '{devCenterName}' (project '{projectName}') is at {endpoint.GetLeftPart(UriPartial.Authority)}, as Resource Graph says; found once for this session.");
        }

        return EndpointLookup.At(endpoint);
    }

    private static OperationStatusException QuotaFailure(OperationRequest request, TimeSpan left)
    {
        var failure = request.Failure(FailureKind.Http, Sentences.Join("Resource Graph's query quota for this user is spent", FailureClassifier.WaitLonger(left, DateTimeOffset.Now), "Or give the dev center's URI with -Endpoint, which needs no query."));
        failure.StatusCode = 429;
        failure.RetryAfter = left;
        failure.IsTransient = true;
        return failure;
    }

    private static OperationStatusException HttpFailure(OperationRequest request, int status, bool retriable, byte[] body)
    {
        var error = StatusParser.ParseErrorBody(body);
        var said = error is null ? string.Empty : $" {error.Code}: {error.Message}";
        var failure = request.Failure(
            FailureKind.Http,
            Sentences.Join(
                $"Resource Graph answered {status}{said} when asked for the dev center's URI",
                status == 404 ? "Check the cloud (-Environment, -ResourceManagerEndpoint)" : FailureClassifier.Advice(request, status, transient: retriable),
                "Or give the dev center's URI with -Endpoint."));
        failure.StatusCode = status;
        failure.ErrorCode = error?.Code;
        failure.ServerMessage = error?.Message;
        failure.Error = error;
        failure.IsTransient = FailureClassifier.IsTransient(FailureKind.Http, retriable);
        return failure;
    }

    /// <summary>Azure.Core's classification, except that a 429 is not retried by the pipeline: this class waits for the quota's reset instead.</summary>
    private sealed class NotThrottledClassifier : Azure.Core.ResponseClassifier
    {
        public override bool IsRetriableResponse(HttpMessage message) => message.Response.Status != 429 && base.IsRetriableResponse(message);
    }

    private sealed class QueryBody
    {
        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public string Query { get; set; } = string.Empty;
    }
}

/// <summary>What finding an endpoint by name gave: the endpoint, a value refused, or a failure of the read.</summary>
internal sealed class EndpointLookup
{
    private EndpointLookup(Uri? endpoint, InvalidInput? refused, OperationStatusException? failure)
    {
        Endpoint = endpoint;
        Problem = refused;
        Failure = failure;
    }

    public Uri? Endpoint { get; }

    public InvalidInput? Problem { get; }

    public OperationStatusException? Failure { get; }

    public static EndpointLookup At(Uri endpoint) => new(endpoint, null, null);

    public static EndpointLookup Refused(InvalidInput invalid) => new(null, invalid, null);

    public static EndpointLookup Failed(OperationStatusException failure) => new(null, null, failure);
}
