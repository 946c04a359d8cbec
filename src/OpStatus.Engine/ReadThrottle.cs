using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>
/// One client-side limit on reads for the whole session, shared by every OpStatus command (Get and Wait
/// alike), kept per place where Resource Manager counts them: the endpoint and subscription of the URL (or
/// the endpoint alone, for Dev Center). Each place is a token bucket a little smaller than ARM's (250 reads,
/// refilled at 25 a second, unless OPSTATUS_READ_BURST and OPSTATUS_READS_PER_SECOND say otherwise). A 429 on any
/// read of a place holds every read of that place until its Retry-After, halves that place's rate, which then
/// recovers by a tenth of its base every second without a 429.
/// </summary>
internal sealed class ReadThrottle
{
    /// <summary>ARM's published read limits per subscription: a bucket of 250 requests, refilled at 25 a second.</summary>
    public const double ArmBurst = 250;

    public const double ArmReadsPerSecond = 25;

    public const string BurstVariable = "OPSTATUS_READ_BURST";

    public const string RateVariable = "OPSTATUS_READS_PER_SECOND";

    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider clock;
    private readonly double? burst;
    private readonly double? rate;

    /// <param name="clock">The clock of its buckets and waits; the system's unless a test gives its own.</param>
    /// <param name="burst">The bucket's size, instead of OPSTATUS_READ_BURST or Resource Manager's.</param>
    /// <param name="rate">Its refill a second, instead of OPSTATUS_READS_PER_SECOND or Resource Manager's.</param>
    public ReadThrottle(TimeProvider? clock = null, double? burst = null, double? rate = null)
    {
        this.clock = clock ?? TimeProvider.System;
        this.burst = burst;
        this.rate = rate;
    }

    /// <summary>The session's limiter.</summary>
    public static ReadThrottle Session { get; } = new();

    /// <summary>Where ARM counts a read of this URL: scheme, host and port, and /subscriptions/{id} when the path starts so.</summary>
    public static string KeyOf(Uri uri)
    {
        var key = uri.GetLeftPart(UriPartial.Authority);
        var segments = uri.AbsolutePath.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && segments[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase)
            ? key + "/subscriptions/" + segments[1].ToLowerInvariant()
            : key;
    }

    /// <summary>Waits until the place of this URL may be read; returns how long it waited.</summary>
    public async ValueTask<TimeSpan> AcquireAsync(Uri uri, bool async, CancellationToken cancellationToken)
    {
        var bucket = BucketOf(uri);
        var waited = TimeSpan.Zero;
        var reserved = false;
        while (true)
        {
            var delay = reserved ? bucket.PauseLeft() : bucket.Reserve(out reserved);
            if (delay <= TimeSpan.Zero)
            {
                if (reserved)
                {
                    return waited;
                }

                continue;
            }

            waited += delay;
            try
            {
                var sleeping = clock.Delay(delay, cancellationToken);
                if (async)
                {
                    await sleeping.ConfigureAwait(false);
                }
                else
                {
                    sleeping.GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException) when (reserved)
            {
                // A read given up (Ctrl+C, a deadline) gives its token back: the bucket outlives the command.
                bucket.Return();
                throw;
            }
        }
    }

    /// <summary>What a response says about the limit: a 429 pauses the place; the remaining-reads header caps its tokens.</summary>
    public void Observe(Uri uri, int status, TimeSpan? retryAfter, string? remainingReads)
    {
        var bucket = BucketOf(uri);
        if (status == 429)
        {
            bucket.Throttled(retryAfter ?? DefaultPause);
        }

        if (remainingReads is not null && double.TryParse(remainingReads, NumberStyles.Float, CultureInfo.InvariantCulture, out var remaining) && remaining >= 0)
        {
            bucket.CapTokens(remaining);
        }
    }

    /// <summary>What the limiter of this URL's place has done so far in the session.</summary>
    public ThrottleReport ReportFor(Uri uri) => BucketOf(uri).Report(KeyOf(uri));

    /// <summary>A line per place, for -Debug and benchmarks.</summary>
    public string Report()
    {
        var text = new System.Text.StringBuilder();
        foreach (var pair in buckets)
        {
            text.AppendLine(pair.Value.Report(pair.Key).ToString());
        }

        return text.ToString();
    }

    /// <summary>
    /// The part of the limits the client uses: reads that leave at an even pace can still arrive bunched (a
    /// connection being set up delays the first ones), so it stays a little below what the service allows.
    /// </summary>
    private const double BurstShare = 0.95;

    private const double RateShare = 0.97;

    private Bucket BucketOf(Uri uri) => buckets.GetOrAdd(KeyOf(uri), _ => new Bucket(
        clock,
        Math.Max(1, Math.Floor((burst ?? Setting(BurstVariable, ArmBurst)) * BurstShare)),
        (rate ?? Setting(RateVariable, ArmReadsPerSecond)) * RateShare));

    /// <summary>What is wrong with the limits set in the environment, in words for a warning; null when nothing is.</summary>
    public static string? SettingsProblem()
    {
        foreach (var (name, fallback) in new[] { (BurstVariable, ArmBurst), (RateVariable, ArmReadsPerSecond) })
        {
            var text = Environment.GetEnvironmentVariable(name);
            if (!string.IsNullOrWhiteSpace(text) && !(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0))
            {
                return $"{name} is '{text}', which is not a number above 0, so the default, {fallback.ToString(CultureInfo.InvariantCulture)}, is used. Set it to a number such as {fallback.ToString(CultureInfo.InvariantCulture)}, or remove it.";
            }
        }

        return null;
    }

    /// <summary>A positive number from the environment (read when a place is first seen), or the default.</summary>
    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;

    /// <summary>One place's token bucket. Reading takes a token; without one, a read reserves the next and waits for it.</summary>
    private sealed class Bucket
    {
        private readonly object gate = new();
        private readonly TimeProvider clock;
        private readonly long started;
        private readonly double burst;
        private readonly double baseRate;
        private double rate;
        private double tokens;
        private TimeSpan refilledAt;
        private TimeSpan pausedUntil;
        private TimeSpan lastThrottle = TimeSpan.MinValue;
        private long reads;
        private long heldBack;
        private long throttles;
        private double secondsHeld;

        public Bucket(TimeProvider clock, double burst, double rate)
        {
            this.clock = clock;
            started = clock.GetTimestamp();
            this.burst = burst;
            baseRate = rate;
            this.rate = rate;
            tokens = burst;
        }

        /// <summary>The wait before a read: zero with a token at hand (reserved), otherwise until the reserved token or the pause's end.</summary>
        public TimeSpan Reserve(out bool reserved)
        {
            lock (gate)
            {
                var now = Refill();
                if (pausedUntil > now)
                {
                    reserved = false;
                    return Held(pausedUntil - now);
                }

                reads++;
                reserved = true;
                tokens -= 1;
                return tokens >= 0 ? TimeSpan.Zero : Held(TimeSpan.FromSeconds(-tokens / rate));
            }
        }

        /// <summary>What is left of a pause that began while a read waited for its token.</summary>
        public TimeSpan PauseLeft()
        {
            lock (gate)
            {
                var left = pausedUntil - clock.Since(started);
                return left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }
        }

        public void Throttled(TimeSpan retryAfter)
        {
            lock (gate)
            {
                var now = Refill();
                throttles++;
                lastThrottle = now;
                if (pausedUntil <= now)
                {
                    // Once per pause: the other 429s of the same burst say the same thing again.
                    rate = Math.Max(baseRate / 16, rate / 2);
                }

                pausedUntil = now + retryAfter > pausedUntil ? now + retryAfter : pausedUntil;
                tokens = Math.Min(tokens, 0);
            }
        }

        public void Return()
        {
            lock (gate)
            {
                reads--;
                tokens = Math.Min(burst, tokens + 1);
            }
        }

        public void CapTokens(double remaining)
        {
            lock (gate)
            {
                Refill();
                tokens = Math.Min(tokens, remaining);
            }
        }

        public ThrottleReport Report(string key)
        {
            lock (gate)
            {
                return new ThrottleReport(key, burst, baseRate, rate, reads, heldBack, throttles, TimeSpan.FromSeconds(secondsHeld));
            }
        }

        private TimeSpan Held(TimeSpan wait)
        {
            heldBack++;
            secondsHeld += wait.TotalSeconds;
            return wait;
        }

        /// <summary>Adds the tokens of the time since the last refill, and lets a lowered rate recover; returns now.</summary>
        private TimeSpan Refill()
        {
            var now = clock.Since(started);
            var seconds = (now - refilledAt).TotalSeconds;
            refilledAt = now;
            if (rate < baseRate && now - lastThrottle > TimeSpan.FromSeconds(1))
            {
                rate = Math.Min(baseRate, rate + (baseRate / 10 * seconds));
            }

            tokens = Math.Min(burst, tokens + (seconds * rate));
            return now;
        }
    }
}

/// <summary>What the limiter of one place has done: reads let through, reads held back and for how long, 429s seen.</summary>
internal sealed class ThrottleReport
{
    public ThrottleReport(string key, double burst, double baseRate, double rate, long reads, long heldBack, long throttles, TimeSpan held)
    {
        Key = key;
        Burst = burst;
        BaseRate = baseRate;
        Rate = rate;
        Reads = reads;
        HeldBack = heldBack;
        Throttles = throttles;
        Held = held;
    }

    public string Key { get; }

    public double Burst { get; }

    public double BaseRate { get; }

    public double Rate { get; }

    public long Reads { get; }

    public long HeldBack { get; }

    public long Throttles { get; }

    public TimeSpan Held { get; }

    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture,
        "{0}: {1} reads, {2} held back for {3:0.0} s in all, {4} answered 429; limit {5:0} reads, {6:0.#}/s (now {7:0.#}/s)",
        Key, Reads, HeldBack, Held.TotalSeconds, Throttles, Burst, BaseRate, Rate);
}
