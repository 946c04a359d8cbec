using System.Management.Automation;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using Xunit;

namespace OpStatus.Tests.Infrastructure;

/// <summary>Shared helpers: the emulator, fresh sessions, unique ids and typical response bodies.</summary>
public abstract class TestBase
{
    protected TestBase(EmulatorFixture fixture) => Fixture = fixture;

    protected EmulatorFixture Fixture { get; }

    protected AzureEmulator Emulator => Fixture.Emulator;

    /// <summary>The emulator's URL, for -Endpoint and -ResourceManagerEndpoint.</summary>
    protected string Url => Emulator.BaseUri.ToString();

    protected static string NewId() => Guid.NewGuid().ToString();

    /// <summary>A subscription id that marks a test's requests in the emulator's log.</summary>
    protected static string NewSubscription() => Guid.NewGuid().ToString();

    protected static PowerShellSession NewSession() => new();

    /// <summary>The emulator's Cache status URL of an operation, as an Azure-AsyncOperation header gives it.</summary>
    protected string CacheStatusUrl(string id) => $"{Url}subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";

    protected static Step Ok(JsonObject body) => new() { Status = 200, Body = body };

    protected static JsonObject StatusBody(string status, string? name = null, params (string Name, JsonNode? Value)[] more)
    {
        var body = new JsonObject { ["status"] = status };
        if (name is not null)
        {
            body["name"] = name;
        }

        foreach (var (key, value) in more)
        {
            body[key] = value;
        }

        return body;
    }

    protected static JsonObject ErrorBody(string code, string message) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    protected IReadOnlyList<SeenRequest> RequestsFor(string marker) =>
        Emulator.Requests.Where(r => r.RawTarget.Contains(marker, StringComparison.OrdinalIgnoreCase)
            || (r.OperationId?.Contains(marker, StringComparison.OrdinalIgnoreCase) ?? false)).ToArray();

    /// <summary>Waits (at most 10 s) until the emulator has seen this many requests for a marker.</summary>
    protected void WaitForRequests(string marker, int count)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (RequestsFor(marker).Count < count && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }

        Assert.True(RequestsFor(marker).Count >= count, $"the emulator saw {RequestsFor(marker).Count} requests for {marker}, not {count}");
    }

    /// <summary>Reads a property of an output object as PowerShell sees it.</summary>
    protected static object? Prop(PSObject item, string name) => item.Properties[name]?.Value is var value && value is PSObject wrapped ? wrapped.BaseObject : value;

    /// <summary>Runs Get-CacheOperationStatus against the emulator with the given extra parameters text.</summary>
    protected ScriptResult Cache(PowerShellSession session, string subscription, string operationId, string extra = "") =>
        session.Run($"Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2] {extra}", Url, subscription, operationId);

    protected static void AssertNoErrors(ScriptResult result)
    {
        Assert.Null(result.Terminating);
        Assert.True(result.Errors.Count == 0, "Unexpected errors: " + string.Join(" | ", result.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e)));
    }
}
