namespace OpStatus.Engine.Tests;

/// <summary>The session's read limit, on a clock the test moves.</summary>
public sealed class ReadThrottleTests
{
    private static readonly Uri Sub1 = new("https://management.azure.com/subscriptions/11111111-1111-1111-1111-111111111111/providers/x/operations/a");
    private static readonly Uri Sub2 = new("https://management.azure.com/subscriptions/22222222-2222-2222-2222-222222222222/providers/x/operations/a");

    [Fact]
    public async Task A_burst_goes_at_once_and_the_next_read_waits_for_the_refill()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 20, rate: 5);

        // 95 % of the burst, 97 % of the rate: 19 at once, then one every 1 / 4.85 s.
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal(TimeSpan.Zero, await throttle.AcquireAsync(Sub1, true, default));
        }

        var next = throttle.AcquireAsync(Sub1, true, default).AsTask();
        Assert.False(next.IsCompleted);
        clock.WaitForTimers(1);
        var moved = clock.AdvanceToNextTimer();
        Assert.InRange(moved.TotalSeconds, 0.2, 0.21);
        Assert.Equal(moved, await next);
    }

    [Fact]
    public async Task Each_subscription_and_each_endpoint_is_a_place_of_its_own()
    {
        Assert.Equal("https://management.azure.com/subscriptions/11111111-1111-1111-1111-111111111111", ReadThrottle.KeyOf(Sub1));
        Assert.NotEqual(ReadThrottle.KeyOf(Sub1), ReadThrottle.KeyOf(Sub2));
        Assert.Equal("https://t-dc.westus.devcenter.azure.com", ReadThrottle.KeyOf(new Uri("https://t-dc.westus.devcenter.azure.com/projects/p/operationstatuses/o")));

        var throttle = new ReadThrottle(new ManualClock(), burst: 2, rate: 1);
        Assert.Equal(TimeSpan.Zero, await throttle.AcquireAsync(Sub1, true, default));
        Assert.Equal(TimeSpan.Zero, await throttle.AcquireAsync(Sub2, true, default));
    }

    [Fact]
    public async Task A_429_holds_every_read_of_its_place_until_its_Retry_After()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 100, rate: 100);
        throttle.Observe(Sub1, 429, TimeSpan.FromSeconds(3), "0");

        var held = throttle.AcquireAsync(Sub1, true, default).AsTask();
        var other = throttle.AcquireAsync(Sub2, true, default).AsTask();
        Assert.True(other.IsCompleted);
        clock.WaitForTimers(1);
        clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(held.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.2));
        await held.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, throttle.ReportFor(Sub1).Throttles);
    }

    [Fact]
    public async Task The_remaining_reads_header_caps_what_goes_at_once()
    {
        var throttle = new ReadThrottle(new ManualClock(), burst: 100, rate: 1);
        throttle.Observe(Sub1, 200, null, "2");

        Assert.True(throttle.AcquireAsync(Sub1, true, default).AsTask().IsCompleted);
        Assert.True(throttle.AcquireAsync(Sub1, true, default).AsTask().IsCompleted);
        Assert.False(throttle.AcquireAsync(Sub1, true, default).AsTask().IsCompleted);
    }

    [Fact]
    public async Task A_read_given_up_while_held_gives_its_place_back()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 2, rate: 1);
        await throttle.AcquireAsync(Sub1, true, default).AsTask();
        using var stop = new CancellationTokenSource();
        var first = throttle.AcquireAsync(Sub1, true, default).AsTask();
        var given = throttle.AcquireAsync(Sub1, true, stop.Token).AsTask();
        stop.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => given.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, throttle.ReportFor(Sub1).Reads);
        Assert.False(first.IsCompleted);
    }

    [Fact]
    public void A_burst_of_429s_lowers_the_rate_once()
    {
        var throttle = new ReadThrottle(new ManualClock(), burst: 100, rate: 20);
        for (var i = 0; i < 20; i++)
        {
            throttle.Observe(Sub1, 429, TimeSpan.FromSeconds(1), null);
        }

        var report = throttle.ReportFor(Sub1);
        Assert.Equal(20 * 0.97 / 2, report.Rate, 3);
        Assert.Equal(20L, report.Throttles);
    }
}
