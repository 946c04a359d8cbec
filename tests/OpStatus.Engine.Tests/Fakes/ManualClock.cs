namespace OpStatus.Engine.Tests.Fakes;

/// <summary>
/// A clock that moves only when a test moves it. It knows its timers (those of Task.Delay and CancelAfter among them),
/// so a test can wait until the code under test has gone to sleep before moving time on.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly object gate = new();
    private readonly List<Timer> timers = new();
    private DateTimeOffset now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
    private long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            return now;
        }
    }

    public override long GetTimestamp()
    {
        lock (gate)
        {
            return ticks;
        }
    }

    /// <summary>The time since the clock was made.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(GetTimestamp());

    /// <summary>Timers waiting to fire.</summary>
    public int PendingTimers
    {
        get
        {
            lock (gate)
            {
                return timers.Count(t => t.Due is not null);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        lock (gate)
        {
            timers.Add(timer);
        }

        return timer;
    }

    /// <summary>Moves time on, firing each timer that falls due, in order, at its own moment.</summary>
    public void Advance(TimeSpan by)
    {
        TimeSpan target;
        lock (gate)
        {
            target = TimeSpan.FromTicks(ticks) + by;
        }

        while (true)
        {
            Timer? next;
            lock (gate)
            {
                next = timers.Where(t => t.Due is { } due && due <= target).OrderBy(t => t.Due).FirstOrDefault();
                if (next is null)
                {
                    Set(target);
                    return;
                }

                Set(next.Due!.Value);
                next.Fired();
            }

            next.Callback(next.State);
        }
    }

    /// <summary>Moves time on to the moment the next timer falls due, and fires it; returns how far time moved.</summary>
    public TimeSpan AdvanceToNextTimer()
    {
        WaitForTimers(1, "a timer was set to move time on to");
        TimeSpan by;
        lock (gate)
        {
            var next = timers.Where(t => t.Due is not null).Select(t => t.Due!.Value).DefaultIfEmpty(TimeSpan.FromTicks(ticks)).Min();
            by = next - TimeSpan.FromTicks(ticks);
        }

        Advance(by);
        return by;
    }

    /// <summary>Waits, in real time, until at least this many timers are waiting: the code under test has gone to sleep.</summary>
    public void WaitForTimers(int count, string? because = null) =>
        Eventually.True(() => PendingTimers >= count, because ?? $"{count} timers were waiting ({PendingTimers} are)");

    private void Set(TimeSpan elapsed)
    {
        now += elapsed - TimeSpan.FromTicks(ticks);
        ticks = elapsed.Ticks;
    }

    private sealed class Timer : ITimer
    {
        private readonly ManualClock clock;
        private TimeSpan period;

        public Timer(ManualClock clock, TimerCallback callback, object? state)
        {
            this.clock = clock;
            Callback = callback;
            State = state;
        }

        public TimerCallback Callback { get; }

        public object? State { get; }

        /// <summary>When it fires next, on the clock's elapsed time; null when it will not.</summary>
        public TimeSpan? Due { get; private set; }

        /// <summary>Called under the clock's lock when it fires.</summary>
        public void Fired() => Due = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? Due + period : null;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock.gate)
            {
                this.period = period;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : TimeSpan.FromTicks(clock.ticks) + (dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
                return true;
            }
        }

        public void Dispose()
        {
            lock (clock.gate)
            {
                Due = null;
                clock.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Conditions that background work makes true soon, waited for in real time.</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, string because, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("Timed out waiting until " + because);
            }

            Thread.Sleep(2);
        }
    }
}
