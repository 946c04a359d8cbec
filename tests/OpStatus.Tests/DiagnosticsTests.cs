using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>-Verbose and -Debug tell what happened on the wire, with every secret redacted.</summary>
public sealed class DiagnosticsTests : TestBase, IClassFixture<EmulatorFixture>
{
    public DiagnosticsTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void Verbose_shows_method_url_status_time_and_request_id()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id, "-Verbose");

        AssertNoErrors(result);
        var line = Assert.Single(result.Verbose, v => v.Contains(id));
        Assert.Matches($@"^GET https://127\.0\.0\.1:\d+/subscriptions/.+/operationsStatus/{id}\?api-version=2024-10-01 -> 200 OK in \d+ ms, x-ms-request-id [0-9a-f-]{{36}}$", line);
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void Debug_shows_headers_with_Authorization_redacted()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        var result = session.Run("$DebugPreference = 'Continue'; Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2]", Url, NewSubscription(), id);

        AssertNoErrors(result);
        var request = Assert.Single(result.Debug, d => d.StartsWith("GET ", StringComparison.Ordinal) && d.Contains(id));
        Assert.Contains("Authorization: REDACTED", request);
        Assert.Contains("x-ms-client-request-id: ", request);
        Assert.Contains(result.Debug, d => d.StartsWith("Response 200", StringComparison.Ordinal) && d.Contains("x-ms-request-id: "));
        foreach (var token in Emulator.IssuedTokens)
        {
            Assert.DoesNotContain(token, result.AllText());
        }
    }

    [Fact]
    public void Requests_name_OpStatus_and_its_version_and_carry_a_client_request_id()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        AssertNoErrors(Cache(session, NewSubscription(), id));
        var version = session.Run("(Get-Module OpStatus).Version.ToString()").Output.Single().BaseObject;

        var seen = RequestsFor(id).Single();
        Assert.Contains($"OpStatus/{version}", seen.UserAgent);
        Assert.True(Guid.TryParse(seen.ClientRequestId, out _));
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void No_token_reaches_any_stream_in_a_mixed_session()
    {
        var good = NewId();
        var failed = NewId();
        Emulator.Script(good, Ok(StatusBody("Succeeded", good)));
        Emulator.Script(failed, Ok(StatusBody("Failed", failed, ("error", ErrorBody("Boom", "It broke.")["error"]!.DeepClone()))));
        var devCenterId = NewId();
        Emulator.Script(devCenterId, Ok(StatusBody("Running", devCenterId, ("percentComplete", 10))));

        using var session = NewSession();
        var texts = new List<string>
        {
            session.Run("$DebugPreference = 'Continue'; $args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -Verbose | Out-Default", Url, NewSubscription(), new[] { good, failed, NewId() }).AllText(),
            session.Run("$DebugPreference = 'Continue'; Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1] -Verbose", Url, devCenterId).AllText(),
            session.Run("$DebugPreference = 'Continue'; Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -AsyncOperationId $args[1] -Verbose -ErrorAction Stop", Url, NewId()).AllText(),
            session.Run("$DebugPreference = 'Continue'; Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x -AccessToken $args[1] -Verbose", Url, Emulator.IssueToken(Emulator.ResourceManagerAudience)).AllText(),
        };

        var tokens = Emulator.IssuedTokens;
        Assert.NotEmpty(tokens);
        foreach (var text in texts)
        {
            Assert.Contains("REDACTED", text);
            foreach (var token in tokens)
            {
                Assert.DoesNotContain(token, text);
            }

            Assert.DoesNotContain(Emulator.IdentityHeader, text);
        }
    }

    [Fact]
    public void Verbose_says_once_per_command_how_it_signs_in_and_for_which_audience()
    {
        var ids = new[] { NewId(), NewId(), NewId() };
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        }

        using var session = NewSession();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -Identity -Verbose", Url, NewSubscription(), ids);

        AssertNoErrors(result);
        var origin = Emulator.BaseUri.GetLeftPart(UriPartial.Authority);
        var line = Assert.Single(result.Verbose, v => v.StartsWith("Signing in with", StringComparison.Ordinal));
        Assert.Equal($"Signing in with the system-assigned managed identity for {origin}/.default; its tokens are kept for the session.", line);
    }

    [Fact]
    public void Get_shows_a_retry_while_the_retries_go_on()
    {
        var id = NewId();
        Emulator.Script(id,
            new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Busy."), Headers = new() { ["retry-after-ms"] = "1500" } },
            Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var (shell, pending) = session.Start("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2] -Verbose", Url, NewSubscription(), id);
        using (shell)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            TimeSpan? seen = null;
            while (!pending.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                if (seen is null && shell.Streams.Verbose.ToArray().Any(v => v.Message.Contains("-> 503", StringComparison.Ordinal)))
                {
                    seen = clock.Elapsed;
                }

                Thread.Sleep(10);
            }

            shell.EndInvoke(pending);
            var ended = clock.Elapsed;
            Assert.NotNull(seen);
            Assert.True(ended - seen!.Value >= TimeSpan.FromSeconds(1), $"the 503 line came {(ended - seen.Value).TotalMilliseconds:0} ms before the end");
            Assert.Contains(shell.Streams.Verbose, v => v.Message == "The service asked to wait 1.5 s (Retry-After) before trying again.");
        }
    }

    [Fact]
    public void Wait_writes_its_lines_in_causal_order_and_says_when_an_operation_is_done()
    {
        var id = NewId();
        Emulator.Script(id,
            new Step { Body = StatusBody("InProgress", id), Headers = new() { ["retry-after-ms"] = "50" } },
            Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(
            "Wait-OperationStatus -Uri ($args[0] + 'subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/' + $args[1] + '?api-version=2024-10-01') -ResourceManagerEndpoint $args[0] -Verbose",
            Url, id);

        AssertNoErrors(result);
        var lines = result.Verbose.Where(v => v.Contains(id, StringComparison.Ordinal)).ToList();
        var firstGet = lines.FindIndex(v => v.StartsWith("GET ", StringComparison.Ordinal) && v.Contains("-> 200", StringComparison.Ordinal));
        var polled = lines.FindIndex(v => v.Contains(": InProgress; next poll in 100 ms (Retry-After).", StringComparison.Ordinal));
        var secondGet = lines.FindLastIndex(v => v.StartsWith("GET ", StringComparison.Ordinal) && v.Contains("-> 200", StringComparison.Ordinal));
        var done = lines.FindIndex(v => v.EndsWith(": Succeeded; done.", StringComparison.Ordinal));
        Assert.True(firstGet >= 0 && polled > firstGet && secondGet > polled && done > secondGet, string.Join(Environment.NewLine, lines));
    }
}
