using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Wait-OperationStatus through the hosted engine against the emulator, with short intervals from Retry-After.</summary>
public sealed class WaitTests : TestBase, IClassFixture<EmulatorFixture>
{
    private const string GetAndWait =
        "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Wait-OperationStatus";

    public WaitTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    /// <summary>A status answer that asks for the next poll after a few milliseconds.</summary>
    private static Step Poll(string status, string id, int retryAfterMs = 120, params (string Name, JsonNode? Value)[] more) => new()
    {
        Status = 200,
        Body = StatusBody(status, id, more),
        Headers = new() { ["retry-after-ms"] = retryAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    [Fact]
    public void A_progression_ends_with_the_final_status_and_progress_per_operation()
    {
        var id = NewId();
        Emulator.Script(id,
            Poll("NotStarted", id),
            Poll("Running", id, more: ("percentComplete", 40)),
            Poll("Running", id, more: ("percentComplete", 80)),
            Ok(StatusBody("Succeeded", id, ("percentComplete", 100), ("endTime", "2026-01-01T00:00:00Z"))));

        using var session = NewSession();
        var result = session.Run(
            "Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1] | Wait-OperationStatus -Verbose",
            Url, id);

        AssertNoErrors(result);
        var final = Assert.Single(result.Output);
        Assert.Equal("Succeeded", Prop(final, "Status"));
        Assert.Equal(100.0, Prop(final, "PercentComplete"));
        Assert.Equal(4, RequestsFor(id).Count);

        var child = result.Progress.Where(p => p.ParentActivityId == 1).ToArray();
        Assert.Contains(child, p => p.PercentComplete == 40 && p.StatusDescription.StartsWith("Running (40%)", StringComparison.Ordinal));
        Assert.Contains(child, p => p.PercentComplete == 80);
        Assert.Equal(ProgressRecordType.Completed, child.Last().RecordType);
        Assert.Equal(ProgressRecordType.Completed, result.Progress.Last(p => p.ActivityId == 1).RecordType);
        Assert.Contains(result.Verbose, v => v.Contains($"DevCenter operation '{id}': Running (40%); next poll in 120 ms (Retry-After)."));
    }

    [Fact]
    public void Early_finishers_reach_the_next_command_while_others_still_run()
    {
        var slow = NewId();
        var quick = NewId();
        Emulator.Script(slow, Enumerable.Range(0, 8).Select(_ => Poll("Running", slow, 250)).Append(Ok(StatusBody("Succeeded", slow))).ToArray());
        Emulator.Script(quick, Poll("Running", quick), Ok(StatusBody("Succeeded", quick)));

        using var session = NewSession();
        var result = session.Run(GetAndWait + " | ForEach-Object { '{0}={1:o}' -f $_.Name, [DateTimeOffset]::UtcNow }", Url, NewSubscription(), new[] { slow, quick });

        AssertNoErrors(result);
        var arrived = result.Output.Select(o => o.BaseObject.ToString()!.Split('=')).ToDictionary(p => p[0], p => DateTimeOffset.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new[] { quick, slow }, arrived.Keys.ToArray());

        // The quick one was handed on before the slow one's last poll was even sent.
        Assert.True(arrived[quick] < RequestsFor(slow).Last().Time, "the quick operation was held back until the slow one ended");
    }

    [Fact]
    public void ProgressAction_SilentlyContinue_silences_the_progress()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id), Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait + " -ProgressAction SilentlyContinue", Url, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Single(result.Output);
        Assert.Empty(result.Progress);
    }

    [Fact]
    public void Unknown_running_statuses_keep_the_wait_going()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Accepted", id), Poll("Deleting", id), Poll("InProgress", id), Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Equal(4, RequestsFor(id).Count);
    }

    [Fact]
    public void A_failed_operation_is_written_and_reported_with_its_code_message_and_request_id()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id), Ok(StatusBody("Failed", id, ("error", new JsonObject { ["code"] = "QuotaExceeded", ["message"] = "Not enough cores." }))));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        Assert.Equal("Failed", Prop(Assert.Single(result.Output), "Status"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandOperationFailed.QuotaExceeded,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        Assert.Contains("QuotaExceeded: Not enough cores.", error.Exception.Message);
        Assert.Contains($"'{id}'", error.Exception.Message);
        Assert.Contains("Request id: ", error.Exception.Message);
        Assert.Same(result.Output[0].BaseObject, error.TargetObject);
    }

    [Fact]
    public void A_runbook_with_ErrorAction_Stop_stops_on_a_failed_operation()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id), Ok(StatusBody("Failed", id, ("error", new JsonObject { ["code"] = "Conflict", ["message"] = "Locked." }))));

        using var session = NewSession();
        var result = session.Run(
            """
            try {
                $args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Wait-OperationStatus -ErrorAction Stop
                'not reached'
            } catch {
                "stopped: $($_.Exception.ErrorCode) $($_.Exception.Status.Status)"
            }
            """,
            Url, NewSubscription(), id);

        Assert.Equal("stopped: Conflict Failed", result.Output.Last().BaseObject);
        Assert.DoesNotContain(result.Output, o => "not reached".Equals(o.BaseObject));
    }

    [Fact]
    public void A_canceled_operation_is_OperationStopped()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id), Ok(StatusBody("Canceled", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        Assert.Equal("Canceled", Prop(Assert.Single(result.Output), "Status"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandOperationCanceled,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationStopped, error.CategoryInfo.Category);
    }

    [Fact]
    public void Retry_After_sets_the_next_poll()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id, 400), Poll("Running", id, 250), Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        var times = RequestsFor(id).Select(r => r.Time).ToArray();
        Assert.Equal(3, times.Length);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(380), $"retry-after-ms 400 not honoured: {(times[1] - times[0]).TotalMilliseconds} ms");
        Assert.True(times[2] - times[1] >= TimeSpan.FromMilliseconds(230), $"retry-after-ms 250 not honoured: {(times[2] - times[1]).TotalMilliseconds} ms");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_Retry_After_of_zero_does_not_make_the_wait_spin()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id, 0), Poll("Running", id, 0), Poll("Running", id, 0), Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        var times = RequestsFor(id).Select(r => r.Time).ToArray();
        Assert.Equal(4, times.Length);
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(90), $"polled after {(pair.Second - pair.First).TotalMilliseconds} ms"));
    }

    [Fact]
    public void AccessToken_replaces_the_credential_of_piped_statuses()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id, 100));

        using var session = NewSession();
        var result = session.Run(GetAndWait + " -AccessToken not-a-valid-token", Url, NewSubscription(), id);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandHttp401.InvalidAuthenticationToken,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.True(RequestsFor(id).First().Authorized);
        Assert.Equal(2, RequestsFor(id).Count(r => r.ResponseStatus == 401));
    }

    [Fact]
    public void Without_Retry_After_the_first_polls_come_one_second_apart_or_at_the_PollingInterval()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)), Ok(StatusBody("Running", id)), Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        var times = RequestsFor(id).Select(r => r.Time).ToArray();
        Assert.Equal(3, times.Length);
        Assert.InRange((times[1] - times[0]).TotalMilliseconds, 950, 5000);
        Assert.InRange((times[2] - times[1]).TotalMilliseconds, 950, 5000);

        var other = NewId();
        Emulator.Script(other, Ok(StatusBody("Running", other)), Ok(StatusBody("Succeeded", other)));
        var fixedInterval = session.Run(GetAndWait + " -PollingInterval 2", Url, NewSubscription(), other);
        AssertNoErrors(fixedInterval);
        var gaps = RequestsFor(other).Select(r => r.Time).ToArray();
        Assert.True(gaps[1] - gaps[0] >= TimeSpan.FromMilliseconds(1950), $"-PollingInterval 2 not honoured: {(gaps[1] - gaps[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public void Timeout_reports_each_unfinished_operation_with_its_last_status()
    {
        // The finished operation is final when Wait receives it: a poll due before the 1 s deadline could miss it on a
        // loaded machine (the race that made this test fail now and then). The deadline itself is timed in the engine tests.
        var slow = NewId();
        var quick = NewId();
        Emulator.Script(slow, Poll("Running", slow, 100, ("percentComplete", 10)));
        Emulator.Script(quick, Ok(StatusBody("Succeeded", quick)));

        using var session = NewSession();
        var clock = Stopwatch.StartNew();
        var result = session.Run(
            "$args[2] | Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName $args[1] | Wait-OperationStatus -Timeout 1",
            Url, "myProject", new[] { slow, quick });
        clock.Stop();

        Assert.Equal(new[] { quick }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Contains("its last status was Running", error.Exception.Message);
        Assert.Equal(slow, Prop(PSObject.AsPSObject(error.TargetObject), "Name"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"a 1 s timeout took {clock.Elapsed}");
    }

    [Fact]
    public void Any_returns_the_first_operation_that_ends_and_stops_polling_the_others()
    {
        var endless = NewId();
        var quick = NewId();
        Emulator.Script(endless, Poll("Running", endless, 50));
        Emulator.Script(quick, Poll("Running", quick), Poll("Running", quick), Ok(StatusBody("Succeeded", quick)));

        using var session = NewSession();
        var result = session.Run(GetAndWait + " -Any", Url, NewSubscription(), new[] { endless, quick });

        AssertNoErrors(result);
        Assert.Equal(quick, Prop(Assert.Single(result.Output), "Name"));
        var polls = RequestsFor(endless).Count;
        Thread.Sleep(300);
        Assert.Equal(polls, RequestsFor(endless).Count);
    }

    [Fact]
    public void A_hundred_operations_are_waited_on_at_the_same_time()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, Poll("Running", id, 200), Poll("Running", id, 200), Poll("Running", id, 200), Ok(StatusBody("Succeeded", id)));
        }

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(100, result.Output.Count);
        Assert.Equal(ids.OrderBy(i => i), result.Output.Select(o => (string)Prop(o, "Name")!).OrderBy(i => i));
        Assert.All(result.Output, o => Assert.Equal("Succeeded", Prop(o, "Status")));

        // Waited together: every operation's first poll came before any operation's last poll.
        var requests = ids.Select(RequestsFor).ToArray();
        Assert.All(requests, r => Assert.Equal(4, r.Count));
        var lastFirstPoll = requests.Max(r => r[1].Time);
        var firstLastPoll = requests.Min(r => r[3].Time);
        Assert.True(lastFirstPoll < firstLastPoll, "operations were waited on one after another");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Throttling_and_outages_in_the_middle_of_a_wait_do_not_end_it()
    {
        var id = NewId();
        Emulator.Script(id,
            Poll("Running", id),
            new Step { Status = 429, Body = ErrorBody("TooManyRequests", "Slow down."), Headers = new() { ["retry-after-ms"] = "20" } },
            new Step { Status = 429, Body = ErrorBody("TooManyRequests", "Slow down."), Headers = new() { ["retry-after-ms"] = "20" } },
            new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Later."), Headers = new() { ["retry-after-ms"] = "20" } },
            new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Later."), Headers = new() { ["retry-after-ms"] = "20" } },
            new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Later."), Headers = new() { ["retry-after-ms"] = "20" } },
            new Step { Status = 200, Fault = "reset" },
            Poll("Running", id),
            Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Equal(9, RequestsFor(id).Count);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void An_operation_that_disappears_ends_with_an_error_and_the_others_go_on()
    {
        var vanishing = NewId();
        var fine = NewId();
        Emulator.Script(vanishing, Poll("Running", vanishing), new Step { Status = 404, Body = ErrorBody("OperationNotFound", "Gone.") });
        Emulator.Script(fine, Poll("Running", fine), Poll("Running", fine), Ok(StatusBody("Succeeded", fine)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), new[] { vanishing, fine });

        Assert.Equal(new[] { fine }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandHttp404.OperationNotFound,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void Statuses_already_final_are_passed_on_without_polling()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(GetAndWait, Url, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Single(result.Output);
        Assert.Single(RequestsFor(id));
    }

    [Fact]
    public void Uri_waits_on_an_async_operation_url_of_an_allowed_host()
    {
        var id = NewId();
        var subscription = NewSubscription();
        Emulator.Script(id, Poll("InProgress", id), Ok(StatusBody("Succeeded", id)));
        var uri = $"{Url}subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", uri, Url);

        AssertNoErrors(result);
        var final = Assert.Single(result.Output);
        Assert.Equal("Succeeded", Prop(final, "Status"));
        Assert.Equal("Cache", Prop(final, "Service"));
        Assert.Equal(id, Prop(final, "OperationId"));
        Assert.All(RequestsFor(id), r => Assert.True(r.Authorized));
        Assert.Equal(2, RequestsFor(id).Count);
    }

    [Fact]
    public void Uri_of_a_Dev_Center_endpoint_given_with_Endpoint_gets_a_Dev_Center_token()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id, more: ("percentComplete", 50)), Ok(StatusBody("Succeeded", id)));
        var uri = $"{Url}projects/myProject/operationstatuses/{id}?api-version=2025-02-01";

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -Endpoint $args[1]", uri, Url);

        AssertNoErrors(result);
        var final = Assert.Single(result.Output);
        Assert.Equal("DevCenter", Prop(final, "Service"));
        Assert.Equal("Succeeded", Prop(final, "Status"));
        Assert.All(RequestsFor(id), r => Assert.True(r.Authorized, "the Dev Center request was not sent with a Dev Center token"));
        Assert.Equal(2, RequestsFor(id).Count);
    }

    [Fact]
    public void Uri_follows_the_Location_header_contract()
    {
        var id = NewId();
        Emulator.Script(id,
            new Step { Status = 202, Headers = new() { ["retry-after-ms"] = "30" } },
            new Step { Status = 202, Headers = new() { ["retry-after-ms"] = "30" } },
            new Step { Status = 200, Body = new JsonObject { ["id"] = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cache/redisEnterprise/c1", ["name"] = "c1" } });
        var uri = $"{Url}subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationResults/{id}?api-version=2024-10-01";

        using var session = NewSession();
        var result = session.Run("$args[0] | Wait-OperationStatus -ResourceManagerEndpoint $args[1]", uri, Url);

        AssertNoErrors(result);
        var final = Assert.Single(result.Output);
        Assert.Equal("Succeeded", Prop(final, "Status"));
        Assert.Equal("AsyncOperation", Prop(final, "Service"));
        Assert.Equal("c1", session.Run("$args[0].Properties.name", final).Output.Single().BaseObject);
        Assert.Equal(3, RequestsFor(id).Count);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("https://management.example.com/subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}?api-version=2024-10-01")]
    [InlineData("https://localhost:{1}/subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}?api-version=2024-10-01")]
    [InlineData("http://127.0.0.1:{1}/subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}")]
    [InlineData("https://user:pw@127.0.0.1:{1}/subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}")]
    [InlineData("https://127.0.0.1:{1}/subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}?api-version=2024-10-01#x")]
    [InlineData("subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{0}?api-version=2024-10-01")]
    public void Uri_of_a_foreign_host_is_refused_before_any_token_is_sent(string template)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        var uri = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, id, Emulator.BaseUri.Port);

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", uri, Url);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandUntrustedUri,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Empty(RequestsFor(id));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Stop_during_a_backoff_returns_quickly_and_leaves_nothing_running()
    {
        var id = NewId();
        Emulator.Script(id, Poll("Running", id, 60_000));

        using var session = NewSession();
        var (shell, pending) = session.Start(GetAndWait, Url, NewSubscription(), id);
        using (shell)
        {
            // Get reads once; the status asks for the next poll in 60 s, so the wait sits in its backoff.
            WaitForRequests(id, 1);

            Thread.Sleep(300);
            var stopping = Stopwatch.StartNew();
            shell.Stop();
            Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(pending));
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {stopping.Elapsed}");
        }

        Thread.Sleep(300);
        Assert.Single(RequestsFor(id));
    }
}

/// <summary>Waits that outlive their tokens; they change the emulator's token lifetime, so they run alone.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class WaitTokenTests : TestBase
{
    public WaitTokenTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_wait_outlives_tokens_that_expire_every_second()
    {
        // '[::1]' is a token scope of its own, so this test's short-lived tokens touch no other test.
        var endpoint = Url.Replace("127.0.0.1", "[::1]", StringComparison.Ordinal);
        var id = NewId();
        var steps = Enumerable.Range(0, 8).Select(_ => new Step { Status = 200, Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "400" } })
            .Append(Ok(StatusBody("Succeeded", id))).ToArray();
        Emulator.Script(id, steps);
        var lifetime = Emulator.TokenLifetime;
        Emulator.TokenLifetime = TimeSpan.FromSeconds(1);
        try
        {
            var before = Emulator.TokenRequests.Count(t => t.Resource.Contains("[::1]", StringComparison.Ordinal));
            using var session = NewSession();
            var result = session.Run(
                "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] | Wait-OperationStatus",
                endpoint, id);

            AssertNoErrors(result);
            Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
            Assert.Equal(9, RequestsFor(id).Count);
            Assert.All(RequestsFor(id), r => Assert.True(r.Authorized));
            Assert.True(Emulator.TokenRequests.Count(t => t.Resource.Contains("[::1]", StringComparison.Ordinal)) - before >= 2, "tokens were not refreshed");
        }
        finally
        {
            Emulator.TokenLifetime = lifetime;
        }
    }
}

/// <summary>Tokens refused in the middle of a wait.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class WaitRevocationTests : TestBase
{
    public WaitRevocationTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_claims_challenge_in_the_middle_of_a_wait_is_answered_with_a_fresh_token()
    {
        var endpoint = Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        var audience = endpoint.TrimEnd('/');
        var id = NewId();
        var steps = Enumerable.Range(0, 4).Select(_ => new Step { Status = 200, Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "300" } })
            .Append(Ok(StatusBody("Succeeded", id))).ToArray();
        Emulator.Script(id, steps);

        using var session = NewSession();
        var (shell, pending) = session.Start(
            "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] | Wait-OperationStatus",
            endpoint, id);
        using (shell)
        {
            WaitForRequests(id, 2);

            var tokensBefore = Emulator.TokenRequests.Count(t => t.Resource == audience);
            Emulator.RevokeTokens(audience, withClaimsChallenge: true);
            var output = shell.EndInvoke(pending);

            Assert.Empty(shell.Streams.Error);
            Assert.Equal("Succeeded", Prop(Assert.Single(output), "Status"));
            Assert.Contains(RequestsFor(id), r => r.ResponseStatus == 401);
            Assert.Equal(200, RequestsFor(id).Last().ResponseStatus);
            Assert.True(Emulator.TokenRequests.Count(t => t.Resource == audience) > tokensBefore, "no fresh token was fetched");
        }
    }
}

/// <summary>When no credential can sign in, a wait ends with one error, not one per operation.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class WaitCredentialFailureTests : TestBase
{
    public WaitCredentialFailureTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void One_terminating_AuthenticationError_for_all_operations()
    {
        var endpoint = $"https://127.0.0.2:{Random.Shared.Next(1024, 65535)}/";
        var uris = Enumerable.Range(0, 3).Select(i => $"{endpoint}subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/op{i}?api-version=2024-10-01").ToArray();
        Emulator.FailNextTokenRequests(1000, status: 400);
        try
        {
            using var session = NewSession();
            var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", uris, endpoint);

            Assert.Empty(result.Output);
            var error = Assert.Single(result.Errors);
            Assert.Equal("WaitOperationStatusCommandAuthenticationFailed,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("Connect-AzAccount", error.Exception.Message);
        }
        finally
        {
            Emulator.FailNextTokenRequests(0);
        }
    }
}

/// <summary>A plain 401 in the middle of a wait: one fresh try, then an error for that operation only.</summary>
public sealed class WaitRefusedTokenTests : TestBase, IClassFixture<EmulatorFixture>
{
    public WaitRefusedTokenTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_token_refused_for_good_ends_that_operation_after_one_more_try()
    {
        var id = NewId();
        var token = Emulator.IssueToken(Emulator.ResourceManagerAudience);
        Emulator.Script(id, new Step { Status = 200, Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "200" } });
        var uri = $"{Url}subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";

        using var session = NewSession();
        var (shell, pending) = session.Start("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1] -AccessToken $args[2]", uri, Url, token);
        using (shell)
        {
            WaitForRequests(id, 1);

            Emulator.RevokeToken(token, withClaimsChallenge: false);
            var output = shell.EndInvoke(pending);

            Assert.Empty(output);
            var error = Assert.Single(shell.Streams.Error);
            Assert.Equal("WaitOperationStatusCommandHttp401.InvalidAuthenticationToken,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Equal(2, RequestsFor(id).Count(r => r.ResponseStatus == 401));
            Assert.DoesNotContain(token, error.ToString());
        }
    }
}
