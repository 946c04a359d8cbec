namespace OpStatus.Engine.Tests.Fakes;

/// <summary>
/// A run of many reads against a model of Resource Manager's bucket, in simulated time: a <see cref="ReadBudget"/>
/// decides when each read leaves; the server takes a token or answers 429 with Retry-After, and says what is left;
/// a 429 is retried as Azure.Core retries it (after the longer of its Retry-After and the exponential delay, at most
/// five tries). Deterministic, and a run of several simulated minutes takes milliseconds.
/// </summary>
internal sealed class BucketSimulation
{
    private readonly PriorityQueue<Action, (double Time, long Order)> events = new();
    private long order;

    /// <summary>The server's bucket.</summary>
    public required double Size { get; init; }

    public required double Refill { get; init; }

    /// <summary>Another client taking this many reads a second from the same bucket, from <see cref="CompetitorFrom"/> on.</summary>
    public double Competitor { get; init; }

    public double CompetitorFrom { get; init; }

    /// <summary>Reads in flight at most (Get's -ThrottleLimit).</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>One way, seconds; the answer comes back after twice this, plus up to as much again (a fixed pattern).</summary>
    public double Latency { get; init; } = 0.015;

    /// <summary>Whether answers carry the remaining-reads count.</summary>
    public bool SendsRemaining { get; init; } = true;

    /// <summary>The budget's starting limits (Resource Manager's published ones unless set).</summary>
    public double StartBurst { get; init; } = 250;

    public double StartRate { get; init; } = 25;

    public double Now { get; private set; }

    public int Throttled { get; private set; }

    public int Errors { get; private set; }

    public int Sent { get; private set; }

    /// <summary>The first read the server takes at or after this time is answered 429 with Retry-After: 2 (an outage of its own).</summary>
    public double? OutageAt { get; init; }

    /// <summary>When the outage's 429 reached the client.</summary>
    public double OutageAnswered { get; private set; }

    /// <summary>When each try left.</summary>
    public List<double> SentAt { get; } = new();

    /// <summary>Reads the server let through, with the time of each.</summary>
    public List<double> Admitted { get; } = new();

    public ReadBudget Budget { get; private set; } = null!;

    private double tokens;
    private double refilledAt;
    private bool outageDone;

    /// <summary>Runs <paramref name="reads"/> reads to their end; returns the time the last one ended.</summary>
    public double Run(int reads, double startAt = 0, double? serverTokens = null)
    {
        Budget ??= new ReadBudget(Math.Floor(StartBurst * 0.95), StartRate * 0.97, StartBurst, probeFirst: true);
        if (refilledAt == 0 && Admitted.Count == 0)
        {
            tokens = serverTokens ?? Size;
            refilledAt = startAt;
        }

        Now = startAt;
        var left = reads;
        var done = 0;
        var ended = startAt;
        void Next()
        {
            if (left == 0)
            {
                return;
            }

            left--;
            Read(1, () =>
            {
                done++;
                ended = Now;
                Next();
            });
        }

        for (var i = 0; i < Math.Min(Concurrency, reads); i++)
        {
            Next();
        }

        while (events.TryDequeue(out var action, out var when))
        {
            Now = when.Time;
            action();
        }

        Assert.Equal(reads, done);
        return ended;
    }

    /// <summary>One try of a read, then its retries.</summary>
    private void Read(int attempt, Action ended)
    {
        var ticket = Budget.Reserve(TimeSpan.FromSeconds(Now));
        void Ask()
        {
            var due = Budget.Due(ticket, TimeSpan.FromSeconds(Now));
            if (due > TimeSpan.Zero)
            {
                // A queued read naps at most half a second (ReadThrottle), and a read waiting for the first answer wakes with it.
                var nap = Math.Min(due.TotalSeconds, Budget.WaitsForProbe(ticket, TimeSpan.FromSeconds(Now)) ? 0.01 : 0.5);
                At(Now + nap, Ask);
                return;
            }

            Sent++;
            SentAt.Add(Now);
            At(Now + Latency, () => Serve(ticket, attempt, ended));
        }

        Ask();
    }

    private void Serve(long ticket, int attempt, Action ended)
    {
        TopUp();
        int status;
        double? retryAfter = null;
        if (OutageAt is { } outage && Now >= outage && !outageDone)
        {
            outageDone = true;
            status = 429;
            retryAfter = 2;
        }
        else if (tokens >= 1)
        {
            tokens -= 1;
            status = 200;
            Admitted.Add(Now);
        }
        else
        {
            status = 429;
            retryAfter = Math.Max(1, Math.Ceiling((1 - tokens) / Refill));
        }

        int? remaining = SendsRemaining ? (status == 429 ? 0 : (int)Math.Floor(tokens)) : null;
        var back = Latency * (1 + ((Sent * 7919 % 100) / 100.0));
        var isOutage = retryAfter == 2 && OutageAt is not null && OutageAnswered == 0;
        At(Now + back, () =>
        {
            if (isOutage)
            {
                OutageAnswered = Now;
            }

            Budget.Answered(ticket, TimeSpan.FromSeconds(Now), status, retryAfter is { } r ? TimeSpan.FromSeconds(r) : null, remaining);
            if (status == 200)
            {
                ended();
                return;
            }

            Throttled++;
            if (attempt == 5)
            {
                Errors++;
                ended();
                return;
            }

            var exponential = 0.8 * Math.Pow(2, attempt - 1);
            At(Now + Math.Max(retryAfter ?? 0, exponential), () => Read(attempt + 1, ended));
        });
    }

    /// <summary>The bucket's refill since it was last looked at, less what the other client took.</summary>
    private void TopUp()
    {
        var seconds = Now - refilledAt;
        refilledAt = Now;
        var competing = Now >= CompetitorFrom ? Competitor : 0;
        tokens = Math.Min(Size, Math.Max(0, tokens + (seconds * (Refill - competing))));
    }

    private void At(double time, Action action) => events.Enqueue(action, (time, order++));
}
