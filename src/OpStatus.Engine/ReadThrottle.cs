using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>
/// One client-side limit on reads for the whole session, shared by every OpStatus command (Get and Wait alike),
/// kept per place where Resource Manager counts reads: a subscription and the principal reading it (two
/// credentials are two budgets, as in ARM), or a Dev Center endpoint. Each place is a <see cref="ReadBudget"/>:
/// it starts from Resource Manager's published bucket (250 reads, refilled at 25 a second) or from
/// OPSTATUS_READ_BURST and OPSTATUS_READS_PER_SECOND, then learns what is really left from the answers.
/// </summary>
internal sealed class ReadThrottle
{
    /// <summary>ARM's published read limits per subscription and principal: a bucket of 250 requests, refilled at 25 a second.</summary>
    public const double ArmBurst = 250;

    public const double ArmReadsPerSecond = 25;

    public const string BurstVariable = "OPSTATUS_READ_BURST";

    public const string RateVariable = "OPSTATUS_READS_PER_SECOND";

    /// <summary>The header in which Resource Manager says how many reads the place has left.</summary>
    public const string RemainingReadsHeader = "x-ms-ratelimit-remaining-subscription-reads";

    /// <summary>
    /// The part of the starting limits used: reads that leave at an even pace can still arrive bunched (a connection
    /// being set up delays the first ones), so the client stays a little below what the service publishes.
    /// </summary>
    private const double BurstShare = 0.95;

    private const double RateShare = 0.97;

    /// <summary>The longest a queued read sleeps before it looks again: a count heard meanwhile may let it go sooner.</summary>
    private static readonly TimeSpan LongestNap = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, Place> places = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider clock;
    private readonly long started;
    private readonly double? burst;
    private readonly double? rate;
    private readonly bool probeFirst;

    /// <param name="clock">The clock of its budgets and waits; the system's unless a test gives its own.</param>
    /// <param name="burst">The starting bucket, instead of OPSTATUS_READ_BURST or Resource Manager's.</param>
    /// <param name="rate">Its starting refill a second, instead of OPSTATUS_READS_PER_SECOND or Resource Manager's.</param>
    /// <param name="probeFirst">Whether the first read of a place goes alone, so that its answer tells what is left.</param>
    public ReadThrottle(TimeProvider? clock = null, double? burst = null, double? rate = null, bool probeFirst = true)
    {
        this.clock = clock ?? TimeProvider.System;
        started = this.clock.GetTimestamp();
        this.burst = burst;
        this.rate = rate;
        this.probeFirst = probeFirst;
    }

    /// <summary>The session's limiter.</summary>
    public static ReadThrottle Session { get; } = new();

    /// <summary>
    /// Where a read of this URL is counted: scheme, host and port; and, when the path starts with
    /// /subscriptions/{id}, that subscription and the principal (Resource Manager's buckets are per both).
    /// </summary>
    public static string KeyOf(Uri uri, string? principal)
    {
        var key = uri.GetLeftPart(UriPartial.Authority);
        return SubscriptionOf(uri) is { } subscription
            ? key + "/subscriptions/" + subscription + (principal is null ? string.Empty : " as " + principal)
            : key;
    }

    /// <summary>The subscription id (lower case) of a path that starts with /subscriptions/{id}; null otherwise.</summary>
    private static string? SubscriptionOf(Uri uri)
    {
        var segments = uri.AbsolutePath.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && segments[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase) ? segments[1].ToLowerInvariant() : null;
    }

    /// <summary>
    /// The principal a bearer token was issued to (its tenant and object id, else its application id), read from the
    /// token's claims without checking them: only to tell budgets apart. Null when it is not a JWT.
    /// </summary>
    public static string? PrincipalOf(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = authorization.Substring(Scheme.Length).Trim().Split('.');
        if (parts.Length != 3 || parts[1].Length == 0 || parts[1].Length > 16384)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var claims = JsonDocument.Parse(Convert.FromBase64String(payload));
            if (claims.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? Claim(string name) => claims.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var who = Claim("oid") ?? Claim("appid") ?? Claim("azp") ?? Claim("sub");
            if (who is null)
            {
                return null;
            }

            return Claim("tid") is { } tenant ? tenant + "/" + who : who;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Waits until the place of this URL, read by this principal, may be read; the ticket takes the answer.</summary>
    public async ValueTask<ReadTicket> AcquireAsync(Uri uri, string? principal, bool async, CancellationToken cancellationToken)
    {
        var place = PlaceOf(uri, principal);
        var budget = place.Budget;
        var reserved = clock.GetTimestamp();
        var ticket = budget.Reserve(Now);
        var slept = false;
        try
        {
            while (true)
            {
                var now = Now;
                var due = budget.Due(ticket, now);
                if (due <= TimeSpan.Zero)
                {
                    break;
                }

                slept = true;

                var probing = budget.WaitsForProbe(ticket, now);
                using var nap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var sleeping = clock.Delay(due < LongestNap ? due : LongestNap, nap.Token);
                var waking = probing ? Task.WhenAny(sleeping, place.Probed) : sleeping;
                try
                {
                    if (async)
                    {
                        await waking.ConfigureAwait(false);
                    }
                    else
                    {
                        waking.GetAwaiter().GetResult();
                    }
                }
                finally
                {
                    nap.Cancel();
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        catch
        {
            // A read given up (Ctrl+C, a deadline, anything else) gives its place back: the budget outlives the command.
            budget.Cancel(ticket);
            throw;
        }

        // Only a read that slept was held back: the bookkeeping of one that went at once is no wait.
        var waited = slept ? clock.Since(reserved) : TimeSpan.Zero;
        if (waited > TimeSpan.Zero)
        {
            budget.Held(waited);
        }

        return new ReadTicket(this, place, ticket, waited);
    }

    /// <summary>What the budget of this URL's place, read by this principal, knows and did so far in the session.</summary>
    public ReadBudgetReport ReportFor(Uri uri, string? principal = null) => PlaceOf(uri, principal).Budget.Report();

    /// <summary>A line per place, for -Debug and benchmarks.</summary>
    public string Report()
    {
        var text = new StringBuilder();
        foreach (var place in places.Values)
        {
            var report = place.Budget.Report();
            text.AppendLine(string.Format(
                CultureInfo.InvariantCulture,
                "{0}: {1} reads, {2} held back for {3:0.0} s in all, {4} answered 429; {5}",
                place.Key, report.Reads, report.HeldBack, report.Held.TotalSeconds, report.Throttles, report.Describe()));
        }

        return text.ToString();
    }

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

    /// <summary>Time since the limiter started: the clock its budgets count on.</summary>
    internal TimeSpan Now => clock.Since(started);

    private Place PlaceOf(Uri uri, string? principal) => places.GetOrAdd(KeyOf(uri, principal), key =>
    {
        var startBurst = burst ?? Setting(BurstVariable, ArmBurst);
        return new Place(key, Describe(uri, principal), new ReadBudget(
            Math.Max(1, Math.Floor(startBurst * BurstShare)),
            (rate ?? Setting(RateVariable, ArmReadsPerSecond)) * RateShare,
            startBurst,
            probeFirst));
    });

    /// <summary>"subscription {id} at {endpoint}, principal {object id}", or the endpoint alone.</summary>
    private static string Describe(Uri uri, string? principal)
    {
        var endpoint = uri.GetLeftPart(UriPartial.Authority);
        if (SubscriptionOf(uri) is { } subscription)
        {
            var who = principal is null ? string.Empty : ", principal " + principal.Substring(principal.LastIndexOf('/') + 1);
            return $"subscription {subscription} at {endpoint}{who}";
        }

        return endpoint;
    }

    /// <summary>A positive number from the environment (read when a place is first seen), or the default.</summary>
    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;

    /// <summary>One place: its key, its words for messages, its budget, and a signal for the first answer.</summary>
    internal sealed class Place
    {
        private readonly TaskCompletionSource<bool> probed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Place(string key, string description, ReadBudget budget)
        {
            Key = key;
            Description = description;
            Budget = budget;
        }

        public string Key { get; }

        public string Description { get; }

        public ReadBudget Budget { get; }

        public Task Probed => probed.Task;

        public void Answered() => probed.TrySetResult(true);
    }
}

/// <summary>One read let through by the limit: it gives the limit the answer (or says there was none).</summary>
internal sealed class ReadTicket
{
    private readonly ReadThrottle throttle;
    private readonly ReadThrottle.Place place;
    private readonly long number;

    public ReadTicket(ReadThrottle throttle, ReadThrottle.Place place, long number, TimeSpan waited)
    {
        this.throttle = throttle;
        this.place = place;
        this.number = number;
        Waited = waited;
    }

    /// <summary>How long the read was held back.</summary>
    public TimeSpan Waited { get; }

    /// <summary>The place in words: "subscription {id} at {endpoint}, principal {object id}".</summary>
    public string Place => place.Description;

    /// <summary>Tells the limit what the answer said; true when it learned a rate worth telling under -Verbose.</summary>
    public bool Answered(int status, TimeSpan? retryAfter, string? remainingReads)
    {
        int? remaining = int.TryParse(remainingReads, NumberStyles.Integer, CultureInfo.InvariantCulture, out var left) && left >= 0 ? left : null;
        var learned = place.Budget.Answered(number, throttle.Now, status, retryAfter, remaining);
        place.Answered();
        return learned;
    }

    /// <summary>The read got no answer (a network fault, a timeout, Ctrl+C while it was out).</summary>
    public void Failed()
    {
        place.Budget.Failed(number);
        place.Answered();
    }

    public ReadBudgetReport Report() => place.Budget.Report();
}
