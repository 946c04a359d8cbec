using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Faults, odd answers and hostile input, each against the emulator through the hosted engine.</summary>
public sealed class ReliabilityTests : TestBase, IClassFixture<EmulatorFixture>
{
    public ReliabilityTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData(429, null)]
    [InlineData(429, "x-ms-retry-after-ms")]
    [InlineData(500, null)]
    [InlineData(502, null)]
    [InlineData(503, "retry-after-ms")]
    [InlineData(504, null)]
    [InlineData(408, null)]
    public void A_burst_of_transient_failures_then_success(int status, string? retryHeader)
    {
        var id = NewId();
        var failure = new Step
        {
            Status = status,
            Body = ErrorBody("Transient" + status, "Try again."),
            Headers = retryHeader is null ? new() : new() { [retryHeader] = "30" },
        };
        Emulator.Script(id, failure, failure, failure, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Equal(new[] { status, status, status, 200 }, RequestsFor(id).Select(r => r.ResponseStatus).ToArray());
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_big_status_under_the_answer_limit_is_read_whole()
    {
        var id = NewId();
        var blob = new string('x', 3 * 1024 * 1024);
        Emulator.Script(id, Ok(StatusBody("Running", id, ("properties", new JsonObject { ["blob"] = blob }))));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal(blob.Length, session.Run("$args[0].Properties.blob.Length", result.Output[0]).Output.Single().BaseObject);
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("2024-01-24t21:14:58z")]
    [InlineData("2024-01-24T21:14:58.000000000Z")]
    [InlineData("2024-01-24T23:14:58+02:00")]
    [InlineData("2024-01-24T16:14:58-05:00")]
    [InlineData("2024-01-24T21:14:58.0000001Z")]
    [InlineData("2024-01-24 21:14:58Z")]
    public void Valid_RFC_3339_spellings_of_a_time_are_read(string sent)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("startTime", sent))));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        var start = (DateTimeOffset)Prop(result.Output[0], "StartTime")!;
        Assert.Equal(new DateTimeOffset(2024, 1, 24, 21, 14, 58, TimeSpan.Zero), start.ToUniversalTime().AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond)));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_time_that_is_not_a_time_is_left_empty_and_kept()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("startTime", "yesterday"), ("endTime", 12))));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Null(Prop(result.Output[0], "StartTime"));
        Assert.Null(Prop(result.Output[0], "EndTime"));
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData(150.0, 100)]
    [InlineData(-5.0, 0)]
    public void Percent_complete_out_of_range_is_kept_and_progress_stays_in_range(double sent, int shown)
    {
        var id = NewId();
        Emulator.Script(
            id,
            new Step { Status = 200, Body = StatusBody("Running", id, ("percentComplete", sent)), Headers = new() { ["retry-after-ms"] = "100" } },
            Ok(StatusBody("Succeeded", id, ("percentComplete", sent))));

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1] | Wait-OperationStatus", Url, id);

        AssertNoErrors(result);
        Assert.Equal(sent, Prop(Assert.Single(result.Output), "PercentComplete"));
        Assert.Contains(result.Progress, p => p.ParentActivityId == 1 && p.PercentComplete == shown);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("-Timeout -5")]
    [InlineData("-Timeout 99999999999")]
    [InlineData("-PollingInterval 0")]
    [InlineData("-PollingInterval -1")]
    [InlineData("-PollingInterval 100000")]
    public void Absurd_wait_settings_are_refused_by_the_binder(string parameters)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        var uri = $"{Url}subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";

        using var session = NewSession();
        var result = session.Run($"Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1] {parameters}", uri, Url);

        var error = Assert.Single(result.Errors);
        Assert.True(error.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError", StringComparison.Ordinal) || error.FullyQualifiedErrorId.StartsWith("CannotConvertArgumentNoMessage", StringComparison.Ordinal), error.FullyQualifiedErrorId);
        Assert.Empty(RequestsFor(id));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("$null | Wait-OperationStatus", 0)]
    [InlineData("Wait-OperationStatus -InputObject $null", 0)]
    [InlineData("$s = Get-CacheOperationStatus @arm -OperationId $args[1]; $s, $null, $s | Wait-OperationStatus", 2)]
    [InlineData("$s = Get-CacheOperationStatus @arm -OperationId $args[1]; Wait-OperationStatus -InputObject @($s, $null)", 1)]
    public void A_null_given_to_Wait_is_its_own_error_in_its_place_and_the_others_go_on(string script, int statuses)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run("$arm = @{ ResourceManagerEndpoint = $args[0]; SubscriptionId = '" + NewSubscription() + "'; Location = 'westus' }; " + script, Url, id);

        Assert.Null(result.Terminating);
        Assert.Equal(statuses, result.Output.Count);
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandNullInput,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("given a null value", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("op%2F..%2Fother")]
    [InlineData("op%3Fapi-version=1")]
    public void Escapes_in_a_Uri_reach_the_service_as_they_were(string segment)
    {
        var marker = Guid.NewGuid().ToString("N")[..10];
        var uri = $"{Url}subscriptions/{marker}/providers/Microsoft.Cache/locations/westus/operationsStatus/{segment}?api-version=2024-10-01";
        Emulator.Script(Uri.UnescapeDataString(segment), Ok(StatusBody("Succeeded", "x")));

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", uri, Url);

        AssertNoErrors(result);
        var seen = Assert.Single(RequestsFor(marker));
        Assert.Equal($"/subscriptions/{marker}/providers/Microsoft.Cache/locations/westus/operationsStatus/{segment}?api-version=2024-10-01", seen.RawTarget);
    }
}

/// <summary>Faults of the token endpoint and what the whole run leaves behind; they change shared state, so they run alone.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class ReliabilityIsolatedTests : TestBase
{
    public ReliabilityIsolatedTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void The_token_endpoint_failing_once_is_survived()
    {
        var id = NewId();
        var clientId = Guid.NewGuid().ToString();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        Emulator.FailNextTokenRequests(1);
        try
        {
            using var session = NewSession();
            var result = Cache(session, NewSubscription(), id, "-Identity -ClientId " + clientId);

            AssertNoErrors(result);
            var asked = Emulator.TokenRequests.Where(t => t.ClientId == clientId).ToArray();
            Assert.Equal(new[] { false, true }, asked.Select(t => t.Granted).ToArray());
        }
        finally
        {
            Emulator.FailNextTokenRequests(0);
        }
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Stop_during_a_token_fetch_returns_quickly()
    {
        var id = NewId();
        var clientId = Guid.NewGuid().ToString();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        Emulator.TokenDelay = TimeSpan.FromSeconds(30);
        try
        {
            using var session = NewSession();
            var (shell, pending) = session.Start(
                "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -Identity -ClientId $args[2]", Url, id, clientId);
            using (shell)
            {
                // The token request is under way (the endpoint answers only after 30 s).
                Thread.Sleep(500);
                var stopping = Stopwatch.StartNew();
                shell.Stop();
                Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(pending));
                Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {stopping.Elapsed}");
            }

            Assert.Empty(RequestsFor(id));
        }
        finally
        {
            Emulator.TokenDelay = TimeSpan.Zero;
        }
    }
}
