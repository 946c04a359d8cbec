using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// What the Az modules and the CLI offer that OpStatus now does as well (several ids at once, a refresh by piping), and
/// advice that fits the case: a response body piped into Wait, an unknown region, Dev Center's parameters, a refused
/// -AccessToken.
/// </summary>
public sealed class ParityTests : TestBase, IClassFixture<EmulatorFixture>
{
    private const string DevCenterId = "8c2f3a1e-5b4d-4e6f-9a7b-1c2d3e4f5a6b";

    public ParityTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    private string[] Scripted(params string[] statuses) => statuses.Select(status =>
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody(status, id)));
        return id;
    }).ToArray();

    [Theory]
    [InlineData("Get-CacheOperationStatus -OperationId $args[2] -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0]")]
    [InlineData("Get-LogAnalyticsOperationStatus -AsyncOperationId $args[2] -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0]")]
    [InlineData("Get-CacheOperationStatus $args[2] -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0]")]
    public void Several_ids_give_one_result_each_in_order_errors_in_their_place(string command)
    {
        var ids = Scripted("Succeeded", "Running");
        var given = new[] { ids[0], string.Empty, ids[1] };

        using var session = NewSession();
        var result = session.Run(command + " 2>&1", Url, NewSubscription(), given);

        Assert.Equal(3, result.Output.Count);
        Assert.Equal(ids[0], Prop(result.Output[0], "OperationId"));
        Assert.IsType<System.Management.Automation.ErrorRecord>(result.Output[1].BaseObject);
        Assert.Equal(ids[1], Prop(result.Output[2], "OperationId"));
    }

    [Theory]
    [InlineData("Get-CacheOperationStatus -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0] -OperationId $args[2]", "Get-CacheOperationStatus")]
    [InlineData("Get-LogAnalyticsOperationStatus -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0] -AsyncOperationId $args[2]", "Get-LogAnalyticsOperationStatus")]
    [InlineData("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName proj1 -OperationId $args[3]", "Get-DevCenterOperationStatus")]
    public void Statuses_piped_back_into_their_Get_cmdlet_are_read_again_where_they_were_read(string read, string again)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)), Ok(StatusBody("Succeeded", id)));
        var devCenterId = Guid.NewGuid().ToString();
        Emulator.Script(devCenterId, Ok(StatusBody("Running", devCenterId)), Ok(StatusBody("Succeeded", devCenterId)));

        using var session = NewSession();
        var result = session.Run($"$s = {read}; $s | {again}", Url, NewSubscription(), id, devCenterId);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        var readId = again == "Get-DevCenterOperationStatus" ? devCenterId : id;
        var seen = RequestsFor(readId);
        Assert.Equal(2, seen.Count);
        Assert.Equal(seen[0].RawTarget, seen[1].RawTarget);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void A_status_of_another_service_is_refused_in_its_place_and_the_others_go_on()
    {
        var ids = Scripted("Succeeded", "Succeeded");

        using var session = NewSession();
        var result = session.Run(
            """
            $cache = Get-CacheOperationStatus -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0] -OperationId $args[2]
            $logs = Get-LogAnalyticsOperationStatus -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0] -AsyncOperationId $args[3]
            $cache, $logs, $cache | Get-CacheOperationStatus
            """,
            Url, NewSubscription(), ids[0], ids[1]);

        Assert.Equal(2, result.Output.Count);
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandWrongService,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Pipe it to Get-LogAnalyticsOperationStatus or Wait-OperationStatus", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void The_body_Invoke_RestMethod_returns_piped_into_Wait_gets_advice_of_its_own()
    {
        using var session = NewSession();
        var result = session.Run("[pscustomobject]@{ id = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redisEnterprise/c'; name = 'c'; properties = @{ provisioningState = 'Creating' } } | Wait-OperationStatus");

        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandNoOperationUrl,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("A response body carries no operation URL", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-ResponseHeadersVariable", error.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("-OperationId", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wetsus", "'westus'")]
    [InlineData("West US 9", "'westus', 'westus2', 'westus3'")]
    [InlineData("norhteurope", "'northeurope'")]
    public void A_region_OpStatus_does_not_know_is_sent_with_a_warning_that_names_the_nearest(string location, string suggested)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -SubscriptionId $args[1] -Location $args[2] -ResourceManagerEndpoint $args[0] -OperationId $args[3], $args[3]", Url, NewSubscription(), location, id);

        // Sent as given (the emulator answers any region), and said once for the command.
        Assert.Equal(2, result.Output.Count);
        var warning = Assert.Single(result.Warning);
        Assert.StartsWith($"The location '{location}' is not a region OpStatus knows. Did you mean {suggested}?", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_known_region_gets_no_warning()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -SubscriptionId $args[1] -Location 'West US 2' -ResourceManagerEndpoint $args[0] -OperationId $args[2]", Url, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Empty(result.Warning);
    }

    [Fact]
    public void Dev_Center_advice_names_its_own_parameters()
    {
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint 'https://nosuch-dc.westus.devcenter.invalid' -ProjectName proj1 -OperationId $args[0]", DevCenterId);

        var message = Assert.Single(result.Errors).Exception.Message;
        Assert.Contains("-Endpoint (or -DevCenterName)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("-Environment", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_AccessToken_is_told_to_get_a_fresh_token_for_the_right_audience()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        var expired = Emulator.IssueToken(Emulator.ResourceManagerAudience, TimeSpan.FromSeconds(-1));

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -SubscriptionId $args[1] -Location westus -ResourceManagerEndpoint $args[0] -OperationId $args[2] -AccessToken $args[3]", Url, NewSubscription(), id, expired);

        var message = Assert.Single(result.Errors).Exception.Message;
        Assert.Contains("The token given with -AccessToken was refused", message, StringComparison.Ordinal);
        Assert.Contains("Get-AzAccessToken -ResourceUrl " + Emulator.ResourceManagerAudience, message, StringComparison.Ordinal);
        Assert.DoesNotContain("az login", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_that_goes_at_once_says_nothing_of_the_read_limit_under_Verbose()
    {
        var id = Scripted("Succeeded")[0];

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id, "-Verbose");

        AssertNoErrors(result);
        Assert.NotEmpty(result.Verbose);
        Assert.DoesNotContain(result.Verbose, v => v.StartsWith("Held back", StringComparison.Ordinal));
    }
}
