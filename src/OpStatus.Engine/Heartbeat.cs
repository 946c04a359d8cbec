using System;
using System.Globalization;

namespace OpStatus.Engine;

/// <summary>
/// Signs of life for a log nobody watches live (a CI job, a runbook's job stream): where no progress bar is shown, a
/// long command says, on a line of its own that starts with the UTC time, how far it has come: 30 s after it
/// started, then after 1, 2 and 5 minutes, then every 5 minutes; and once more when it ends. A three-hour wait writes
/// about forty lines, whatever the number of operations. Not thread-safe: its owner calls it under one lock.
/// </summary>
internal sealed class Heartbeat
{
    /// <summary>When the first lines come, counted from the start; after the last, every <see cref="Every"/>.</summary>
    public static readonly TimeSpan[] Schedule = { TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5) };

    public static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    private readonly ICommandOutput output;
    private readonly TimeProvider clock;
    private readonly long started;
    private int step;
    private int written;
    private TimeSpan next = Schedule[0];

    public Heartbeat(ICommandOutput output, TimeProvider clock)
    {
        this.output = output;
        this.clock = clock;
        started = clock.GetTimestamp();
    }

    /// <summary>How long the command has run.</summary>
    public TimeSpan Elapsed => clock.Since(started);

    /// <summary>Writes the line <paramref name="line"/> makes of the time elapsed, when one is due.</summary>
    public void Beat(Func<TimeSpan, string> line)
    {
        var elapsed = Elapsed;
        if (elapsed < next)
        {
            return;
        }

        Write(line(elapsed));
        while (next <= elapsed)
        {
            step++;
            next = step < Schedule.Length ? Schedule[step] : next + Every;
        }
    }

    /// <summary>The last line, when the command wrote any: so that the log says it ended, and how.</summary>
    public void End(Func<TimeSpan, string> line)
    {
        if (written > 0)
        {
            Write(line(Elapsed));
        }
    }

    /// <summary>A time span as a log shows it: hours beyond a day too (27:03:10, not 03:03:10).</summary>
    public static string Span(TimeSpan span) =>
        string.Format(CultureInfo.InvariantCulture, "{0:00}:{1:00}:{2:00}", (int)span.TotalHours, span.Minutes, span.Seconds);

    private void Write(string line)
    {
        written++;
        output.Heartbeat(string.Format(CultureInfo.InvariantCulture, "{0:yyyy-MM-ddTHH:mm:ssZ} {1}", clock.GetUtcNow().UtcDateTime, line));
    }
}
