namespace OpStatus.Engine.Tests;

/// <summary>When Wait polls, and what a Retry-After asks.</summary>
public sealed class ScheduleTests
{
    [Fact]
    public void Without_Retry_After_polls_follow_the_default_schedule_then_every_30_seconds()
    {
        var options = new WaitOptions();
        var seconds = Enumerable.Range(0, 10).Select(i => options.Interval(i, null).TotalSeconds).ToArray();
        Assert.Equal(new double[] { 1, 1, 1, 2, 4, 8, 16, 30, 30, 30 }, seconds);
    }

    [Fact]
    public void A_Retry_After_wins_within_its_bounds_and_a_fixed_interval_replaces_the_schedule()
    {
        var options = new WaitOptions { PollingInterval = TimeSpan.FromSeconds(7) };
        Assert.Equal(TimeSpan.FromSeconds(7), options.Interval(0, null));
        Assert.Equal(TimeSpan.FromSeconds(3), options.Interval(0, TimeSpan.FromSeconds(3)));
        Assert.Equal(options.MinInterval, options.Interval(0, TimeSpan.Zero));
        Assert.Equal(options.MaxRetryAfter, options.Interval(0, TimeSpan.FromDays(1)));
    }

    [Theory]
    [InlineData("retry-after-ms", "250", 250)]
    [InlineData("x-ms-retry-after-ms", "1500", 1500)]
    [InlineData("Retry-After", "3", 3000)]
    [InlineData("Retry-After", "Sun, 06 Dec 2026 10:00:05 GMT", 5000)]
    [InlineData("Retry-After", "Sun, 06 Dec 2026 09:00:00 GMT", 0)]
    public void Retry_After_is_read_in_each_of_its_forms(string header, string value, int milliseconds)
    {
        var now = new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
        var delay = RetryAfterHeader.Of(name => string.Equals(name, header, StringComparison.OrdinalIgnoreCase) ? value : null, now);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), delay);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    public void A_Retry_After_that_is_not_one_is_none(string value)
    {
        Assert.Null(RetryAfterHeader.Of(name => name == "Retry-After" ? value : null, DateTimeOffset.UtcNow));
    }
}
