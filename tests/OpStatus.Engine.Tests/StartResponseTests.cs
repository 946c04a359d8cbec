namespace OpStatus.Engine.Tests;

/// <summary>What the response of a request that started an operation leads to.</summary>
public sealed class StartResponseTests
{
    private static readonly SignIn SignIn = new(new TestEngine().Pipelines);

    private static StartResponse Response(int? status, string? content = null, params (string Name, string Value)[] headers)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map[name] = value;
        }

        return new StartResponse(status, map, content, new Uri("https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redisEnterprise/c?api-version=2024-10-01"));
    }

    [Theory]
    [InlineData("Azure-AsyncOperation", "Operation-Location", "Azure-AsyncOperation")]
    [InlineData("Operation-Location", "Location", "Operation-Location")]
    [InlineData("Location", null, "Location")]
    public void The_ARM_precedence_picks_the_header_to_poll(string first, string? second, string expected)
    {
        var headers = new List<(string, string)> { (first, "https://management.azure.com/" + first) };
        if (second is not null)
        {
            headers.Add((second, "https://management.azure.com/" + second));
        }

        var outcome = Response(202, null, headers.ToArray()).Decide(SignIn);

        Assert.Equal((StartOutcomeKind.Poll, expected), (outcome.Kind, outcome.Header));
        Assert.Equal("https://management.azure.com/" + expected, outcome.PollUri!.AbsoluteUri);
    }

    [Theory]
    [InlineData("Succeeded", "Done", "Succeeded")]
    [InlineData("Failed", "Done", "Failed")]
    [InlineData("Creating", "NoOperation", null)]
    public void A_completed_response_takes_its_status_from_provisioningState(string state, string kind, string? status)
    {
        var outcome = Response(200, "{\"properties\":{\"provisioningState\":\"" + state + "\"}}").Decide(SignIn);

        Assert.Equal(kind, outcome.Kind.ToString());
        Assert.Equal(status, outcome.Status?.Status);
    }

    [Fact]
    public void A_failed_request_without_a_header_names_the_server_s_error()
    {
        var outcome = Response(409, "{\"error\":{\"code\":\"Conflict\",\"message\":\"Busy.\"}}").Decide(SignIn);

        Assert.Equal((StartOutcomeKind.RequestFailed, "Conflict"), (outcome.Kind, outcome.ServerCode));
        Assert.Contains("The service said: Conflict: Busy.", outcome.Invalid!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_that_is_not_a_URL_is_refused()
    {
        var outcome = Response(202, null, ("Location", "not a url")).Decide(SignIn);
        Assert.Equal((StartOutcomeKind.InvalidHeader, "InvalidOperationHeader"), (outcome.Kind, outcome.Invalid!.ErrorId));
    }

    [Fact]
    public void The_first_poll_waits_for_the_response_s_Retry_After()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(600), Response(202, null, ("Location", "https://management.azure.com/x"), ("retry-after-ms", "600")).Decide(SignIn).RetryAfter);
    }
}
