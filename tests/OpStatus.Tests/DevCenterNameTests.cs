using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// Get-DevCenterOperationStatus -DevCenterName: the dev center's endpoint found through the emulator's Resource Graph,
/// with the emulator as the Resource Manager of a private cloud (-ResourceManagerEndpoint), whose own host may then be
/// the dev center's.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DevCenterNameTests : TestBase
{
    public DevCenterNameTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    private string Named(out string devCenter, out string project)
    {
        devCenter = "dc-" + Guid.NewGuid().ToString("N")[..8];
        project = "proj-" + Guid.NewGuid().ToString("N")[..8];
        Emulator.AddDevCenterProject(devCenter, project, Url.TrimEnd('/'));
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        return id;
    }

    [Fact]
    public void The_endpoint_is_found_once_per_session_and_the_statuses_are_read_there()
    {
        var first = Named(out var devCenter, out var project);
        var second = NewId();
        Emulator.Script(second, Ok(StatusBody("Running", second)));

        using var session = NewSession();
        var result = session.Run(
            "Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName $args[2] -OperationId $args[3] -ResourceManagerEndpoint $args[0] -Verbose; Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName $args[2] -OperationId $args[4] -ResourceManagerEndpoint $args[0]",
            Url, devCenter, project, first, second);

        AssertNoErrors(result);
        Assert.Equal(new[] { "Succeeded", "Running" }, result.Output.Select(o => (string)Prop(o, "Status")!).ToArray());
        var queries = Emulator.Requests.Where(r => r.Service == "ResourceGraph" && r.Time > DateTimeOffset.UtcNow.AddMinutes(-1)).ToArray();
        Assert.Single(queries, q => q.ResponseStatus == 200);
        Assert.Equal("2021-03-01", queries[0].ApiVersion);
        Assert.Contains(result.Verbose, v => v.StartsWith($"Dev center '{devCenter}' (project '{project}') is at ", StringComparison.Ordinal));
        // The Dev Center status path, at the endpoint found.
        Assert.Contains($"/projects/{project}/operationstatuses/{first}", RequestsFor(first).Single().RawTarget, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_found_is_one_clear_error_per_item_that_offers_Endpoint_and_no_status_read_goes_out()
    {
        var ids = new[] { NewId(), NewId() };

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -DevCenterName nosuch-dc -ProjectName nosuch -OperationId $args[1] -ResourceManagerEndpoint $args[0]", Url, ids);

        Assert.Empty(result.Output);
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e =>
        {
            Assert.Equal("GetDevCenterOperationStatusCommandHttp404.DevCenterNotFound,OpStatus.Commands.GetDevCenterOperationStatusCommand", e.FullyQualifiedErrorId);
            Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
            Assert.Contains("Resource Graph knows no project 'nosuch' in a dev center named 'nosuch-dc'", e.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("-Endpoint", e.Exception.Message, StringComparison.Ordinal);
        });
        Assert.Empty(RequestsFor(ids[0]));
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void An_endpoint_that_fails_the_host_rule_gets_no_token()
    {
        var devCenter = "evil-" + Guid.NewGuid().ToString("N")[..8];
        Emulator.AddDevCenterProject(devCenter, "proj", "https://login.evil.example.com");
        var id = NewId();

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName proj -OperationId $args[2] -ResourceManagerEndpoint $args[0]", Url, devCenter, id);

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetDevCenterOperationStatusCommandUntrustedDevCenterUri,OpStatus.Commands.GetDevCenterOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("so no token was sent to it", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("x", "InvalidDevCenterName")]
    [InlineData("dc' or 1==1 //", "InvalidDevCenterName")]
    [InlineData("", "InvalidDevCenterName")]
    public void A_name_that_is_not_valid_is_refused_before_any_query(string name, string errorId)
    {
        var before = Emulator.Requests.Count(r => r.Service == "ResourceGraph");

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName proj -OperationId $args[2] -ResourceManagerEndpoint $args[0]", Url, name, NewId());

        var error = Assert.Single(result.Errors);
        Assert.Equal($"GetDevCenterOperationStatusCommand{errorId},OpStatus.Commands.GetDevCenterOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(before, Emulator.Requests.Count(r => r.Service == "ResourceGraph"));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_spent_query_quota_is_waited_out_as_Resource_Graph_says()
    {
        Emulator.ResourceGraphQuota(1, TimeSpan.FromSeconds(2));
        try
        {
            var first = Named(out var devCenter, out var project);
            var second = Named(out var otherDevCenter, out var otherProject);

            using var session = NewSession();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = session.Run(
                "Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName $args[2] -OperationId $args[3] -ResourceManagerEndpoint $args[0]; Get-DevCenterOperationStatus -DevCenterName $args[4] -ProjectName $args[5] -OperationId $args[6] -ResourceManagerEndpoint $args[0] -Verbose",
                Url, devCenter, project, first, otherDevCenter, otherProject, second);

            AssertNoErrors(result);
            Assert.Equal(2, result.Output.Count);
            // The second query waited for the quota's reset rather than being answered 429.
            Assert.Contains(result.Verbose, v => v.StartsWith("Resource Graph's quota for this user is spent: waiting ", StringComparison.Ordinal));
            Assert.DoesNotContain(Emulator.Requests.Where(r => r.Service == "ResourceGraph" && r.Time > DateTimeOffset.UtcNow - clock.Elapsed), r => r.ResponseStatus == 429);
        }
        finally
        {
            Emulator.ResourceGraphQuota(15, TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_status_the_pipeline_does_not_retry_is_not_called_temporary()
    {
        // 501: Azure.Core does not retry it, so the error says what to check rather than "try again later".
        Emulator.ResourceGraphFails(501);
        try
        {
            var id = Named(out var devCenter, out var project);

            using var session = NewSession();
            var result = session.Run("Get-DevCenterOperationStatus -DevCenterName $args[1] -ProjectName $args[2] -OperationId $args[3] -ResourceManagerEndpoint $args[0]", Url, devCenter, project, id);

            var error = Assert.Single(result.Errors);
            Assert.Equal("GetDevCenterOperationStatusCommandHttp501.ServiceError,OpStatus.Commands.GetDevCenterOperationStatusCommand", error.FullyQualifiedErrorId);
            Assert.Contains("Resource Graph answered 501", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("it was not tried again", error.Exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("try again later", error.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(false, Prop(new System.Management.Automation.PSObject(error.Exception), "IsTransient"));
        }
        finally
        {
            Emulator.ResourceGraphFails(null);
        }
    }
}
