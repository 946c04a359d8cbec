using System.Collections.Concurrent;

namespace OpStatus.Engine.Tests;

/// <summary>The polling loop, on a clock the test moves, against a fake service.</summary>
public sealed class OperationWaiterTests : IDisposable
{
    private readonly ManualClock clock = new();
    private readonly TestEngine engine;
    private readonly ConcurrentQueue<WaitEvent> events = new();
    private readonly List<OperationWaiter> waiters = new();

    public OperationWaiterTests() => engine = new TestEngine(clock, maxRetries: 0);

    public void Dispose()
    {
        foreach (var waiter in waiters)
        {
            waiter.Dispose();
        }
    }

    private OperationWaiter NewWaiter(WaitOptions? options = null)
    {
        var waiter = new OperationWaiter(options ?? new WaitOptions(), null, events.Enqueue, default, clock);
        waiters.Add(waiter);
        return waiter;
    }

    private OperationStatus Running(string id) => engine.Read(id);

    /// <summary>Moves the clock timer by timer until the condition holds, each time once every loop has gone back to sleep.</summary>
    private void RunUntil(OperationWaiter waiter, Func<bool> condition)
    {
        for (var step = 0; step < 500; step++)
        {
            Eventually.True(() => waiter.Quiet, "every loop went back to sleep");
            if (condition())
            {
                return;
            }

            clock.AdvanceToNextTimer();
        }

        Assert.Fail("the condition did not hold after 500 timers");
    }

    [Fact]
    public void Without_Retry_After_polls_come_at_1_1_1_2_4_8_16_then_30_seconds()
    {
        engine.Service.Script("op", Answer.Json("Running"));
        var waiter = NewWaiter();
        waiter.Add(0, engine.Cache("op"), Running("op"));

        RunUntil(waiter, () => engine.Service.RequestsFor("op").Count >= 10);

        var times = engine.Service.RequestsFor("op").Skip(1).Select(r => r.At.TotalSeconds).ToArray();
        Assert.Equal(new double[] { 1, 2, 3, 5, 9, 17, 33, 63, 93 }, times.Take(9));
        Assert.All(events.Take(9), e => Assert.IsType<WaitPolled>(e));
    }

    [Fact]
    public void The_service_s_Retry_After_sets_the_next_poll()
    {
        engine.Service.Script("op", Answer.Json("Running").RetryAfterMs(2500), Answer.Json("Running").RetryAfterMs(700), Answer.Json("Succeeded"));
        var waiter = NewWaiter();
        waiter.Add(0, engine.Cache("op"), Running("op"));

        RunUntil(waiter, () => events.Any(e => e is WaitFinished));

        var times = engine.Service.RequestsFor("op").Select(r => r.At.TotalSeconds).ToArray();
        Assert.Equal(new[] { 0, 2.5, 3.2 }, times);
        Assert.Equal(0, waiter.Running);
    }

    [Fact]
    public void The_deadline_ends_the_wait_at_its_moment_with_the_last_status()
    {
        engine.Service.Script("op", Answer.Json("Running", "\"percentComplete\":40"));
        var waiter = NewWaiter(new WaitOptions { Timeout = TimeSpan.FromSeconds(5) });
        waiter.Add(0, engine.Cache("op"), Running("op"));

        RunUntil(waiter, () => events.Any(e => e is WaitTimedOut));

        var timedOut = Assert.IsType<WaitTimedOut>(events.Last());
        Assert.Equal("Running", timedOut.LastStatus!.Status);
        Assert.Equal(5, clock.Elapsed.TotalSeconds);
        // The poll due at 5 s would come at the deadline: it comes a second before, at 4 s.
        Assert.Equal(new double[] { 0, 1, 2, 3, 4 }, engine.Service.RequestsFor("op").Select(r => r.At.TotalSeconds));
    }

    [Fact]
    public void An_operation_that_ends_between_the_last_scheduled_poll_and_the_deadline_is_seen_ended()
    {
        // Polls at 1, 2, 3, 5, 9, 17 and 33 s find it running; the next, due at 63 s, would pass a 60 s deadline.
        var running = Enumerable.Repeat(Answer.Json("Running"), 8).ToArray();
        engine.Service.Script("op", running.Append(Answer.Json("Succeeded")).ToArray());
        var waiter = NewWaiter(new WaitOptions { Timeout = TimeSpan.FromSeconds(60) });
        waiter.Add(0, engine.Cache("op"), Running("op"));

        RunUntil(waiter, () => events.Any(e => e is WaitFinished or WaitTimedOut));

        Assert.IsType<WaitFinished>(events.Last());
        Assert.Equal(59, engine.Service.RequestsFor("op").Last().At.TotalSeconds);
    }

    [Fact]
    public void The_deadline_cancels_a_read_in_flight()
    {
        var never = new TaskCompletionSource();
        engine.Service.Script("op", Answer.Json("Running"), Answer.Json("Running") with { Gate = never.Task });
        var waiter = NewWaiter(new WaitOptions { Timeout = TimeSpan.FromSeconds(2) });
        waiter.Add(0, engine.Cache("op"), Running("op"));

        Eventually.True(() => waiter.Quiet, "the loop went to sleep");
        clock.AdvanceToNextTimer();
        Eventually.True(() => engine.Service.RequestsFor("op").Count == 2, "the poll at 1 s was sent");
        clock.Advance(TimeSpan.FromSeconds(1));

        Eventually.True(() => events.Any(e => e is WaitTimedOut), "the deadline ended the read");
        Assert.Equal(0, waiter.Running);
    }

    [Fact]
    public void A_transient_failure_is_polled_through_and_a_501_ends_the_operation_at_once()
    {
        engine.Service.Script("flaky", new Answer { Status = 503 }, Answer.Json("Succeeded"));
        engine.Service.Script("unsupported", new Answer { Status = 501 });
        engine.Service.Script("op", Answer.Json("Running"));
        var waiter = NewWaiter();
        waiter.Add(0, engine.Cache("flaky"), Running("op"));
        waiter.Add(1, engine.Cache("unsupported"), Running("op"));

        RunUntil(waiter, () => waiter.Running == 0);

        Assert.Contains(events, e => e is WaitPollFailed { Index: 0 });
        Assert.Contains(events, e => e is WaitFinished { Index: 0 });
        var abandoned = Assert.Single(events.OfType<WaitAbandoned>());
        Assert.Equal((1, 501, false), (abandoned.Index, abandoned.Error.StatusCode, abandoned.Error.IsTransient));
        Assert.Single(engine.Service.RequestsFor("unsupported"));
    }

    [Fact]
    public void Ten_failed_polls_in_a_row_give_the_operation_up()
    {
        engine.Service.Script("down", new Answer { Status = 503 });
        engine.Service.Script("op", Answer.Json("Running"));
        var waiter = NewWaiter(new WaitOptions { MaxConsecutiveFailures = 10 });
        waiter.Add(0, engine.Cache("down"), Running("op"));

        RunUntil(waiter, () => waiter.Running == 0);

        Assert.Equal(9, events.OfType<WaitPollFailed>().Count());
        Assert.Equal(503, Assert.Single(events.OfType<WaitAbandoned>()).Error.StatusCode);
    }

    [Fact]
    public void Cancel_ends_every_loop_without_a_report()
    {
        engine.Service.Script("op", Answer.Json("Running"));
        var waiter = NewWaiter();
        for (var i = 0; i < 20; i++)
        {
            waiter.Add(i, engine.Cache("op"), Running("op"));
        }

        Eventually.True(() => waiter.Quiet, "every loop went to sleep");
        waiter.Cancel();

        Eventually.True(() => waiter.Running == 0, "every loop ended");
        Assert.Empty(events);
    }
}
