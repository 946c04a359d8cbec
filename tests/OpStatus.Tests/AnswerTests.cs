using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// Answers that are too big, too slow, that ask to wait a day, or that are not what they claim: each ends its item
/// cleanly, in bounded time, and the other items go on.
/// </summary>
public sealed class AnswerTests : TestBase, IClassFixture<EmulatorFixture>
{
    private const long TwoHundredMegabytes = 200L * 1024 * 1024;

    public AnswerTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    /// <summary>Reads the odd answer, then a good one of another subscription: the odd one's error, then the good status.</summary>
    private (ScriptResult Result, string Odd, string Good) ReadOddThenGood(params Step[] odd)
    {
        var oddId = NewId();
        var goodId = NewId();
        Emulator.Script(oddId, odd);
        Emulator.Script(goodId, Ok(StatusBody("Succeeded", goodId)));

        using var session = NewSession();
        var result = session.Run(
            "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2]; "
            + "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[3] -Location westus -OperationId $args[4]",
            Url, NewSubscription(), oddId, NewSubscription(), goodId);
        Assert.Null(result.Terminating);
        Assert.Equal(goodId, Prop(Assert.Single(result.Output), "Name"));
        return (result, oddId, goodId);
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("content-length", "the answer is 209,715,2")]
    [InlineData("chunked", "the answer is longer than the 4,194,304 bytes")]
    [InlineData("one huge field", "the answer is 5,242,9")]
    public void An_answer_too_big_for_a_status_ends_its_item_with_InvalidResponse_unread(string shape, string says)
    {
        var step = shape == "one huge field"
            ? Ok(StatusBody("Running", "x", ("properties", new JsonObject { ["blob"] = new string('x', 5 * 1024 * 1024) })))
            : Ok(StatusBody("Running", "x")) with { PadBytes = TwoHundredMegabytes, Chunked = shape == "chunked" };
        var clock = Stopwatch.StartNew();

        var (result, odd, _) = ReadOddThenGood(step);

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidResponse,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        Assert.Contains(says, error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("OPSTATUS_MAX_RESPONSE_BYTES", error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(RequestsFor(odd));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"refusing the answer took {clock.Elapsed}");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void An_answer_that_trickles_a_byte_at_a_time_is_cut_at_the_network_timeout_of_each_try()
    {
        // The suite's network timeout is 1.5 s; this body would take 20 s.
        var clock = Stopwatch.StartNew();
        var (result, odd, _) = ReadOddThenGood(Ok(StatusBody("Running", "x")) with { Fault = "trickle", TrickleMs = 400 });

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandTimeout,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Equal(5, RequestsFor(odd).Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"five tries of 1.5 s took {clock.Elapsed}");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_connection_closed_after_the_headers_is_retried()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)) with { Fault = "close-after-headers" }, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Equal(2, RequestsFor(id).Count);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void An_answer_that_says_gzip_but_is_not_ends_its_item_with_an_error_that_names_the_encoding()
    {
        var (result, odd, _) = ReadOddThenGood(Ok(StatusBody("Running", "x")) with { Fault = "gzip" });

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidResponse,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("it is encoded (gzip), though OpStatus did not ask for it", error.Exception.Message, StringComparison.Ordinal);
        Assert.NotEmpty(RequestsFor(odd));
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData(429, "Retry-After", "86400")]
    [InlineData(429, "Retry-After", "date")]
    [InlineData(503, "Retry-After", "7200")]
    public void A_Retry_After_of_hours_ends_the_item_at_once_with_when_to_try_again(int status, string header, string value)
    {
        var asked = value == "date" ? DateTimeOffset.UtcNow.AddDays(1).ToString("R") : value;
        var clock = Stopwatch.StartNew();
        var (result, odd, _) = ReadOddThenGood(new Step { Status = status, Body = ErrorBody("Busy", "Come back later."), Headers = new() { [header] = asked } });

        var error = Assert.Single(result.Errors);
        Assert.StartsWith($"GetCacheOperationStatusCommandHttp{status}", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("try again after", error.Exception.Message, StringComparison.Ordinal);
        var retryAfter = (TimeSpan)error.Exception.GetType().GetProperty("RetryAfter")!.GetValue(error.Exception)!;
        Assert.True(retryAfter >= TimeSpan.FromHours(1), $"RetryAfter {retryAfter}");
        Assert.Single(RequestsFor(odd));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the reads took {clock.Elapsed}");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Wait_s_timeout_error_names_the_throttling_of_its_last_poll_and_the_wait_asked_for()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)) with { Headers = new() { ["retry-after-ms"] = "100" } }, new Step { Status = 429, Body = ErrorBody("TooManyRequests", "Slow down."), Headers = new() { ["Retry-After"] = "120" } });

        // A subscription of its own: the 429 holds the reads of its subscription for a minute, as Resource Manager counts them.
        var url = $"{Url}subscriptions/{NewSubscription()}/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";
        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1] -Timeout 2", url, Url);

        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("its last status was Running", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("The last poll failed: The Cache service answered 429", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("00:02:00", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("{\"status\":42}", "its 'status' field is a number, not a string")]
    [InlineData("{\"status\":{\"code\":\"Running\"}}", "its 'status' field is an object, not a string")]
    [InlineData("deep", "nested deeper than 64 levels")]
    public void A_body_that_is_no_status_is_named_for_what_it_is(string body, string says)
    {
        var text = body == "deep" ? "{\"status\":\"Running\",\"x\":" + new string('[', 100) + new string(']', 100) + "}" : body;
        var (result, _, _) = ReadOddThenGood(new Step { BodyText = text });

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidResponse,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains(says, error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_redirect_to_a_sign_in_page_is_never_followed_and_says_so()
    {
        var (result, odd, _) = ReadOddThenGood(new Step
        {
            Status = 302,
            BodyText = "<html><body>Sign in</body></html>",
            ContentType = "text/html",
            Headers = new() { ["Location"] = "https://login.example/signin?return=status" },
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandHttp302,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        Assert.Contains("never follows", error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(RequestsFor(odd));
    }
}
