using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// The session's read limit against the emulator's model of Resource Manager's throttling (a token bucket per
/// subscription and principal, 429 with Retry-After when it is empty, the remaining reads on every answer). The
/// buckets are small and fast so that each test takes seconds; the bounds are generous (the benchmark has the real
/// figures, bench/README.md section 8). They run alone.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class ReadThrottleTests : TestBase, IDisposable
{
    private const int Burst = 50;
    private const int PerSecond = 100;

    public ReadThrottleTests(EmulatorFixture fixture)
        : base(fixture)
    {
        Emulator.Throttle(Burst, PerSecond);
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        Emulator.StopThrottling();
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", null);
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", null);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_thousand_piped_reads_stay_within_the_bucket_and_all_succeed()
    {
        var subscription = NewSubscription();
        var ids = Scripted(1000, "Succeeded");

        using var session = NewSession();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus", Url, subscription, ids);

        AssertNoErrors(result);
        Assert.Equal(ids, result.Output.Select(o => (string)Prop(o, "OperationId")!).ToArray());
        AssertWithinBucket(subscription, expected: 1000);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Three_hundred_operations_waited_on_stay_within_the_bucket_and_all_end()
    {
        var subscription = NewSubscription();
        var ends = DateTimeOffset.UtcNow.AddSeconds(1.5);
        var ids = Enumerable.Range(0, 300).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.ScriptUntil(id, ends);
        }

        var urls = ids.Select(id => $"{Url}subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01").ToArray();
        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[1] -ResourceManagerEndpoint $args[0] -PollingInterval 1 -Timeout 60", Url, urls);

        AssertNoErrors(result);
        Assert.Equal(300, result.Output.Count);
        Assert.All(result.Output, o => Assert.Equal("Succeeded", Prop(o, "Status")));
        AssertWithinBucket(subscription, expected: null);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Commands_of_one_session_share_the_limit_whatever_their_credential()
    {
        // 50 reads a second: the first command empties the bucket, and the second must wait a second for it.
        Emulator.Throttle(Burst, 50);
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", "50");
        var subscription = NewSubscription();
        var first = Scripted(Burst, "Succeeded");
        var second = Scripted(Burst, "Succeeded");

        using var session = NewSession();
        var result = session.Run(
            """
            $a = $args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -AccessToken $args[4]
            $b = $args[3] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus
            $a.Count + $b.Count
            """,
            Url,
            subscription,
            first,
            second,
            Emulator.IssueToken(Emulator.ResourceManagerAudience));

        AssertNoErrors(result);
        Assert.Equal(2 * Burst, (int)result.Output.Single().BaseObject);
        // The second command, on a pipeline of its own, waited for the bucket the first one emptied to refill:
        // the two together never went faster than the bucket allows.
        AssertWithinBucket(subscription, expected: 2 * Burst, perSecond: 50);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_429_holds_every_read_of_its_subscription_until_its_Retry_After()
    {
        var subscription = NewSubscription();
        // More reads than OpStatus's burst (47), so that some are still waiting for a token when the 429s come.
        var ids = Scripted(60, "Succeeded");
        // Another client emptied the bucket: the emulator answers 429, Retry-After 1, until it refills.
        Emulator.Throttle(1, 1);

        using var session = NewSession();
        var (shell, pending) = session.Start("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -Verbose", Url, subscription, ids);
        int written;
        string[] verbose;
        using (shell)
        {
            var waiting = System.Diagnostics.Stopwatch.StartNew();
            while (!RequestsFor(subscription).Any(r => r.Throttled) && waiting.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }

            // The other client is gone: the bucket is full again.
            Emulator.Throttle(Burst, PerSecond);
            written = shell.EndInvoke(pending).Count;
            Assert.False(shell.HadErrors, string.Join(" | ", shell.Streams.Error.Select(e => e.ToString())));
            verbose = shell.Streams.Verbose.Select(v => v.Message).ToArray();
        }

        Assert.Equal(ids.Length, written);
        var requests = RequestsFor(subscription);
        var throttled = requests.Where(r => r.Throttled).ToArray();
        Assert.NotEmpty(throttled);
        // Once a 429 was seen, nothing else was sent to that subscription before its Retry-After (1 s) passed.
        var firstThrottled = throttled.Min(r => r.Time);
        var sentDuringPause = requests.Count(r => r.Time > firstThrottled.AddMilliseconds(50) && r.Time < firstThrottled.AddMilliseconds(900));
        Assert.True(sentDuringPause <= 1, $"{sentDuringPause} reads were sent during the pause");
        // After it, the reads held back resume at a pace, not all at once.
        var resumed = requests.Where(r => r.Time >= firstThrottled.AddMilliseconds(900)).OrderBy(r => r.Time).ToArray();
        Assert.NotEmpty(resumed);
        var atOnce = resumed.Count(r => r.Time < resumed[0].Time.AddMilliseconds(100));
        Assert.True(atOnce <= 10, $"{atOnce} of the {resumed.Length} reads held back left in the first 100 ms after the pause");
        Assert.Contains(verbose, v => v.StartsWith("Held back ", StringComparison.Ordinal) && v.Contains("read limit", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Reads_given_up_with_Ctrl_C_give_their_place_in_the_bucket_back()
    {
        // A bucket of 5, one read a second: 30 piped reads queue up for half a minute.
        Emulator.Throttle(5, 1);
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", "5");
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", "1");
        var subscription = NewSubscription();
        var queued = Scripted(30, "Succeeded");
        var next = Scripted(1, "Succeeded")[0];

        using var session = NewSession();
        var (shell, pending) = session.Start("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus", Url, subscription, queued);
        using (shell)
        {
            WaitForRequests(subscription, 4);
            shell.Stop();
            Assert.Throws<System.Management.Automation.PipelineStoppedException>(() => shell.EndInvoke(pending));
        }

        // The next command of the session waits for one token, not for the 26 the stopped reads had taken.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AssertNoErrors(Cache(session, subscription, next));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the next read waited {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_bucket_smaller_than_assumed_is_found_from_the_remaining_reads_counts()
    {
        // A tenth of Resource Manager's published bucket, with the published limits as the starting point.
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", null);
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", null);
        Emulator.Throttle(20, 10);
        var subscription = NewSubscription();
        var ids = Scripted(100, "Succeeded");

        using var session = NewSession();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -Verbose", Url, subscription, ids);
        clock.Stop();

        AssertNoErrors(result);
        Assert.Equal(ids, result.Output.Select(o => (string)Prop(o, "OperationId")!).ToArray());
        var requests = RequestsFor(subscription);
        var throttled = requests.Count(r => r.Throttled);
        Assert.True(throttled <= requests.Count / 10, $"{throttled} of {requests.Count} reads were answered 429");
        // (100 - 20) / 10 = 8 s at the least; twice that is a generous bound.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(16), $"100 reads took {clock.Elapsed.TotalSeconds:0.0} s");
        var learned = result.Verbose.Last(v => v.StartsWith("Read limit for subscription " + subscription, StringComparison.Ordinal));
        var rate = double.Parse(System.Text.RegularExpressions.Regex.Match(learned, @"about ([0-9.]+) reads a second, [0-9]+ left").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rate, 7, 13);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Two_principals_in_one_session_are_two_budgets()
    {
        // Each principal has a bucket of 20 refilled at 2 a second: the first empties its own, not the second's.
        Emulator.Throttle(20, 2);
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", "20");
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", "2");
        var subscription = NewSubscription();
        var first = Scripted(20, "Succeeded");
        var second = Scripted(20, "Succeeded");
        var alice = Emulator.IssueToken(Emulator.ResourceManagerAudience, principal: "a11ce000-0000-0000-0000-000000000001");
        var bob = Emulator.IssueToken(Emulator.ResourceManagerAudience, principal: "b0b00000-0000-0000-0000-000000000002");

        using var session = NewSession();
        var result = session.Run(
            """
            $null = $args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -AccessToken $args[4]
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $b = $args[3] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -AccessToken $args[5]
            $b.Count
            $clock.Elapsed.TotalSeconds
            """,
            Url,
            subscription,
            first,
            second,
            alice,
            bob);

        AssertNoErrors(result);
        Assert.Equal(20, (int)result.Output[0].BaseObject);
        // Keyed by subscription alone, the second 20 would wait for the first principal's bucket: 10 s at 2 a second.
        Assert.True((double)result.Output[1].BaseObject < 3, $"the second principal's reads took {result.Output[1]} s");
        var requests = RequestsFor(subscription);
        Assert.Equal(0, requests.Count(r => r.Throttled));
        Assert.Equal(new[] { "a11ce000-0000-0000-0000-000000000001", "b0b00000-0000-0000-0000-000000000002" }, requests.Select(r => r.Principal).Distinct().Order().ToArray());
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Another_client_s_share_of_the_bucket_is_left_to_it()
    {
        // 20 reads, refilled at 10 a second, of which another client takes 5.
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", null);
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", null);
        Emulator.Throttle(20, 10, competitorPerSecond: 5);
        var subscription = NewSubscription();
        var ids = Scripted(60, "Succeeded");

        using var session = NewSession();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus", Url, subscription, ids);
        clock.Stop();

        AssertNoErrors(result);
        Assert.Equal(60, result.Output.Count);
        var requests = RequestsFor(subscription);
        var throttled = requests.Count(r => r.Throttled);
        Assert.True(throttled <= requests.Count / 10, $"{throttled} of {requests.Count} reads were answered 429");
        // (60 - 20) / 5 = 8 s at the least.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"60 reads took {clock.Elapsed.TotalSeconds:0.0} s");
        var bucket = Emulator.ThrottleStatistics.Single(b => b.Subscription == subscription);
        Assert.True(bucket.CompetitorDenied <= bucket.CompetitorTaken / 10, $"the other client was refused {bucket.CompetitorDenied:0} of {bucket.CompetitorTaken + bucket.CompetitorDenied:0} reads");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Get_piped_into_Wait_shares_one_budget_and_every_operation_ends()
    {
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", null);
        Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", null);
        Emulator.Throttle(20, 10);
        var subscription = NewSubscription();
        var ends = DateTimeOffset.UtcNow.AddSeconds(3);
        var ids = Enumerable.Range(0, 60).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.ScriptUntil(id, ends);
        }

        using var session = NewSession();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Wait-OperationStatus -PollingInterval 1 -Timeout 60", Url, subscription, ids);

        AssertNoErrors(result);
        Assert.Equal(60, result.Output.Count);
        Assert.All(result.Output, o => Assert.Equal("Succeeded", Prop(o, "Status")));
        var requests = RequestsFor(subscription);
        var throttled = requests.Count(r => r.Throttled);
        Assert.True(throttled <= requests.Count / 10, $"{throttled} of {requests.Count} reads were answered 429");
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void A_limit_that_is_not_a_number_gets_a_warning_and_the_default()
    {
        Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", "abc");
        var id = Scripted(1, "Succeeded")[0];

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        Assert.Single(result.Output);
        Assert.Contains(result.Warning, w => w.StartsWith("OPSTATUS_READ_BURST is 'abc', which is not a number above 0, so the default, 250, is used.", StringComparison.Ordinal));
    }

    private string[] Scripted(int count, string status)
    {
        var ids = Enumerable.Range(0, count).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody(status, id)));
        }

        return ids;
    }

    /// <summary>Few 429s, and never more reads let through than the bucket held plus what it refilled meanwhile.</summary>
    private void AssertWithinBucket(string subscription, int? expected, double perSecond = PerSecond)
    {
        var requests = RequestsFor(subscription).OrderBy(r => r.Time).ToArray();
        var admitted = requests.Where(r => !r.Throttled).ToArray();
        if (expected is { } count)
        {
            Assert.Equal(count, admitted.Length);
        }

        var throttled = requests.Length - admitted.Length;
        Assert.True(throttled <= admitted.Length / 20, $"{throttled} of {requests.Length} reads were answered 429");
        var start = requests[0].Time;
        for (var i = 0; i < admitted.Length; i++)
        {
            var allowed = Burst + ((admitted[i].Time - start).TotalSeconds * perSecond) + 1;
            Assert.True(i + 1 <= allowed, $"read {i + 1} at {(admitted[i].Time - start).TotalMilliseconds:0} ms exceeds the bucket ({allowed:0})");
        }
    }
}
