namespace OpStatus.Engine.Tests;

/// <summary>Wait-OperationStatus's engine: what it reports, in which order, and its progress, on a clock the test moves.</summary>
public sealed class WaitRunTests : IDisposable
{
    private readonly ManualClock clock = new();
    private readonly TestEngine engine;
    private readonly RecordingOutput output = new();
    private readonly List<WaitRun> runs = new();

    public WaitRunTests() => engine = new TestEngine(clock, maxRetries: 0);

    public void Dispose()
    {
        foreach (var run in runs)
        {
            run.Dispose();
        }
    }

    private WaitRun NewRun(int timeout = -1, bool any = false)
    {
        var options = new WaitOptions { Timeout = timeout >= 0 ? TimeSpan.FromSeconds(timeout) : null };
        var run = new WaitRun(engine.Context(output), options, any, TrustedHosts.None);
        runs.Add(run);
        return run;
    }

    private OperationStatus Read(string id) => OperationStatusReader.ReadAsync(engine.Cache(id), null, default).GetAwaiter().GetResult();

    private static void Script(TestEngine engine, string id, params string[] statuses) =>
        engine.Service.Script(id, statuses.Select(s => Answer.Json(s, "\"name\":\"" + id + "\"")).ToArray());

    /// <summary>Moves the clock on, timer by timer, each time once every loop has gone back to sleep, until the wait completes.</summary>
    private async Task RunToEnd(WaitRun run, Task completion)
    {
        for (var step = 0; step < 500 && !completion.IsCompleted; step++)
        {
            Eventually.True(() => run.Quiet, "every loop went back to sleep");
            if (!completion.IsCompleted)
            {
                clock.AdvanceToNextTimer();
            }
        }

        await completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Each_final_status_is_written_as_its_operation_ends_and_a_failure_also_gives_its_error()
    {
        Script(engine, "fast", "Running", "Succeeded");
        Script(engine, "slow", "Running", "Running", "Running", "Failed");
        engine.Service.Script("broken", Answer.Json("Running"), Answer.Json("Running"), Answer.Json("Failed", "\"error\":{\"code\":\"Quota\",\"message\":\"No quota.\"}"));
        var run = NewRun();
        run.AddStatus(Read("slow"));
        run.AddStatus(Read("fast"));
        run.AddStatus(Read("broken"));

        await RunToEnd(run, run.CompleteAsync());

        Assert.Equal(new[] { "fast", "broken", "error:OperationFailed.Quota", "slow", "error:OperationFailed" }, output.Outcomes);
        Assert.Equal(FailureCategory.InvalidResult, output.Errors[0].Category);
        Assert.Contains("No quota.", output.Errors[0].Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_final_status_given_is_passed_on_without_a_poll()
    {
        Script(engine, "done", "Succeeded");
        var done = Read("done");
        var run = NewRun();

        run.AddStatus(done);
        await run.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Same(done, Assert.Single(output.Outputs));
        Assert.Single(engine.Service.RequestsFor("done"));
    }

    [Fact]
    public async Task Any_writes_the_first_to_end_and_stops_polling_the_others()
    {
        Script(engine, "endless", "Running");
        Script(engine, "quick", "Running", "Running", "Succeeded");
        var run = NewRun(any: true);
        run.AddStatus(Read("endless"));
        run.AddStatus(Read("quick"));

        await RunToEnd(run, run.CompleteAsync());
        var polls = engine.Service.RequestsFor("endless").Count;
        clock.Advance(TimeSpan.FromMinutes(5));
        Thread.Sleep(20);

        Assert.Equal(new[] { "quick" }, output.Outcomes);
        Assert.Equal(polls, engine.Service.RequestsFor("endless").Count);
        Assert.True(run.Satisfied);
        run.AddStatus(Read("endless"));
        Assert.Equal(new[] { "quick" }, output.Outcomes);
    }

    [Fact]
    public async Task A_timeout_gives_one_error_per_unfinished_operation_with_its_last_status()
    {
        Script(engine, "slow", "Running");
        Script(engine, "quick", "Running", "Succeeded");
        var run = NewRun(timeout: 2);
        run.AddStatus(Read("slow"));
        run.AddStatus(Read("quick"));

        await RunToEnd(run, run.CompleteAsync());

        Assert.Equal(new[] { "quick", "error:Timeout" }, output.Outcomes);
        var error = output.Errors.Single();
        Assert.Equal(FailureCategory.OperationTimeout, error.Category);
        Assert.Equal("slow", ((OperationStatus)error.Target!).OperationId);
        Assert.Contains("did not end within 2 s of being received; its last status was Running", error.Exception.Message, StringComparison.Ordinal);
        Assert.IsType<OperationTimeoutException>(error.Exception);
    }

    [Fact]
    public async Task An_operation_that_cannot_be_followed_ends_with_its_error_and_the_others_go_on()
    {
        engine.Service.Script("gone", Answer.Json("Running"), new Answer { Status = 404, Body = "{\"error\":{\"code\":\"OperationNotFound\",\"message\":\"Gone.\"}}" });
        Script(engine, "fine", "Running", "Running", "Succeeded");
        var run = NewRun();
        run.AddStatus(Read("gone"));
        run.AddStatus(Read("fine"));

        await RunToEnd(run, run.CompleteAsync());

        Assert.Equal(new[] { "error:Http404.OperationNotFound", "fine" }, output.Outcomes);
    }

    [Fact]
    public async Task Verbose_says_each_poll_and_the_end_before_the_status_is_written()
    {
        Script(engine, "op", "Running", "Running", "Succeeded");
        var run = NewRun();
        run.AddStatus(Read("op"));

        await RunToEnd(run, run.CompleteAsync());

        var kinds = output.Records.Where(r => r.Kind == "Output" || (r.Kind == "Verbose" && ((string)r.Value).StartsWith("Cache operation", StringComparison.Ordinal)))
            .Select(r => r.Kind == "Output" ? "output" : (string)r.Value).ToArray();
        Assert.Equal(new[] { "Cache operation 'op': Running; next poll in 1 s.", "Cache operation 'op': Succeeded; done.", "output" }, kinds);
    }

    [Fact]
    public async Task Progress_shows_the_parent_and_at_most_five_operations_and_ticks_every_second()
    {
        for (var i = 0; i < 8; i++)
        {
            Script(engine, "op" + i, "Running");
        }

        var run = NewRun();
        for (var i = 0; i < 8; i++)
        {
            run.AddStatus(Read("op" + i));
        }

        Eventually.True(() => run.Quiet, "every loop went to sleep");
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var before = output.ProgressUpdates.Count;
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Eventually.True(() => output.ProgressUpdates.Count > before, "a tick wrote progress");

        var ids = output.ProgressUpdates.Select(p => p.Id).Distinct().OrderBy(i => i).ToArray();
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, ids);
        var parent = output.ProgressUpdates.Last(p => p.Id == 1);
        Assert.Equal("Waiting for 8 operations", parent.Activity);
        Assert.StartsWith("0 of 8 done, 8 running, waited 00:00:01", parent.Status, StringComparison.Ordinal);
        Assert.All(output.ProgressUpdates.Where(p => p.Id > 1), p => Assert.Equal(1, p.ParentId));
        run.Cancel();
    }

    [Fact]
    public async Task A_start_response_is_polled_after_its_Retry_After_and_one_without_a_header_says_so()
    {
        Script(engine, "started", "Succeeded");
        var url = engine.Cache("started").Uri.AbsoluteUri;
        var run = NewRun();
        run.AddResponse(new StartResponse(202, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Location"] = url, ["Retry-After"] = "3" }, null, null));
        run.AddResponse(new StartResponse(202, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), null, null));

        Assert.Equal("error:NoOperationHeader", Assert.Single(output.Outcomes));
        await RunToEnd(run, run.CompleteAsync());

        Assert.Equal(3, engine.Service.RequestsFor("started").Single().At.TotalSeconds);
        Assert.Equal(new[] { "error:NoOperationHeader", "started" }, output.Outcomes);
    }
}
