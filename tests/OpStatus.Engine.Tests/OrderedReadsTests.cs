namespace OpStatus.Engine.Tests;

/// <summary>Get's concurrent reads: order, bounds, errors in place.</summary>
public sealed class OrderedReadsTests
{
    private readonly TestEngine engine = new(maxRetries: 0);
    private readonly RecordingOutput output = new(verbose: false);

    private OrderedReads NewReads(int limit, int window, CancellationToken stopping = default, ManualClock? clock = null, bool progress = false) =>
        new(clock is null ? engine.Context(output, stopping) : new CommandContext(output, new SignIn(), stopping, clock), limit, window, progress);

    [Fact]
    public async Task Outcomes_come_in_input_order_whatever_order_the_answers_come_in()
    {
        var gates = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource()).ToArray();
        for (var i = 0; i < 5; i++)
        {
            engine.Service.Script("op" + i, Answer.Json("Succeeded") with { Gate = gates[i].Task });
        }

        using var reads = NewReads(limit: 8, window: 16);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(reads.AddAsync(engine.Cache("op" + i), null).IsCompleted);
        }

        foreach (var gate in gates.Reverse())
        {
            gate.SetResult();
        }

        await reads.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { "op0", "op1", "op2", "op3", "op4" }, output.Outcomes);
    }

    [Fact]
    public async Task Errors_and_refused_values_keep_their_place()
    {
        engine.Service.Script("good", Answer.Json("Succeeded"));
        using var reads = NewReads(limit: 4, window: 8);

        await reads.AddAsync(engine.Cache("good"), null);
        await reads.AddAsync(null, new InvalidInput("InvalidOperationId", "The operation id is empty.", ""));
        await reads.AddAsync(engine.Cache("missing"), null);
        await reads.AddAsync(engine.Cache("good"), null);
        await reads.CompleteAsync();

        Assert.Equal(new[] { "good", "error:InvalidOperationId", "error:Http404.OperationNotFound", "good" }, output.Outcomes);
    }

    [Fact]
    public async Task At_most_limit_reads_are_in_flight_and_at_most_window_items_held()
    {
        var gate = new TaskCompletionSource();
        engine.Service.Script("slow", Answer.Json("Succeeded") with { Gate = gate.Task });
        using var reads = NewReads(limit: 2, window: 4);

        var adds = Enumerable.Range(0, 5).Select(_ => reads.AddAsync(engine.Cache("slow"), null)).ToList();

        Eventually.True(() => engine.Service.Requests.Count == 2, "two reads were sent");
        Thread.Sleep(50);
        Assert.Equal(2, engine.Service.Requests.Count);
        Assert.True(adds.Take(4).All(a => a.IsCompleted));
        Assert.False(adds[4].IsCompleted);

        gate.SetResult();
        await Task.WhenAll(adds).WaitAsync(TimeSpan.FromSeconds(10));
        await reads.CompleteAsync();
        Assert.Equal(5, output.Outputs.Count);
    }

    [Fact]
    public async Task A_failure_to_sign_in_stops_the_reads_and_ends_the_command_with_one_error()
    {
        var noSignIn = new AuthenticatedPipelines("no credential", new UnavailableCredential(), engine.Service.Settings());
        using var reads = NewReads(limit: 4, window: 8);
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await reads.AddAsync(engine.Cache("op" + i).WithCredential(noSignIn), null);
            }
            catch (OperationCanceledException)
            {
                // The command has ended: the cmdlet would have thrown the error already.
                break;
            }
        }

        await reads.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));

        var error = Assert.Single(output.Errors);
        Assert.True(error.EndsCommand);
        Assert.Equal(FailureCategory.AuthenticationError, error.Category);
        Assert.Empty(engine.Service.Requests);
    }

    [Fact]
    public async Task Stopping_cancels_the_reads_in_flight_and_a_wait_for_room()
    {
        var never = new TaskCompletionSource();
        engine.Service.Script("hang", Answer.Json("Running") with { Gate = never.Task });
        using var stop = new CancellationTokenSource();
        var reads = NewReads(limit: 1, window: 1, stop.Token);
        await reads.AddAsync(engine.Cache("hang"), null);
        var blocked = reads.AddAsync(engine.Cache("hang"), null);

        stop.Cancel();

        // The wait for room ends at once: cancelled, or, when the stopped read gave its room back first, with an item
        // taken that is never read. Either way nothing more is reported.
        await blocked.ContinueWith(_ => { }).WaitAsync(TimeSpan.FromSeconds(5));
        reads.Dispose();
        Assert.Empty(output.Outcomes);
        Assert.Single(engine.Service.Requests);
    }

    [Fact]
    public async Task Reads_that_last_more_than_two_seconds_show_their_progress_once_a_second()
    {
        var clock = new ManualClock();
        var gate = new TaskCompletionSource();
        engine.Service.Script("slow", Answer.Json("Succeeded") with { Gate = gate.Task });
        using var reads = NewReads(limit: 2, window: 4, clock: clock, progress: true);
        await reads.AddAsync(engine.Cache("slow"), null);
        await reads.AddAsync(engine.Cache("slow"), null);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(output.ProgressUpdates);
        Eventually.True(() => engine.Service.Requests.Count == 2, "both reads were sent");
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(
            new[] { "0 read, 2 being read, 0 a second, 00:00:02", "0 read, 2 being read, 0 a second, 00:00:03" },
            output.ProgressUpdates.Select(p => p.Status));
        gate.SetResult();
        await reads.CompleteAsync();
        Assert.True(output.ProgressUpdates.Last().Completed);
    }

    [Fact]
    public async Task A_slow_failing_item_holds_back_the_output_behind_it_but_not_the_reads()
    {
        var stuck = new TaskCompletionSource();
        engine.Service.Script("stuck", new Answer { Status = 500, Gate = stuck.Task });
        engine.Service.Script("good", Answer.Json("Succeeded"));
        using var reads = NewReads(limit: 4, window: OrderedReads.Window(4));

        await reads.AddAsync(engine.Cache("stuck"), null);
        for (var i = 0; i < 1000; i++)
        {
            var adding = reads.AddAsync(engine.Cache("good"), null);
            Assert.True(adding.IsCompleted, $"item {i + 1} waited for room behind the stuck one");
        }

        Eventually.True(() => engine.Service.RequestsFor("good").Count == 1000, "every item behind the stuck one was read");
        Assert.Empty(output.Outcomes);

        stuck.SetResult();
        await reads.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { "error:Http500" }.Concat(Enumerable.Repeat("good", 1000)), output.Outcomes);
    }
}
