using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>How Wait-OperationStatus waits.</summary>
internal sealed class WaitOptions
{
    /// <summary>
    /// The default polling schedule when the service sends no Retry-After: fast at first, so a short operation
    /// is seen done within a second or two, then backing off to every 30 seconds.
    /// </summary>
    public static IReadOnlyList<TimeSpan> DefaultSchedule { get; } = new[]
    {
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(30),
    };

    /// <summary>How long to wait for each operation, counted from when the wait receives it; null to wait as long as it takes.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>A fixed interval between polls when the service sends no Retry-After; null for the default schedule.</summary>
    public TimeSpan? PollingInterval { get; set; }

    /// <summary>At most this many status requests in flight at once, across all operations.</summary>
    public int MaxConcurrentRequests { get; set; } = 32;

    /// <summary>Failed polls in a row (each already retried by the pipeline) after which an operation is given up.</summary>
    public int MaxConsecutiveFailures { get; set; } = 10;

    /// <summary>The longest Retry-After honoured; a longer one is shortened to this.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The shortest interval between two polls of one operation, whatever Retry-After says (0, a past date).</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The delay before poll number <paramref name="poll"/> (0 is the first poll after a read).</summary>
    /// <remarks>Not Azure.Core's DelayStrategy, which paces retries inside one request: polls follow a shorter server Retry-After too, and a fixed schedule.</remarks>
    public TimeSpan Interval(int poll, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked > MaxRetryAfter ? MaxRetryAfter : asked < MinInterval ? MinInterval : asked;
        }

        if (PollingInterval is { } fixedInterval)
        {
            return fixedInterval;
        }

        var schedule = DefaultSchedule;
        return schedule[Math.Min(poll, schedule.Count - 1)];
    }
}

/// <summary>
/// Waits on many operations at the same time: one small loop per operation, at most one request in flight
/// per operation and a bounded number overall, each reporting what happens through a sink that any thread
/// may call. Cancelling stops every loop at once, in a request or in a delay.
/// </summary>
internal sealed class OperationWaiter : IDisposable
{
    private readonly WaitOptions options;
    private readonly IOperationLog? log;
    private readonly Action<WaitEvent> sink;
    private readonly CancellationTokenSource cancellation;
    private readonly SemaphoreSlim gate;
    private readonly List<Task> loops = new();
    private readonly TimeProvider clock;
    private readonly long started;
    private int running;
    private int busy;

    public OperationWaiter(WaitOptions options, IOperationLog? log, Action<WaitEvent> sink, CancellationToken cancellationToken, TimeProvider? clock = null)
    {
        this.options = options;
        this.log = log;
        this.sink = sink;
        this.clock = clock ?? TimeProvider.System;
        started = this.clock.GetTimestamp();
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        gate = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentRequests));
    }

    /// <summary>How many operations are still being waited on.</summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>
    /// True when no loop is between two sleeps: every operation still waited on waits for its next poll. The engine
    /// tests wait for it before they move their clock on.
    /// </summary>
    public bool Quiet => Volatile.Read(ref busy) == 0;

    /// <summary>How long the wait has lasted.</summary>
    public TimeSpan Elapsed => clock.Since(started);

    /// <summary>
    /// Starts waiting on one operation. With a status already read, the first poll waits one interval;
    /// without one, it polls at once.
    /// </summary>
    /// <param name="firstDelay">Without a first status: how long to wait before the first poll (the Retry-After of the response that started the operation).</param>
    public void Add(int index, OperationRequest request, OperationStatus? initial, TimeSpan? firstDelay = null)
    {
        Interlocked.Increment(ref running);
        Interlocked.Increment(ref busy);
        // -Timeout counts from now, when Wait receives the operation, not from the start of the command.
        var deadline = options.Timeout is { } timeout ? Elapsed + timeout : (TimeSpan?)null;
        var loop = Task.Run(() => WaitOneAsync(index, request, initial, firstDelay, deadline));
        lock (loops)
        {
            loops.Add(loop);
        }
    }

    /// <summary>Stops every loop; they end promptly without reporting anything more.</summary>
    public void Cancel() => cancellation.Cancel();

    public void Dispose()
    {
        cancellation.Cancel();
        Task[] all;
        lock (loops)
        {
            all = loops.ToArray();
        }

        bool ended;
        try
        {
            // Loops end at the next await once cancelled; leave no background work behind.
            ended = Task.WaitAll(all, TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            ended = true;
        }

        // A loop still running (a transport that ignores cancellation) may yet touch the gate and the token
        // source: release them only when every loop has ended, and otherwise leave them to the collector.
        if (ended && Running == 0)
        {
            cancellation.Dispose();
            gate.Dispose();
        }
    }

    /// <summary>One operation's loop, from receipt to its one report of how it ended.</summary>
    private async Task WaitOneAsync(int index, OperationRequest request, OperationStatus? last, TimeSpan? firstDelay, TimeSpan? deadline)
    {
        // The operation's own token: cancelled at its deadline, so a read in flight (and its retries) stops too.
        using var operation = CancellationTokenSource.CreateLinkedTokenSource(cancellation.Token);
        using var timer = deadline is { } ends ? clock.CancelAfter(operation, ends - Elapsed) : null;

        var progress = new PollProgress { Last = last };
        try
        {
            await PollUntilDoneAsync(index, request, progress, firstDelay, deadline, operation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Stopped or -Any satisfied: nothing more to say.
        }
        catch (OperationCanceledException) when (operation.IsCancellationRequested)
        {
            // The deadline passed, in a delay or in a read.
            Report(new WaitTimedOut(index, request, progress.Last, progress.LastFailure));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the loop did not foresee ends this operation with an error of its own, never in silence.
            Report(new WaitAbandoned(index, request, request.Failure(
                FailureKind.Unexpected,
                Sentences.Join($"Waiting on operation '{InputValidation.Printable(request.OperationId)}' failed unexpectedly: {ex.GetType().Name}: {ex.Message}"),
                ex)));
        }
        finally
        {
            Interlocked.Decrement(ref busy);
            Interlocked.Decrement(ref running);
        }
    }

    /// <summary>Polls, between delays, until the status is terminal, a failure will not pass, or the deadline comes.</summary>
    private async Task PollUntilDoneAsync(int index, OperationRequest request, PollProgress progress, TimeSpan? firstDelay, TimeSpan? deadline, CancellationToken token)
    {
        var poll = 0;
        var failures = 0;
        var delay = progress.Last is not null ? options.Interval(poll++, progress.Last.RetryAfter)
            : firstDelay is { } asked ? options.Interval(poll++, asked)
            : TimeSpan.Zero;
        while (await SleepAsync(delay, deadline, token).ConfigureAwait(false))
        {
            OperationStatus status;
            await gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                status = await OperationStatusReader.ReadAsync(request, log, token).ConfigureAwait(false);
            }
            catch (OperationStatusException ex) when (ex.IsTransient && ++failures < options.MaxConsecutiveFailures)
            {
                progress.LastFailure = ex;
                delay = options.Interval(poll++, ex.RetryAfter);
                Report(new WaitPollFailed(index, request, ex, delay));
                continue;
            }
            catch (OperationStatusException ex)
            {
                Report(new WaitAbandoned(index, request, ex));
                return;
            }
            finally
            {
                gate.Release();
            }

            failures = 0;
            progress.LastFailure = null;
            progress.Last = status;
            if (status.IsTerminal)
            {
                Report(new WaitFinished(index, request, status));
                return;
            }

            delay = options.Interval(poll++, status.RetryAfter);
            Report(new WaitPolled(index, request, status, delay));
        }

        Report(new WaitTimedOut(index, request, progress.Last, progress.LastFailure));
    }

    /// <summary>What one loop knows so far: the last status read and, since then, the last poll failure.</summary>
    private sealed class PollProgress
    {
        public OperationStatus? Last { get; set; }

        public OperationStatusException? LastFailure { get; set; }
    }

    /// <summary>
    /// Waits for the delay, or until the timeout; false when the timeout came first. When the next poll would come
    /// after the timeout, one last poll comes a second before it instead: an operation that ended meanwhile is then
    /// written as it ended, not reported as timed out.
    /// </summary>
    private async Task<bool> SleepAsync(TimeSpan delay, TimeSpan? deadline, CancellationToken token)
    {
        if (deadline is { } ends)
        {
            var left = ends - Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            if (delay >= left)
            {
                if (left > LastPollBeforeDeadline)
                {
                    await Sleep(left - LastPollBeforeDeadline, token).ConfigureAwait(false);
                    return true;
                }

                await Sleep(left, token).ConfigureAwait(false);
                return false;
            }
        }

        await Sleep(delay, token).ConfigureAwait(false);
        return true;
    }

    /// <summary>How long before its deadline an operation is polled one last time, when its schedule would pass the deadline.</summary>
    private static readonly TimeSpan LastPollBeforeDeadline = TimeSpan.FromSeconds(1);

    /// <summary>A loop's sleep: not busy once its timer is set, until the delay ends.</summary>
    private Task Sleep(TimeSpan delay, CancellationToken token)
    {
        // The timer first, then "not busy": in between, nobody may see the loop quiet with no timer set.
        var sleeping = clock.Delay(delay, token, () => Interlocked.Increment(ref busy));
        Interlocked.Decrement(ref busy);
        return sleeping;
    }

    private void Report(WaitEvent e)
    {
        if (!cancellation.IsCancellationRequested)
        {
            sink(e);
        }
    }
}
