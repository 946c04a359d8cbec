using System.Diagnostics;
using System.Management.Automation;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// Piped items are read concurrently, up to -ThrottleLimit, and written in input order. These tests count the
/// reads in flight at the emulator, so they run alone.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class ConcurrentGetTests : TestBase
{
    private const string PipedGet = "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus";

    public ConcurrentGetTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void Statuses_come_out_in_input_order_whatever_order_the_answers_come_in()
    {
        var random = new Random(7);
        var ids = Enumerable.Range(0, 40).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, new Step { Status = 200, Body = StatusBody("Succeeded", id), DelayMs = random.Next(0, 200) });
        }

        using var session = NewSession();
        var result = session.Run(PipedGet, Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(ids, result.Output.Select(o => (string)Prop(o, "OperationId")!).ToArray());
        Assert.True(Peak(ids) > 1, "the reads did not overlap");
    }

    [Fact]
    public void A_slow_first_item_does_not_hold_back_the_reads_after_it_only_their_output()
    {
        var slow = NewId();
        Emulator.Script(slow, new Step { Status = 200, Body = StatusBody("Succeeded", slow), DelayMs = 900 });
        var fast = Enumerable.Range(0, 5).Select(_ => NewId()).ToArray();
        foreach (var id in fast)
        {
            Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        }

        using var session = NewSession();
        var result = session.Run(PipedGet, Url, NewSubscription(), new[] { slow }.Concat(fast).ToArray());

        AssertNoErrors(result);
        Assert.Equal(new[] { slow }.Concat(fast), result.Output.Select(o => (string)Prop(o, "OperationId")!));
        // The slow item's first try arrived first; each later item was asked for before that try was answered.
        var slowArrived = RequestsFor(slow).Min(r => r.Time);
        Assert.All(fast, id => Assert.True(RequestsFor(id).Min(r => r.Time) < slowArrived.AddMilliseconds(700), $"{id} was read only after the slow item's answer"));
    }

    [Fact]
    public void Errors_and_refused_values_keep_their_place_among_the_statuses()
    {
        var first = NewId();
        var missing = NewId();
        var last = NewId();
        Emulator.Script(first, new Step { Status = 200, Body = StatusBody("Running", first), DelayMs = 300 });
        Emulator.Script(missing, new Step { Status = 404, Body = ErrorBody("OperationNotFound", "No such operation.") });
        Emulator.Script(last, Ok(StatusBody("Succeeded", last)));

        using var session = NewSession();
        var result = session.Run(
            PipedGet + " 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { 'error ' + $_.TargetObject + ' ' + $_.FullyQualifiedErrorId.Split(',')[0] } else { 'status ' + $_.OperationId } }",
            Url,
            NewSubscription(),
            new[] { first, missing, "..", string.Empty, last });

        Assert.Null(result.Terminating);
        Assert.Equal(
            new[]
            {
                "status " + first,
                "error " + missing + " GetCacheOperationStatusCommandHttp404.OperationNotFound",
                "error .. GetCacheOperationStatusCommandInvalidOperationId",
                "error  GetCacheOperationStatusCommandInvalidOperationId",
                "status " + last,
            },
            result.Output.Select(o => o.BaseObject.ToString()).ToArray());
        Assert.Empty(RequestsFor("/operationsStatus/..?"));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public void ThrottleLimit_bounds_the_reads_in_flight(int limit)
    {
        var ids = Delayed(24, delayMs: 150);

        using var session = NewSession();
        var result = session.Run(PipedGet + " -ThrottleLimit " + limit, Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(ids.Length, result.Output.Count);
        Assert.Equal(limit, Peak(ids));
    }

    [Fact]
    public void Without_ThrottleLimit_sixty_four_reads_are_in_flight()
    {
        var ids = Delayed(150, delayMs: 300);

        using var session = NewSession();
        AssertNoErrors(session.Run(PipedGet, Url, NewSubscription(), ids));

        Assert.Equal(64, Peak(ids));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Ctrl_C_in_the_middle_of_a_bulk_read_stops_within_a_second()
    {
        var ids = Delayed(40, delayMs: 1000);

        using var session = NewSession();
        var (shell, pending) = session.Start(PipedGet + " -ThrottleLimit 16", Url, NewSubscription(), ids);
        using (shell)
        {
            var waiting = Stopwatch.StartNew();
            while (!ids.Any(id => RequestsFor(id).Count > 0) && waiting.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }

            var stopping = Stopwatch.StartNew();
            shell.Stop();
            Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(pending));
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"Stop took {stopping.Elapsed}");
        }

        Thread.Sleep(300);
        var started = ids.Count(id => RequestsFor(id).Count > 0);
        Assert.True(started <= 16, $"{started} reads were started, some after Ctrl+C");
    }

    [Fact]
    public void Concurrent_first_reads_sign_in_once()
    {
        var ids = Delayed(30, delayMs: 50);

        var clientId = Guid.NewGuid().ToString();
        using var session = NewSession();
        AssertNoErrors(session.Run(PipedGet + " -Identity -ClientId " + clientId, Url, NewSubscription(), ids));

        Assert.Single(Emulator.TokenRequests, t => t.ClientId == clientId);
    }

    [Fact]
    public void A_bulk_read_of_more_than_two_seconds_shows_its_progress_unless_silenced()
    {
        var ids = Delayed(24, delayMs: 250);

        using var session = NewSession();
        var shown = session.Run(PipedGet + " -ThrottleLimit 2", Url, NewSubscription(), ids);
        var silenced = session.Run(PipedGet + " -ThrottleLimit 2 -ProgressAction SilentlyContinue", Url, NewSubscription(), ids);

        AssertNoErrors(shown);
        Assert.Contains(shown.Progress, p => p.Activity == "Reading operation statuses" && p.StatusDescription.Contains(" read, ", StringComparison.Ordinal) && p.StatusDescription.Contains(" a second", StringComparison.Ordinal));
        Assert.Contains(shown.Progress, p => p.RecordType == ProgressRecordType.Completed);
        AssertNoErrors(silenced);
        Assert.Empty(silenced.Progress);
    }

    /// <summary>New operation ids, each scripted to succeed after the delay.</summary>
    private string[] Delayed(int count, int delayMs)
    {
        var ids = Enumerable.Range(0, count).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, new Step { Status = 200, Body = StatusBody("Succeeded", id), DelayMs = delayMs });
        }

        return ids;
    }

    /// <summary>The most reads of these ids the emulator was serving at once.</summary>
    private int Peak(IEnumerable<string> ids) => ids.SelectMany(RequestsFor).Max(r => r.InFlight);
}
