using System;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>
/// The engine's waits, on a <see cref="TimeProvider"/>: the system's in the module, a fake one in the engine
/// tests, so that schedules, deadlines and limits are tested without waiting for them.
/// </summary>
internal static class Clock
{
    /// <summary>The time elapsed since a timestamp of the same clock.</summary>
    public static TimeSpan Since(this TimeProvider clock, long timestamp) => clock.GetElapsedTime(timestamp);

    /// <summary>
    /// Completes after the delay, or is cancelled with the token. <paramref name="woke"/>, when given, is called once,
    /// at the moment the delay ends (on the clock's own thread: a timer's, or the one that cancels), before anything
    /// that awaits it runs: a loop's owner can tell whether it sleeps without a race.
    /// </summary>
    public static Task Delay(this TimeProvider clock, TimeSpan delay, CancellationToken cancellationToken, Action? woke = null)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            woke?.Invoke();
            return Task.FromCanceled(cancellationToken);
        }

        if (delay <= TimeSpan.Zero)
        {
            woke?.Invoke();
            return Task.CompletedTask;
        }

        var sleep = new Sleep(woke, cancellationToken);
        sleep.Start(clock, delay);
        return sleep.Task;
    }

    /// <summary>Cancels the source after the delay; dispose the result to stop the timer.</summary>
    public static IDisposable CancelAfter(this TimeProvider clock, CancellationTokenSource source, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            source.Cancel();
            return NoTimer.Instance;
        }

        return clock.CreateTimer(state => Cancel((CancellationTokenSource)state!), source, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Calls <paramref name="tick"/> every <paramref name="period"/> until the result is disposed.</summary>
    public static IDisposable Every(this TimeProvider clock, TimeSpan period, Action tick) =>
        clock.CreateTimer(state => ((Action)state!)(), tick, period, period);

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The wait it guarded has already ended.
        }
    }

    /// <summary>One delay: a one-shot timer of the clock and a cancellation registration, whichever comes first ends it.</summary>
    private sealed class Sleep : TaskCompletionSource<bool>
    {
        private readonly Action? woke;
        private readonly CancellationToken cancellationToken;
        private ITimer? timer;
        private CancellationTokenRegistration registration;
        private int ended;

        public Sleep(Action? woke, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            this.woke = woke;
            this.cancellationToken = cancellationToken;
        }

        public void Start(TimeProvider clock, TimeSpan delay)
        {
            timer = clock.CreateTimer(state => ((Sleep)state!).End(canceled: false), this, delay, Timeout.InfiniteTimeSpan);
            registration = cancellationToken.Register(state => ((Sleep)state!).End(canceled: true), this);
            if (Volatile.Read(ref ended) != 0)
            {
                registration.Dispose();
            }
        }

        private void End(bool canceled)
        {
            if (Interlocked.Exchange(ref ended, 1) != 0)
            {
                return;
            }

            woke?.Invoke();
            timer?.Dispose();
            registration.Dispose();
            if (canceled)
            {
                TrySetCanceled(cancellationToken);
            }
            else
            {
                TrySetResult(true);
            }
        }
    }

    private sealed class NoTimer : IDisposable
    {
        public static readonly NoTimer Instance = new();

        public void Dispose()
        {
        }
    }
}
