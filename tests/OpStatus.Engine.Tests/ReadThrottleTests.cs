using OpStatus.Engine.Tests.Fakes;

namespace OpStatus.Engine.Tests;

/// <summary>The session's read limit, on a clock the test moves.</summary>
public sealed class ReadThrottleTests
{
    private const string Alice = "72f988bf-0000-0000-0000-000000000001/a11ce000-0000-0000-0000-000000000001";
    private const string Bob = "72f988bf-0000-0000-0000-000000000001/b0b00000-0000-0000-0000-000000000002";
    private static readonly Uri Sub1 = new("https://management.azure.com/subscriptions/11111111-1111-1111-1111-111111111111/providers/x/operations/a");
    private static readonly Uri Sub2 = new("https://management.azure.com/subscriptions/22222222-2222-2222-2222-222222222222/providers/x/operations/a");

    [Fact]
    public async Task Without_a_count_from_the_server_a_burst_goes_at_once_and_the_next_read_waits_for_the_refill()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 20, rate: 5, probeFirst: false);

        // 95 % of the burst, 97 % of the rate: 19 at once, then one every 1 / 4.85 s.
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal(TimeSpan.Zero, (await throttle.AcquireAsync(Sub1, Alice, true, default)).Waited);
        }

        var next = throttle.AcquireAsync(Sub1, Alice, true, default).AsTask();
        Assert.False(next.IsCompleted);
        clock.WaitForTimers(1);
        var moved = clock.AdvanceToNextTimer();
        Assert.InRange(moved.TotalSeconds, 0.2, 0.21);
        Assert.Equal(moved, (await next).Waited);
    }

    [Fact]
    public async Task Each_subscription_and_principal_and_each_endpoint_is_a_place_of_its_own()
    {
        Assert.Equal("https://management.azure.com/subscriptions/11111111-1111-1111-1111-111111111111 as " + Alice, ReadThrottle.KeyOf(Sub1, Alice));
        Assert.NotEqual(ReadThrottle.KeyOf(Sub1, Alice), ReadThrottle.KeyOf(Sub2, Alice));
        Assert.NotEqual(ReadThrottle.KeyOf(Sub1, Alice), ReadThrottle.KeyOf(Sub1, Bob));
        // Dev Center counts per endpoint, whoever reads.
        var devCenter = new Uri("https://t-dc.westus.devcenter.azure.com/projects/p/operationstatuses/o");
        Assert.Equal("https://t-dc.westus.devcenter.azure.com", ReadThrottle.KeyOf(devCenter, Alice));
        Assert.Equal(ReadThrottle.KeyOf(devCenter, Alice), ReadThrottle.KeyOf(devCenter, Bob));

        var throttle = new ReadThrottle(new ManualClock(), burst: 2, rate: 1, probeFirst: false);
        Assert.Equal(TimeSpan.Zero, (await throttle.AcquireAsync(Sub1, Alice, true, default)).Waited);
        Assert.Equal(TimeSpan.Zero, (await throttle.AcquireAsync(Sub2, Alice, true, default)).Waited);
        Assert.Equal(TimeSpan.Zero, (await throttle.AcquireAsync(Sub1, Bob, true, default)).Waited);
    }

    [Fact]
    public void The_principal_is_read_from_the_token_s_claims_and_nothing_else_is_kept()
    {
        Assert.Equal(FixedCredential.Principal, ReadThrottle.PrincipalOf("Bearer " + FixedCredential.Token));
        // An application's token without an object id: its application id.
        Assert.Equal("app-1", ReadThrottle.PrincipalOf("Bearer " + Jwt("{\"appid\":\"app-1\"}")));
        Assert.Null(ReadThrottle.PrincipalOf("Bearer opaque-token"));
        Assert.Null(ReadThrottle.PrincipalOf("Bearer a.!!!.c"));
        Assert.Null(ReadThrottle.PrincipalOf("Bearer " + Jwt("[1,2]")));
        Assert.Null(ReadThrottle.PrincipalOf("Basic " + Jwt("{\"oid\":\"x\"}")));
        Assert.Null(ReadThrottle.PrincipalOf(null));
    }

    [Fact]
    public async Task The_first_read_of_a_place_goes_alone_and_its_count_decides_how_many_follow()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 250, rate: 25);
        var first = await throttle.AcquireAsync(Sub1, Alice, true, default);
        var others = Enumerable.Range(0, 10).Select(_ => throttle.AcquireAsync(Sub1, Alice, true, default).AsTask()).ToArray();
        clock.WaitForTimers(10);
        Assert.All(others, o => Assert.False(o.IsCompleted));

        // The server says 4 are left: 4 go at once (with no clock moved), the other 6 wait for the refill.
        first.Answered(200, null, "4");
        await Task.WhenAll(others.Take(4)).WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.All(others.Skip(4), o => Assert.False(o.IsCompleted));
    }

    [Fact]
    public async Task Without_an_answer_the_first_read_holds_the_others_a_second_at_most()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 250, rate: 25);
        await throttle.AcquireAsync(Sub1, Alice, true, default);
        var second = throttle.AcquireAsync(Sub1, Alice, true, default).AsTask();
        clock.WaitForTimers(1);
        Assert.Equal(ReadBudget.ProbeTime, (await Settled(second, clock)).Waited);
    }

    [Fact]
    public async Task A_429_holds_every_read_of_its_place_until_its_Retry_After()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 100, rate: 100, probeFirst: false);
        (await throttle.AcquireAsync(Sub1, Alice, true, default)).Answered(429, TimeSpan.FromSeconds(3), "0");

        var held = throttle.AcquireAsync(Sub1, Alice, true, default).AsTask();
        var otherSubscription = throttle.AcquireAsync(Sub2, Alice, true, default).AsTask();
        var otherPrincipal = throttle.AcquireAsync(Sub1, Bob, true, default).AsTask();
        Assert.True(otherSubscription.IsCompleted);
        Assert.True(otherPrincipal.IsCompleted);
        clock.WaitForTimers(1);
        clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(held.IsCompleted);
        var waited = (await Settled(held, clock)).Waited.TotalSeconds;
        Assert.InRange(waited, 3, 3.05);
        Assert.Equal(1, throttle.ReportFor(Sub1, Alice).Throttles);
    }

    [Fact]
    public async Task The_remaining_reads_count_is_mirrored_less_the_reads_not_answered_yet()
    {
        var throttle = new ReadThrottle(new ManualClock(), burst: 100, rate: 1, probeFirst: false);
        var a = await throttle.AcquireAsync(Sub1, Alice, true, default);
        var b = await throttle.AcquireAsync(Sub1, Alice, true, default);
        // 3 left when a was counted; b left after a and has no answer yet: 2 may go.
        a.Answered(200, null, "3");

        Assert.True(throttle.AcquireAsync(Sub1, Alice, true, default).AsTask().IsCompleted);
        Assert.True(throttle.AcquireAsync(Sub1, Alice, true, default).AsTask().IsCompleted);
        Assert.False(throttle.AcquireAsync(Sub1, Alice, true, default).AsTask().IsCompleted);
        Assert.Equal(3, throttle.ReportFor(Sub1, Alice).Left);
        GC.KeepAlive(b);
    }

    [Fact]
    public async Task A_read_given_up_while_held_gives_its_place_back()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 2, rate: 1, probeFirst: false);
        await throttle.AcquireAsync(Sub1, Alice, true, default).AsTask();
        using var stop = new CancellationTokenSource();
        var first = throttle.AcquireAsync(Sub1, Alice, true, default).AsTask();
        var given = throttle.AcquireAsync(Sub1, Alice, true, stop.Token).AsTask();
        stop.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => given.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, throttle.ReportFor(Sub1, Alice).Reads);
        Assert.False(first.IsCompleted);
    }

    [Fact]
    public async Task Without_a_count_a_burst_of_429s_lowers_the_rate_by_a_quarter_once()
    {
        var throttle = new ReadThrottle(new ManualClock(), burst: 100, rate: 20, probeFirst: false);
        var tickets = new List<ReadTicket>();
        for (var i = 0; i < 20; i++)
        {
            tickets.Add(await throttle.AcquireAsync(Sub1, Alice, true, default));
        }

        foreach (var ticket in tickets)
        {
            ticket.Answered(429, TimeSpan.FromSeconds(1), null);
        }

        var report = throttle.ReportFor(Sub1, Alice);
        Assert.Equal(20 * 0.97 * 0.75, report.Rate, 3);
        Assert.Equal(20L, report.Throttles);
        Assert.False(report.Heard);
    }

    [Fact]
    public async Task After_a_pause_reads_resume_one_by_one_not_all_at_once()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 250, rate: 10, probeFirst: false);
        (await throttle.AcquireAsync(Sub1, Alice, true, default)).Answered(429, TimeSpan.FromSeconds(2), null);
        var queued = Enumerable.Range(0, 10).Select(_ => throttle.AcquireAsync(Sub1, Alice, true, default).AsTask()).ToArray();
        var left = new List<double>();
        foreach (var read in queued)
        {
            await Settled(read, clock);
            left.Add(clock.Elapsed.TotalSeconds);
        }

        // Nothing before the pause ends, then one every 1 / (10 * 0.97 * 0.75) s: the pause refilled nothing.
        Assert.All(left, l => Assert.True(l >= 2, $"a read left at {l} s, before the pause ended"));
        Assert.InRange(left[^1] - 2, 9 / 7.3 - 0.05, (10 / 7.2) + 0.05);
    }

    /// <summary>Moves the clock from timer to timer until the read may leave.</summary>
    private static async Task<ReadTicket> Settled(Task<ReadTicket> read, ManualClock clock)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!read.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (clock.PendingTimers > 0)
            {
                clock.AdvanceToNextTimer();
            }

            await Task.Delay(1);
        }

        return await read.WaitAsync(TimeSpan.FromSeconds(1));
    }

    private static string Jwt(string claims) =>
        "eyJhbGciOiJub25lIn0." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(claims)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".sig";
}
