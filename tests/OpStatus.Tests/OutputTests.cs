using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>What a status says about its times, as services really send them.</summary>
public sealed class OutputTests : TestBase, IClassFixture<EmulatorFixture>
{
    public OutputTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void A_running_operation_has_no_EndTime_though_the_service_sent_one()
    {
        var id = NewId();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        Emulator.Script(id, Ok(StatusBody("InProgress", id, ("startTime", start.ToString("O")), ("endTime", start.AddSeconds(0.83).ToString("O")))));

        var status = Read(id);

        Assert.Null(Prop(status, "EndTime"));
        Assert.Equal(start.AddSeconds(0.83), (DateTimeOffset)Prop(status, "ReportedEndTime")!, TimeSpan.FromMilliseconds(1));
        var duration = (TimeSpan)Prop(status, "Duration")!;
        Assert.InRange(duration, TimeSpan.FromMinutes(9.9), TimeSpan.FromMinutes(11));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00")]
    [InlineData("0001-01-01T00:00:00Z")]
    public void The_year_one_sentinel_is_no_time(string sentinel)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id, ("startTime", "2026-11-30T10:00:00Z"), ("endTime", sentinel))));

        var status = Read(id);

        Assert.Null(Prop(status, "EndTime"));
        Assert.Null(Prop(status, "ReportedEndTime"));
        Assert.Null(Prop(status, "Duration"));
    }

    [Fact]
    public void Duration_is_never_negative()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("startTime", DateTimeOffset.UtcNow.AddMinutes(5).ToString("O")))));

        Assert.Equal(TimeSpan.Zero, Prop(Read(id), "Duration"));
    }

    [Fact]
    public void A_percent_outside_0_to_100_is_kept_as_sent()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("percentComplete", 250))));

        Assert.Equal(250.0, Prop(Read(id), "PercentComplete"));
    }

    private System.Management.Automation.PSObject Read(string id)
    {
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2]", Url, NewSubscription(), id);
        AssertNoErrors(result);
        return Assert.Single(result.Output);
    }
}
