namespace OpStatus.Engine.Tests;

/// <summary>Signs of life where no progress bar shows: when they come, what they say, how much log they take.</summary>
public sealed class HeartbeatTests : IDisposable
{
    private readonly ManualClock clock = new();
    private readonly RecordingOutput output = new(verbose: false);
    private readonly List<WaitRun> runs = new();

    public void Dispose()
    {
        foreach (var run in runs)
        {
            run.Dispose();
        }
    }

    [Fact]
    public void Lines_come_at_30_s_1_2_5_minutes_then_every_5_minutes_each_with_the_UTC_time()
    {
        var heartbeat = new Heartbeat(output, clock);
        var seconds = new List<double>();
        for (var second = 0; second <= 20 * 60; second++)
        {
            var before = output.HeartbeatLines.Count;
            heartbeat.Beat(elapsed => $"Waiting: 1 of 2 done, 1 running, {Heartbeat.Span(elapsed)} waited");
            if (output.HeartbeatLines.Count > before)
            {
                seconds.Add(clock.Elapsed.TotalSeconds);
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(new double[] { 30, 60, 120, 300, 600, 900, 1200 }, seconds);
        Assert.Equal("2026-12-06T10:00:30Z Waiting: 1 of 2 done, 1 running, 00:00:30 waited", output.HeartbeatLines[0]);
        Assert.Equal("2026-12-06T10:20:00Z Waiting: 1 of 2 done, 1 running, 00:20:00 waited", output.HeartbeatLines[^1]);
    }

    [Fact]
    public void A_late_tick_writes_one_line_and_keeps_the_schedule()
    {
        var heartbeat = new Heartbeat(output, clock);
        clock.Advance(TimeSpan.FromMinutes(7));
        heartbeat.Beat(_ => "Waiting");
        heartbeat.Beat(_ => "Waiting");
        clock.Advance(TimeSpan.FromMinutes(3));
        heartbeat.Beat(_ => "Waiting");

        Assert.Equal(2, output.HeartbeatLines.Count);
    }

    [Fact]
    public void A_short_command_writes_no_line_not_even_at_its_end()
    {
        var heartbeat = new Heartbeat(output, clock);
        clock.Advance(TimeSpan.FromSeconds(29));
        heartbeat.Beat(_ => "Waiting");
        heartbeat.End(_ => "Done waiting");

        Assert.Empty(output.HeartbeatLines);
    }

    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(3 * 3600 + 61, "03:01:01")]
    [InlineData(27 * 3600 + 3 * 60 + 10, "27:03:10")]
    public void Times_waited_count_hours_past_a_day(int seconds, string shown)
    {
        Assert.Equal(shown, Heartbeat.Span(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public async Task A_three_hour_wait_of_a_thousand_operations_logs_under_64_KiB_and_says_so_as_it_goes()
    {
        var engine = new TestEngine(clock, maxRetries: 0);
        // Each operation answers Running (next poll in 10 minutes, the longest Retry-After Wait honours) for three
        // hours, then Succeeded; a tenth of them fail.
        const int Count = 1000;
        var statuses = new List<OperationStatus>();
        for (var i = 0; i < Count; i++)
        {
            var id = "op" + i;
            var answers = Enumerable.Repeat(Answer.Json("Running").RetryAfterMs(600_000), 18)
                .Append(Answer.Json(i % 10 == 0 ? "Failed" : "Succeeded")).ToArray();
            engine.Service.Script(id, answers);
            statuses.Add(await OperationStatusReader.ReadAsync(engine.Cache(id), null, default));
        }

        var run = new WaitRun(
            new CommandContext(output, new SignIn(engine.Pipelines), default, clock, progressBar: false),
            new WaitOptions(),
            any: false,
            TrustedHosts.None);
        runs.Add(run);
        foreach (var status in statuses)
        {
            run.AddStatus(status);
        }

        var done = run.CompleteAsync();
        var linesAtOneHour = -1;
        while (!done.IsCompleted)
        {
            Eventually.True(() => run.Quiet, "every loop went back to sleep");
            if (!done.IsCompleted)
            {
                clock.AdvanceToNextTimer();
                if (linesAtOneHour < 0 && clock.Elapsed >= TimeSpan.FromHours(1))
                {
                    linesAtOneHour = output.HeartbeatLines.Count;
                }
            }
        }

        var lines = output.HeartbeatLines;
        var bytes = lines.Sum(l => System.Text.Encoding.UTF8.GetByteCount(l) + 1);
        Assert.InRange(clock.Elapsed.TotalHours, 3, 3.05);
        Assert.Equal(Count, output.Outputs.Count);
        Assert.InRange(linesAtOneHour, 10, 20);
        Assert.InRange(lines.Count, 38, 45);
        Assert.True(bytes < 64 * 1024, $"{lines.Count} lines, {bytes} bytes");
        Assert.StartsWith("2026-12-06T10:00:30Z Waiting: 0 of 1000 done, 1000 running, 00:00:30 waited", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^2026-12-06T13:0\d:\d\dZ Done waiting: 1000 of 1000 done \(100 failed\), 03:0\d:\d\d waited$", lines[^1]);
        // Where progress is recorded, the overall record comes only when the counts change, and never twice within 5 s.
        var progress = output.ProgressUpdates;
        Assert.All(progress, p => Assert.Equal(1, p.Id));
        Assert.True(progress.Count < 200, $"{progress.Count} progress records");
    }

    [Fact]
    public async Task The_last_line_counts_a_timed_out_operation_apart_and_never_as_done()
    {
        var engine = new TestEngine(clock, maxRetries: 0);
        Script(engine, "ok", 3, "Succeeded");
        Script(engine, "bad", 1, "Failed");
        Script(engine, "endless", 100, "Succeeded");

        await WaitFor(engine, TimeSpan.FromSeconds(90), any: false, "ok", "bad", "endless");

        Assert.Matches(@"Z Done waiting: 2 of 3 done \(1 failed\), 1 timed out, 00:01:[23]\d waited$", output.HeartbeatLines[^1]);
        Assert.DoesNotContain(output.HeartbeatLines, l => l.Contains("3 of 3 done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_Any_the_last_line_says_how_many_were_left_running()
    {
        var engine = new TestEngine(clock, maxRetries: 0);
        Script(engine, "first", 2, "Succeeded");
        Script(engine, "second", 100, "Succeeded");
        Script(engine, "third", 100, "Succeeded");

        await WaitFor(engine, null, any: true, "first", "second", "third");

        Assert.Matches(@"Z Done waiting: 1 of 3 done, 2 left running, 00:01:0\d waited$", output.HeartbeatLines[^1]);
    }

    /// <summary>An operation read once as Running, then polled every 20 s: Running <paramref name="running"/> more times, then its last status.</summary>
    private static void Script(TestEngine engine, string id, int running, string last) =>
        engine.Service.Script(id, Enumerable.Repeat(Answer.Json("Running").RetryAfterMs(20_000), running + 1).Append(Answer.Json(last)).ToArray());

    private async Task WaitFor(TestEngine engine, TimeSpan? timeout, bool any, params string[] ids)
    {
        var run = new WaitRun(
            new CommandContext(output, new SignIn(engine.Pipelines), default, clock, progressBar: false),
            new WaitOptions { Timeout = timeout },
            any,
            TrustedHosts.None);
        runs.Add(run);
        foreach (var id in ids)
        {
            run.AddStatus(await OperationStatusReader.ReadAsync(engine.Cache(id), null, default));
        }

        var done = run.CompleteAsync();
        for (var step = 0; step < 500 && !done.IsCompleted; step++)
        {
            Eventually.True(() => run.Quiet, "every loop went back to sleep");
            if (!done.IsCompleted)
            {
                clock.AdvanceToNextTimer();
            }
        }

        await done.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
