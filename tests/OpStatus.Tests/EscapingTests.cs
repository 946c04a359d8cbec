using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Values that look like path syntax reach the service as data, never as path.</summary>
public sealed class EscapingTests : TestBase, IClassFixture<EmulatorFixture>
{
    public EscapingTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("../x")]
    [InlineData("../../../subscriptions/other")]
    [InlineData("a?b=c")]
    [InlineData("a#b")]
    [InlineData("a%2Fb")]
    [InlineData("%2e%2e")]
    [InlineData("..%2F..")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("\u00fcber-\u64cd\u4f5c")]
    [InlineData("a&api-version=1999-01-01")]
    [InlineData("a;b,c=d")]
    public void Operation_ids_arrive_exactly_as_given(string suffix)
    {
        var operationId = Guid.NewGuid().ToString("N")[..8] + suffix;
        var subscription = NewSubscription();
        Emulator.Script(operationId, Ok(StatusBody("Running", "escaped")));

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2]", Url, subscription, operationId);

        AssertNoErrors(result);
        var seen = Assert.Single(Emulator.Requests, r => r.RawTarget.Contains(subscription));
        Assert.Equal("Cache", seen.Service);
        Assert.Equal(operationId, seen.OperationId);
        Assert.Equal("2024-10-01", seen.ApiVersion);
        Assert.Equal($"/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{Uri.EscapeDataString(operationId)}?api-version=2024-10-01", seen.RawTarget);
        Assert.Equal(operationId, Prop(result.Output[0], "OperationId"));
    }
}
