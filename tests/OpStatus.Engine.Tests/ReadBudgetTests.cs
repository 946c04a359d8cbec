using OpStatus.Engine.Tests.Fakes;
using Xunit.Abstractions;

namespace OpStatus.Engine.Tests;

/// <summary>The read budget against a simulated Resource Manager bucket: what it learns, and what that costs.</summary>
public sealed class ReadBudgetTests
{
    private readonly ITestOutputHelper output;

    public ReadBudgetTests(ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData(25, 2.5, 0)]
    [InlineData(50, 10, 0)]
    [InlineData(100, 20, 0)]
    [InlineData(250, 25, 0)]
    [InlineData(250, 25, 12.5)]
    public void A_long_read_finds_the_budget_left(double size, double refill, double competitor)
    {
        var run = new BucketSimulation { Size = size, Refill = refill, Competitor = competitor };
        var time = run.Run(1000);
        var minimum = (1000 - size) / (refill - competitor);
        output.WriteLine($"{size}/{refill} c={competitor}: {time:0.0} s, x{time / minimum:0.000}, 429s {run.Throttled} of {run.Sent}, errors {run.Errors}; {run.Budget.Report().Describe()}");
        Assert.Equal(0, run.Errors);
        Assert.True(time <= 1.3 * minimum, $"{time:0.0} s against a minimum of {minimum:0.0} s");
        Assert.True(run.Throttled <= run.Sent / 10, $"{run.Throttled} of {run.Sent} answered 429");
    }

    [Fact]
    public void It_keeps_converging_when_another_client_starts_reading_the_same_bucket()
    {
        // From 30 s on, another client takes half the refill: 250 + 30 * 25 reads by then, the rest at 12.5 a second.
        var run = new BucketSimulation { Size = 250, Refill = 25, Competitor = 12.5, CompetitorFrom = 30 };
        var time = run.Run(2000);
        var minimum = 30 + ((2000 - 250 - (30 * 25)) / 12.5);
        output.WriteLine($"{time:0.0} s against {minimum:0.0} s, 429s {run.Throttled} of {run.Sent}; {run.Budget.Report().Describe()}");
        Assert.Equal(0, run.Errors);
        Assert.True(time <= 1.3 * minimum, $"{time:0.0} s against a minimum of {minimum:0.0} s");
        Assert.True(run.Throttled <= run.Sent / 10, $"{run.Throttled} of {run.Sent} answered 429");
        Assert.InRange(run.Budget.Report().Learned ?? 0, 11, 14);
    }

    [Fact]
    public void A_slow_network_costs_little()
    {
        var run = new BucketSimulation { Size = 250, Refill = 25, Latency = 0.2 };
        var time = run.Run(1000);
        Assert.Equal(0, run.Errors);
        Assert.True(time <= 1.3 * 30, $"{time:0.0} s");
        Assert.Equal(0, run.Throttled);
    }

    [Fact]
    public void Without_the_count_the_published_bucket_is_used_as_before()
    {
        var run = new BucketSimulation { Size = 250, Refill = 25, SendsRemaining = false };
        var time = run.Run(1000);
        Assert.Equal(0, run.Errors);
        Assert.True(time <= 1.1 * 30, $"{time:0.0} s");
        Assert.Equal(0, run.Throttled);
        Assert.Null(run.Budget.Report().Learned);
    }

    [Fact]
    public void After_an_outage_reads_resume_at_the_learned_pace_not_all_at_once()
    {
        // 20 a second; at 20 s the server answers one read 429 with Retry-After: 2.
        var run = new BucketSimulation { Size = 50, Refill = 20, OutageAt = 20 };
        run.Run(800);
        var resumed = run.SentAt.Where(t => t > run.OutageAnswered).ToArray();
        var pauseEnds = run.OutageAnswered + 2;
        Assert.True(resumed[0] >= pauseEnds, $"a read left {pauseEnds - resumed[0]:0.000} s before the pause ended");
        // What the pause would have refilled (40 reads) does not go at once: about the pace, 20 a second (10 in the half second).
        var firstHalfSecond = resumed.Count(t => t < pauseEnds + 0.5);
        Assert.InRange(firstHalfSecond, 5, 15);
        Assert.Equal(1, run.Throttled);
    }

    [Fact]
    public void The_verbose_words_say_what_was_learned()
    {
        var run = new BucketSimulation { Size = 20, Refill = 5 };
        run.Run(200);
        var report = run.Budget.Report();
        Assert.InRange(report.Learned ?? 0, 4.5, 5.5);
        Assert.Matches("^about 5 reads a second, [0-9]+ left$", report.Describe());
        Assert.Equal(20, report.Burst);
    }
}
