using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>
/// What one place (a subscription read by one principal, or a Dev Center endpoint) may still read: a model of
/// the server's token bucket, kept in step with what the server says. Times are the caller's (time since the place
/// was first seen), so that the model is tested without a clock; the caller holds no lock, this class takes its own.
/// <list type="bullet">
/// <item>Before the first answer one read goes alone (for at most <see cref="ProbeTime"/>): its answer tells what is left.</item>
/// <item>x-ms-ratelimit-remaining-subscription-reads is mirrored: what is left is that count, less every read
/// reserved and not yet answered (the server may not have counted those yet).</item>
/// <item>Between answers the budget refills at the rate learned from those counts over the last
/// <see cref="WindowSeconds"/>: the count, plus the reads the server took meanwhile, grows at the net refill, so
/// what another client of the same bucket takes is left out by itself.</item>
/// <item>A 429 holds every read of the place until its Retry-After. The pause refills nothing, and after it the
/// budget holds no more than the pace has brought since: reads resume at the learned pace, not all at once.</item>
/// <item>A 429 that is not Resource Manager's empty bucket (no count, or a count above 0: a resource provider that
/// throttles on its own) lowers the pace by a quarter, once a pause, and counts no longer raise the budget; the
/// pace recovers by a tenth each second without a 429. Without any count (a service that does not send it) the
/// starting limits stand, with the same rule.</item>
/// </list>
/// </summary>
internal sealed class ReadBudget
{
    /// <summary>The longest the first read of a place goes alone before the others follow without its answer.</summary>
    /// <remarks>A quarter of a second: about one round trip to Azure; a slow first answer holds the others no longer.</remarks>
    public static readonly TimeSpan ProbeTime = TimeSpan.FromMilliseconds(250);

    /// <summary>How far back the refill rate is learned from.</summary>
    public const double WindowSeconds = 20;

    /// <summary>The least span of counts a rate is learned from (the counts are whole numbers: a shorter span is noise).</summary>
    public const double LeastSpanSeconds = 2;

    /// <summary>The share of the learned refill used: reads that leave at an even pace can still arrive bunched.</summary>
    public const double LearnedShare = 0.98;

    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(1);

    private readonly object gate = new();
    private readonly double startRate;
    private readonly double publishedBurst;
    private readonly bool probeFirst;

    // The bucket: its size, its refill a second, and what is left after every reservation not yet answered.
    private double cap;
    private double baseRate;
    private double penalty = 1;
    private TimeSpan? rampFrom;
    private double tokens;
    private TimeSpan asOf;
    private TimeSpan pausedUntil;
    private TimeSpan lastThrottle = TimeSpan.MinValue;

    // Reservations: numbered in order; waiting ones have not left yet, outstanding ones have no answer yet.
    private readonly SortedSet<long> waiting = new();
    private readonly HashSet<long> outstanding = new();
    private long issued;
    private long mirrored;
    private long probe = -1;
    private TimeSpan probeStarted;
    private bool answered;
    private bool heard;
    private bool sized;
    private int? lastLeft;

    // Learning: the counts heard in the window, and the reads of the window the server did not take (429, given up).
    private readonly List<Point> points = new();
    private readonly SortedSet<long> notTaken = new();
    private double lastFit = double.MinValue;
    private double? learned;
    private double? told;

    // What it did, for reports.
    private long reads;
    private long heldBack;
    private long throttles;
    private double secondsHeld;

    /// <param name="startBurst">The bucket assumed before the server says otherwise.</param>
    /// <param name="startRate">Its refill a second, likewise.</param>
    /// <param name="publishedBurst">The bucket the start rate goes with: a smaller bucket heard of starts at a rate scaled to it.</param>
    /// <param name="probeFirst">Whether the first read goes alone.</param>
    public ReadBudget(double startBurst, double startRate, double publishedBurst, bool probeFirst)
    {
        this.startRate = startRate;
        this.publishedBurst = publishedBurst;
        this.probeFirst = probeFirst;
        cap = startBurst;
        baseRate = startRate;
        tokens = startBurst;
    }

    /// <summary>Takes a place in the queue of this budget; <see cref="Due"/> says when it may leave.</summary>
    public long Reserve(TimeSpan now)
    {
        lock (gate)
        {
            Refill(now);
            var ticket = ++issued;
            waiting.Add(ticket);
            outstanding.Add(ticket);
            tokens -= 1;
            reads++;
            return ticket;
        }
    }

    /// <summary>Zero when the reservation may leave now (it is then taken off the queue); otherwise how long to wait before asking again.</summary>
    public TimeSpan Due(long ticket, TimeSpan now)
    {
        lock (gate)
        {
            Refill(now);
            var wait = WaitOf(ticket, now);
            if (wait <= TimeSpan.Zero)
            {
                waiting.Remove(ticket);
            }

            return wait;
        }
    }

    /// <summary>True while the reservation waits for the first read's answer (wake it when that comes).</summary>
    public bool WaitsForProbe(long ticket, TimeSpan now)
    {
        lock (gate)
        {
            return Probing(ticket, now);
        }
    }

    /// <summary>A reservation given up before it left (Ctrl+C, a deadline): its place goes back to the others.</summary>
    public void Cancel(long ticket)
    {
        lock (gate)
        {
            waiting.Remove(ticket);
            if (outstanding.Remove(ticket))
            {
                tokens += 1;
                reads--;
                notTaken.Add(ticket);
            }

            if (probe == ticket)
            {
                probe = -1;
            }
        }
    }

    /// <summary>A read that left and got no answer (a network fault): the server may have counted it.</summary>
    public void Failed(long ticket)
    {
        lock (gate)
        {
            waiting.Remove(ticket);
            outstanding.Remove(ticket);
            if (probe == ticket)
            {
                answered = true;
            }
        }
    }

    /// <summary>
    /// What an answer said: its status, Retry-After (on a 429) and remaining reads. True when the limit learned a
    /// rate worth telling (the first, or one a fifth away from the last told).
    /// </summary>
    public bool Answered(long ticket, TimeSpan now, int status, TimeSpan? retryAfter, int? remaining)
    {
        lock (gate)
        {
            Refill(now);
            waiting.Remove(ticket);
            outstanding.Remove(ticket);
            answered = true;
            if (status == 429)
            {
                throttles++;
                notTaken.Add(ticket);
            }

            if (remaining is { } left && left >= 0)
            {
                Heard(ticket, now, left, sizes: status != 429);
            }

            if (status == 429)
            {
                if (remaining is not 0 && pausedUntil <= now)
                {
                    // Not Resource Manager's empty bucket: a limit the counts do not show. Once per pause: the other
                    // 429s of the same burst say the same thing again.
                    penalty = Math.Max(1.0 / 16, penalty * 0.75);
                }

                lastThrottle = now;
                var until = now + (retryAfter ?? DefaultPause);
                pausedUntil = until > pausedUntil ? until : pausedUntil;
                rampFrom = pausedUntil;
                tokens = Math.Min(tokens, 0);
            }

            if (learned is { } rateLearned && (told is not { } last || Math.Abs(rateLearned - last) > last / 5))
            {
                told = rateLearned;
                return true;
            }

            return false;
        }
    }

    /// <summary>What the budget knows and did, for -Verbose, -Debug and benchmarks.</summary>
    public ReadBudgetReport Report()
    {
        lock (gate)
        {
            return new ReadBudgetReport(heard, learned, Rate, cap, lastLeft, reads, heldBack, throttles, TimeSpan.FromSeconds(secondsHeld));
        }
    }

    /// <summary>Counts a wait of a reservation for reports.</summary>
    public void Held(TimeSpan waited)
    {
        lock (gate)
        {
            heldBack++;
            secondsHeld += waited.TotalSeconds;
        }
    }

    private TimeSpan WaitOf(long ticket, TimeSpan now)
    {
        if (pausedUntil > now)
        {
            return pausedUntil - now;
        }

        if (Probing(ticket, now))
        {
            return probeStarted + ProbeTime - now;
        }

        // What is left once the reservations ahead of this one have left: those behind it do not count.
        var available = tokens + waiting.GetViewBetween(ticket + 1, long.MaxValue).Count;
        // In whole milliseconds, rounded up: a wait of a few ticks would find a hair too little on waking.
        return available >= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(-available / Rate * 1000));
    }

    private bool Probing(long ticket, TimeSpan now)
    {
        if (!probeFirst || answered)
        {
            return false;
        }

        if (probe < 0)
        {
            probe = ticket;
            probeStarted = now;
        }

        return probe != ticket && now - probeStarted < ProbeTime;
    }

    /// <param name="sizes">Whether the count tells of the bucket's size: a 429's 0 says only that it is empty.</param>
    private void Heard(long ticket, TimeSpan now, int left, bool sizes)
    {
        lastLeft = left;
        heard = true;
        if (sizes)
        {
            cap = sized ? Math.Max(cap, left + 1) : left + 1;
            sized = true;
            if (learned is null)
            {
                // Until a rate is learned, a bucket smaller than the published one is taken to refill in proportion, down
                // to a tenth (the count may come from a bucket others have nearly emptied).
                baseRate = startRate * Math.Max(SmallestShare, Math.Min(1, cap / publishedBurst));
            }
        }

        if (ticket > mirrored)
        {
            // Newer than any count mirrored so far: what is left is that count, less what may not be counted yet (and,
            // under a limit the counts do not show, never more than the pace has given).
            mirrored = ticket;
            var counted = Math.Min(left, Top(now)) - outstanding.Count;
            tokens = penalty < 1 ? Math.Min(tokens, counted) : counted;
            asOf = now > asOf ? now : asOf;
        }

        Learn(ticket, now.TotalSeconds, left);
    }

    /// <summary>
    /// Adds a count and fits the net refill over the window: y = count + reads taken since the window began grows
    /// by the refill less what others take. A count near the top, or a gap long enough to fill the bucket, starts
    /// the window again: a full bucket refills nothing, and the fit would see a slower rate than there is.
    /// </summary>
    private void Learn(long ticket, double seconds, int left)
    {
        if (points.Count > 0)
        {
            var last = points[points.Count - 1];
            var fastest = 2 * Math.Max(baseRate, learned ?? 0);
            if (left >= cap - 2 || last.Left + (fastest * (seconds - last.Seconds)) >= cap - 1)
            {
                points.Clear();
            }
        }

        points.Add(new Point(ticket, seconds, left));
        var old = points.FindIndex(p => p.Seconds >= seconds - WindowSeconds);
        if (old > 0)
        {
            points.RemoveRange(0, old);
        }

        var first = points.Min(p => p.Ticket);
        notTaken.RemoveWhere(t => t < first);
        if (seconds - lastFit < 0.25)
        {
            return;
        }

        lastFit = seconds;
        if (points.Count < 5 || points[points.Count - 1].Seconds - points[0].Seconds < LeastSpanSeconds)
        {
            return;
        }

        // Reads taken up to each count: its ticket, less the tickets not taken up to it.
        var byTicket = points.OrderBy(p => p.Ticket).ToArray();
        var skipped = notTaken.ToArray();
        var k = 0;
        double n = byTicket.Length, sumX = 0, sumY = 0, sumXY = 0, sumXX = 0;
        foreach (var p in byTicket)
        {
            while (k < skipped.Length && skipped[k] <= p.Ticket)
            {
                k++;
            }

            var x = p.Seconds - points[0].Seconds;
            var y = p.Left + p.Ticket - k;
            sumX += x;
            sumY += y;
            sumXY += x * y;
            sumXX += x * x;
        }

        var spread = (n * sumXX) - (sumX * sumX);
        if (spread <= 0)
        {
            return;
        }

        var slope = ((n * sumXY) - (sumX * sumY)) / spread;
        learned = Math.Max(0, slope);
        baseRate = Math.Min(Math.Max(learned.Value * LearnedShare, MinimumRate), startRate * 4);
    }

    /// <summary>The pace used now, reads a second.</summary>
    private double Rate => baseRate * penalty;

    /// <summary>The most the bucket may hold now: its size, or after a pause what the pace has brought since it ended.</summary>
    private double Top(TimeSpan now) => rampFrom is { } from
        ? Math.Min(cap, Math.Max(0, Rate * (now - from).TotalSeconds))
        : cap;

    /// <summary>The smallest bucket assumed before a rate is learned, as a share of the published one.</summary>
    private const double SmallestShare = 0.1;

    /// <summary>The slowest pace: a bucket taken wholly by others still lets a read through now and then.</summary>
    private const double MinimumRate = 0.05;

    /// <summary>Adds what the time since the last refill brought (none during a pause); lets a lowered rate recover.</summary>
    private void Refill(TimeSpan now)
    {
        var from = asOf > pausedUntil ? asOf : pausedUntil;
        if (now > from)
        {
            var seconds = (now - from).TotalSeconds;
            // The server's bucket holds no more than its size; reads queued here are not in it yet.
            var top = Top(now) - waiting.Count;
            if (tokens < top)
            {
                tokens = Math.Min(top, tokens + (seconds * Rate));
            }

            if (penalty < 1 && now - lastThrottle > TimeSpan.FromSeconds(1))
            {
                penalty = Math.Min(1, penalty + (0.1 * seconds));
            }
        }

        if (now > asOf)
        {
            asOf = now;
        }
    }

    private readonly struct Point
    {
        public Point(long ticket, double seconds, int left)
        {
            Ticket = ticket;
            Seconds = seconds;
            Left = left;
        }

        public long Ticket { get; }

        public double Seconds { get; }

        public int Left { get; }
    }
}

/// <summary>What one place's budget knows: whether the server told it, the rate learned and used, the bucket, what was last left; what it did.</summary>
internal sealed class ReadBudgetReport
{
    public ReadBudgetReport(bool heard, double? learned, double rate, double burst, int? left, long reads, long heldBack, long throttles, TimeSpan held)
    {
        Heard = heard;
        Learned = learned;
        Rate = rate;
        Burst = burst;
        Left = left;
        Reads = reads;
        HeldBack = heldBack;
        Throttles = throttles;
        Held = held;
    }

    /// <summary>True once an answer carried the remaining-reads count.</summary>
    public bool Heard { get; }

    /// <summary>The net refill a second learned from the counts, once there are enough.</summary>
    public double? Learned { get; }

    /// <summary>The pace used now, reads a second.</summary>
    public double Rate { get; }

    /// <summary>The bucket: as heard (the most ever left, plus one), or as assumed.</summary>
    public double Burst { get; }

    /// <summary>What the last count said was left.</summary>
    public int? Left { get; }

    public long Reads { get; }

    public long HeldBack { get; }

    public long Throttles { get; }

    public TimeSpan Held { get; }

    /// <summary>"about 9.6 reads a second, 12 left", or the limits assumed when the server says nothing.</summary>
    public string Describe() => Learned is { } rate
        ? string.Format(CultureInfo.InvariantCulture, "about {0} reads a second, {1} left", Round(rate), Left)
        : Heard
            ? string.Format(CultureInfo.InvariantCulture, "{0} left, refill not learned yet ({1} reads a second assumed)", Left, Round(Rate))
            : string.Format(CultureInfo.InvariantCulture, "bursts of up to {0:0} reads, then {1} a second (the service sends no remaining-reads count)", Burst, Round(Rate));

    private static string Round(double value) => value.ToString(value >= 10 ? "0" : "0.#", CultureInfo.InvariantCulture);
}
