namespace OpStatus.Engine.Tests;

public sealed class InputValidationTests
{
    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", null)]
    [InlineData("{00000000-0000-0000-0000-000000000000}", "has braces")]
    [InlineData("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg", "part of a resource id")]
    [InlineData("00000000-0000-0000-0000-000000000000/", "ends with '/'")]
    [InlineData("sub", "not a GUID")]
    [InlineData(" 00000000-0000-0000-0000-000000000000", "white space")]
    [InlineData("", "is empty")]
    public void Subscription_ids_are_GUIDs_with_what_to_give_instead(string value, string? problem)
    {
        var said = InputValidation.CheckSubscriptionId(value);
        if (problem is null)
        {
            Assert.Null(said);
        }
        else
        {
            Assert.Contains(problem, said, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("https://management.azure.com/subscriptions/s/providers/Microsoft.Cache/locations/westus/operationsStatus/abc?api-version=1", "'abc'")]
    [InlineData("subscriptions/s/providers/Microsoft.Cache/locations/westus/operationsStatus/abc", "'abc'")]
    [InlineData("x/operationResults/abc", "'abc'")]
    public void A_status_URL_given_as_an_id_names_its_last_segment_and_Wait_Uri(string value, string last)
    {
        var said = InputValidation.CheckNotAUrl(value, "operation id");
        Assert.Contains(last, said, StringComparison.Ordinal);
        Assert.Contains("Wait-OperationStatus -Uri", said, StringComparison.Ordinal);
        Assert.Null(InputValidation.CheckNotAUrl("713192d7-503f-477a-9cfe-4efc3ee2bd11", "operation id"));
    }

    [Theory]
    [InlineData("http://management.example/", "does not use https")]
    [InlineData("https://u:p@management.example/", "user name or password")]
    [InlineData("https://management.example/?x=1", "query string")]
    [InlineData("https://management.example/#f", "fragment")]
    public void Endpoints_that_could_leak_a_token_are_refused(string endpoint, string problem)
    {
        Assert.Contains(problem, InputValidation.CheckEndpoint(new Uri(endpoint), "-Endpoint"), StringComparison.Ordinal);
    }

    [Fact]
    public void Values_are_echoed_printably_and_cut()
    {
        Assert.Equal("a\\u000db", InputValidation.Printable("a\rb"));
        Assert.EndsWith("...", InputValidation.Printable(new string('x', 500)), StringComparison.Ordinal);
    }
}
