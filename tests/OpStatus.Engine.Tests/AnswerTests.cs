namespace OpStatus.Engine.Tests;

/// <summary>
/// Answers that are too big, too slow, or that ask to wait a day: each ends its read cleanly, in bounded memory and
/// time. Alone (not beside other test classes), so that the bytes it allocates are its own.
/// </summary>
[Collection(AnswerCollection.Name)]
public sealed class AnswerTests
{
    private const long TwoHundredMegabytes = 200L * 1024 * 1024;

    private static string Status(string status = "Running") => "{\"status\":\"" + status + "\",\"name\":\"op\"}";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_answer_of_200_MB_ends_its_read_with_InvalidResponse_without_reading_it(bool declaredLength)
    {
        var engine = new TestEngine(maxRetries: 2);
        engine.Service.Script("big", new Answer { Content = () => new StreamedContent(Status(), TwoHundredMegabytes, declaredLength) });

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var failure = engine.Fail("big");
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(FailureKind.InvalidResponse, failure.Kind);
        Assert.Contains("the 4,194,304 bytes an operation status may have (OPSTATUS_MAX_RESPONSE_BYTES)", failure.Message, StringComparison.Ordinal);
        Assert.Contains(declaredLength ? "the answer is 209,715,200 bytes long" : "the answer is longer than the 4,194,304 bytes", failure.Message, StringComparison.Ordinal);
        // Not retried: a bigger answer will not shrink.
        Assert.Single(engine.Service.RequestsFor("big"));
        Assert.True(allocated < 32L * 1024 * 1024, $"{allocated:N0} bytes were allocated to refuse a 200 MB answer");
    }

    [Fact]
    public void A_big_status_under_the_limit_is_read_whole()
    {
        var engine = new TestEngine();
        var blob = new string('x', 3 * 1024 * 1024);
        engine.Service.Script("op", new Answer { Body = "{\"status\":\"Running\",\"properties\":{\"blob\":\"" + blob + "\"}}" });

        Assert.Equal(blob.Length, ((string)engine.Read("op").Properties!["blob"]!).Length);
    }

    [Fact]
    public void The_limit_is_a_setting()
    {
        var engine = new TestEngine();
        engine.Pipelines.Settings.MaxAnswerBytes = 1024;
        engine.Service.Script("op", new Answer { Body = Status() + new string(' ', 2000) });

        Assert.Contains("the answer is 2,032 bytes long, more than the 1,024 bytes", engine.Fail("op").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_that_trickles_is_a_try_that_timed_out_and_is_retried_like_one()
    {
        var engine = new TestEngine(maxRetries: 2);
        engine.Pipelines.Settings.NetworkTimeout = TimeSpan.FromMilliseconds(300);
        engine.Service.Script("slow", new Answer { Content = () => new StreamedContent(Status(), 0, perByte: TimeSpan.FromMilliseconds(100)) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failure = engine.Fail("slow");

        Assert.Equal(FailureKind.Timeout, failure.Kind);
        Assert.Equal(3, engine.Service.RequestsFor("slow").Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"three tries of 0.3 s took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("Retry-After", "86400")]
    [InlineData("Retry-After", "date")]
    [InlineData("retry-after-ms", "3600000")]
    public void A_Retry_After_of_more_than_a_minute_ends_the_read_at_once_and_says_when_to_try_again(string header, string value)
    {
        var engine = new TestEngine(maxRetries: 4);
        var asked = value == "date" ? DateTimeOffset.UtcNow.AddDays(1).ToString("R") : value;
        engine.Service.Script("busy", new Answer { Status = 429, Body = "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"Slow down.\"}}", Headers = new() { [header] = asked } });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failure = engine.Fail("busy");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the read took {clock.Elapsed}");
        Assert.Single(engine.Service.RequestsFor("busy"));
        Assert.Equal((429, true), (failure.StatusCode, failure.IsTransient));
        Assert.InRange(failure.RetryAfter!.Value.TotalMinutes, 59, 24 * 60 + 1);
        Assert.Contains("before the next request (Retry-After), longer than a read waits: try again after", failure.Message, StringComparison.Ordinal);
        Assert.Contains("local time", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Retry_After_of_a_day_holds_the_reads_of_its_subscription_for_a_minute_only()
    {
        var clock = new ManualClock();
        var throttle = new ReadThrottle(clock, burst: 100, rate: 100);
        var engine = new TestEngine(maxRetries: 0, throttle: throttle);
        engine.Service.Script("busy", new Answer { Status = 429, Headers = new() { ["Retry-After"] = "86400" } });
        engine.Fail("busy");

        var next = throttle.AcquireAsync(engine.Cache("other").Uri, FixedCredential.Principal, true, default).AsTask();
        clock.WaitForTimers(1);
        while (!next.IsCompleted)
        {
            if (clock.PendingTimers > 0)
            {
                clock.AdvanceToNextTimer();
            }

            await Task.Delay(1);
        }

        // The pause, then the pace's first read (the pause refilled nothing).
        Assert.InRange((await next).Waited.TotalSeconds, 60, 60.1);
    }

    [Theory]
    [InlineData("{\"status\":42}", "its 'status' field is a number, not a string")]
    [InlineData("{\"status\":{\"code\":\"Running\"}}", "its 'status' field is an object, not a string")]
    [InlineData("{\"status\":null}", "its 'status' field is null")]
    [InlineData("{\"status\":\"\"}", "its 'status' field is empty")]
    [InlineData("deep", "the body is nested deeper than 64 levels")]
    [InlineData("{\"status\":", "the body is not valid JSON")]
    public void A_body_that_is_no_status_is_named_for_what_it_is(string body, string reason)
    {
        var engine = new TestEngine();
        var text = body == "deep" ? "{\"status\":\"Running\",\"x\":" + new string('[', 100) + new string(']', 100) + "}" : body;
        engine.Service.Script("odd", new Answer { Body = text });

        var failure = engine.Fail("odd");

        Assert.Equal(FailureKind.InvalidResponse, failure.Kind);
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_redirect_is_never_followed_and_says_so()
    {
        var engine = new TestEngine();
        engine.Service.Script("moved", new Answer { Status = 302, Body = "<html>sign in</html>", Headers = new() { ["Location"] = "https://login.example/signin" } });

        var failure = engine.Fail("moved");

        Assert.Equal(302, failure.StatusCode);
        Assert.Contains("never follows", failure.Message, StringComparison.Ordinal);
        Assert.Equal(FailureCategory.InvalidResult, FailureClassifier.ErrorOf(failure).Category);
        Assert.Single(engine.Service.Requests);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AnswerCollection
{
    public const string Name = "Answers";
}
