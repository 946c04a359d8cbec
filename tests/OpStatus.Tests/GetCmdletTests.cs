using System.Collections;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Each Get cmdlet, field by field, through the hosted engine and the emulator.</summary>
public sealed class GetCmdletTests : TestBase, IClassFixture<EmulatorFixture>
{
    public GetCmdletTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void DevCenter_status_is_read_field_by_field()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id,
            ("id", $"/projects/myProject/operationStatuses/{id}"),
            ("startTime", "2024-01-24T21:14:58.472Z"),
            ("percentComplete", 40.5),
            ("resourceId", "/projects/myProject/users/me/devboxes/box1"),
            ("properties", new JsonObject { ["stage"] = new JsonObject { ["name"] = "Provisioning", ["step"] = 3 } }),
            ("somethingNew", "kept"))));

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1]", Url, id);

        AssertNoErrors(result);
        var status = Assert.Single(result.Output);
        Assert.Equal("OpStatus.OperationStatus", status.TypeNames[0]);
        Assert.Equal("DevCenter", Prop(status, "Service"));
        Assert.Equal(id, Prop(status, "OperationId"));
        Assert.Equal(id, Prop(status, "Name"));
        Assert.Equal($"/projects/myProject/operationStatuses/{id}", Prop(status, "Id"));
        Assert.Equal("Running", Prop(status, "Status"));
        Assert.Equal(new DateTimeOffset(2024, 1, 24, 21, 14, 58, 472, TimeSpan.Zero), Prop(status, "StartTime"));
        Assert.Null(Prop(status, "EndTime"));
        Assert.Equal(40.5, Prop(status, "PercentComplete"));
        Assert.Equal("/projects/myProject/users/me/devboxes/box1", Prop(status, "ResourceId"));
        Assert.Equal(false, Prop(status, "IsTerminal"));
        Assert.Null(Prop(status, "Error"));
        Assert.False(string.IsNullOrEmpty((string?)Prop(status, "RequestId")));
        Assert.Equal(new Uri($"{Url}projects/myProject/operationstatuses/{id}?api-version=2025-02-01"), Prop(status, "Uri"));
        Assert.Equal("kept", ((IDictionary)Prop(status, "AdditionalProperties")!)["somethingNew"]);

        // Properties read as PowerShell users expect: $status.Properties.stage.name
        var nested = session.Run("$args[0].Properties.stage.name; $args[0].Properties.stage.step", status);
        Assert.Equal(new object[] { "Provisioning", 3L }, nested.Output.Select(o => o.BaseObject).ToArray());

        var seen = Assert.Single(RequestsFor(id));
        Assert.Equal($"/projects/myProject/operationstatuses/{id}?api-version=2025-02-01", seen.RawTarget);
        Assert.Equal("DevCenter", seen.Service);
        Assert.True(seen.Authorized);
    }

    [Fact]
    public void Cache_status_is_read_with_a_display_name_location()
    {
        var id = "testoperationid-" + NewId();
        var subscription = NewSubscription();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id,
            ("id", $"/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}"),
            ("startTime", "2017-01-01T13:13:13.933Z"),
            ("endTime", "2017-01-01T16:13:13.933Z"))));

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location 'West US' -OperationId $args[2]", Url, subscription, id);

        AssertNoErrors(result);
        var status = Assert.Single(result.Output);
        Assert.Equal("Cache", Prop(status, "Service"));
        Assert.Equal("Succeeded", Prop(status, "Status"));
        Assert.Equal(true, Prop(status, "IsTerminal"));
        Assert.Equal(new DateTimeOffset(2017, 1, 1, 16, 13, 13, 933, TimeSpan.Zero), Prop(status, "EndTime"));
        Assert.Equal(TimeSpan.FromHours(3), Prop(status, "Duration"));
        Assert.False(string.IsNullOrEmpty((string?)Prop(status, "CorrelationRequestId")));

        var seen = Assert.Single(RequestsFor(id));
        Assert.Equal($"/subscriptions/{subscription}/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01", seen.RawTarget);
        Assert.True(seen.Authorized);
    }

    [Fact]
    public void LogAnalytics_status_is_read_with_the_OperationId_alias_and_a_chosen_api_version()
    {
        var id = NewId();
        var subscription = NewSubscription();
        Emulator.Script(id, Ok(StatusBody("InProgress", id, ("startTime", "2025-03-01T10:00:00+02:00"))));

        using var session = NewSession();
        var result = session.Run("Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location eastus2 -OperationId $args[2] -ApiVersion 2020-08-01", Url, subscription, id);

        AssertNoErrors(result);
        var status = Assert.Single(result.Output);
        Assert.Equal("LogAnalytics", Prop(status, "Service"));
        Assert.Equal("InProgress", Prop(status, "Status"));
        Assert.Equal(false, Prop(status, "IsTerminal"));
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero), ((DateTimeOffset)Prop(status, "StartTime")!).ToUniversalTime());

        var seen = Assert.Single(RequestsFor(id));
        Assert.Equal($"/subscriptions/{subscription}/providers/Microsoft.OperationalInsights/locations/eastus2/operationStatuses/{id}?api-version=2020-08-01", seen.RawTarget);

        var byDefault = session.Run("Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location eastus2 -AsyncOperationId $args[2]", Url, subscription, id);
        AssertNoErrors(byDefault);
        Assert.EndsWith("?api-version=2025-02-01", RequestsFor(id).Last().RawTarget);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Failed_operation_carries_the_error_in_either_shape(bool wrapped)
    {
        var id = NewId();
        var error = new JsonObject
        {
            ["code"] = "ResourceDeploymentFailure",
            ["message"] = "The resource operation completed with terminal provisioning state 'Failed'.",
            ["target"] = "cache1",
            ["details"] = new JsonArray(new JsonObject { ["code"] = "QuotaExceeded", ["message"] = "Not enough cores." }),
            ["innererror"] = new JsonObject { ["code"] = "Inner1", ["innererror"] = new JsonObject { ["code"] = "Inner2" } },
            ["additionalInfo"] = new JsonArray(new JsonObject { ["type"] = "PolicyViolation", ["info"] = new JsonObject { ["policy"] = "p1" } }),
        };
        Emulator.Script(id, Ok(StatusBody("Failed", id, ("error", wrapped ? new JsonObject { ["error"] = error } : error))));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        var check = session.Run(
            "$e = $args[0].Error; $e.Code; $e.Message; $e.Target; $e.Details[0].Code; $e.InnerError.code; $e.InnerError.innererror.code; $e.AdditionalInfo[0].Type; $e.AdditionalInfo[0].Info.policy; $args[0].IsTerminal",
            result.Output[0]);
        Assert.Equal(
            new object[] { "ResourceDeploymentFailure", "The resource operation completed with terminal provisioning state 'Failed'.", "cache1", "QuotaExceeded", "Inner1", "Inner2", "PolicyViolation", "p1", true },
            check.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void An_error_displays_as_a_list_with_its_details()
    {
        var id = NewId();
        var error = new JsonObject
        {
            ["code"] = "DeploymentFailed",
            ["message"] = "At least one resource failed.",
            ["details"] = new JsonArray(new JsonObject { ["code"] = "QuotaExceeded", ["message"] = "Not enough cores." }),
        };
        Emulator.Script(id, Ok(StatusBody("Failed", id, ("error", error))));

        using var session = NewSession();
        var result = session.Run("$VerbosePreference = $DebugPreference = 'SilentlyContinue'; (Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]).Error | Out-Default", Url, id);

        AssertNoErrors(result);
        var text = System.Text.RegularExpressions.Regex.Replace(result.HostText, "\u001b\\[[0-9;]*m", string.Empty);
        Assert.Matches(@"Code\s+: DeploymentFailed", text);
        Assert.Matches(@"Details\s+: QuotaExceeded: Not enough cores\.", text);
    }

    [Theory]
    [InlineData("Deleting", false)]
    [InlineData("Accepted", false)]
    [InlineData("NotStarted", false)]
    [InlineData("canceled", true)]
    [InlineData("Cancelled", true)]
    [InlineData("SUCCEEDED", true)]
    [InlineData("failed", true)]
    public void Statuses_are_kept_as_sent_and_terminal_ones_are_recognised(string sent, bool terminal)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody(sent, id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal(sent, Prop(result.Output[0], "Status"));
        Assert.Equal(terminal, Prop(result.Output[0], "IsTerminal"));
    }

    [Fact]
    public void Properties_that_are_not_an_object_are_kept_with_the_other_unknown_fields()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("properties", new JsonArray(1, 2)))));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Null(Prop(result.Output[0], "Properties"));
        Assert.Equal(new object[] { 1L, 2L }, (object[])((IDictionary)Prop(result.Output[0], "AdditionalProperties")!)["properties"]!);
    }

    [Fact]
    public void Many_ids_piped_by_value_give_one_result_each_in_order()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody("Running", id)));
        }

        using var session = NewSession();
        var result = session.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus", Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(ids, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
    }

    [Fact]
    public void Rows_bind_by_property_name_as_from_Import_Csv()
    {
        var first = NewId();
        var second = NewId();
        var subscription = NewSubscription();
        Emulator.Script(first, Ok(StatusBody("Succeeded", first)));
        Emulator.Script(second, Ok(StatusBody("Running", second)));

        using var session = NewSession();
        var result = session.Run(
            """
            @(
                [pscustomobject]@{ SubscriptionId = $args[1]; Location = 'West US'; OperationId = $args[2] }
                [pscustomobject]@{ SubscriptionId = $args[1]; Location = 'eastus'; OperationId = $args[3] }
            ) | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0]
            """,
            Url, subscription, first, second);

        AssertNoErrors(result);
        Assert.Equal(new[] { first, second }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
        Assert.Contains("/locations/westus/", RequestsFor(first).Single().RawTarget);
        Assert.Contains("/locations/eastus/", RequestsFor(second).Single().RawTarget);
    }

    [Fact]
    public void DevCenter_rows_bind_endpoint_project_and_id_by_property_name()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("NotStarted", id)));

        using var session = NewSession();
        var result = session.Run(
            "[pscustomobject]@{ Endpoint = $args[0]; ProjectName = 'proj.one'; OperationId = $args[1] } | Get-DevCenterOperationStatus",
            Url, id);

        AssertNoErrors(result);
        Assert.Equal("NotStarted", Prop(Assert.Single(result.Output), "Status"));
        Assert.StartsWith("/projects/proj.one/operationstatuses/", RequestsFor(id).Single().RawTarget);
    }

    [Fact]
    public void Where_Object_filters_statuses_case_insensitively()
    {
        var ids = new[] { NewId(), NewId(), NewId() };
        Emulator.Script(ids[0], Ok(StatusBody("Succeeded", ids[0])));
        Emulator.Script(ids[1], Ok(StatusBody("Running", ids[1])));
        Emulator.Script(ids[2], Ok(StatusBody("SUCCEEDED", ids[2])));

        using var session = NewSession();
        var result = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Where-Object Status -eq 'succeeded'",
            Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(new[] { ids[0], ids[2] }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());

        var terminal = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Where-Object { -not $_.IsTerminal }",
            Url, NewSubscription(), ids);
        Assert.Equal(new[] { ids[1] }, terminal.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
    }

    [Fact]
    public void Default_view_shows_a_readable_table()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id, ("startTime", "2024-01-24T21:14:58Z"), ("percentComplete", 40))));

        using var session = NewSession();
        var result = session.Run("$VerbosePreference = $DebugPreference = 'SilentlyContinue'; Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1] | Out-Default", Url, id);

        AssertNoErrors(result);
        var plain = System.Text.RegularExpressions.Regex.Replace(result.HostText, "\u001b\\[[0-9;]*m", string.Empty);
        var lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = Assert.Single(lines, l => l.TrimStart().StartsWith("Name", StringComparison.Ordinal));
        foreach (var column in new[] { "Status", "Percent", "StartTime", "EndTime", "Duration" })
        {
            Assert.Contains(column, header);
        }

        Assert.Contains(lines, l => l.Contains(id[..8]) && l.Contains("Running") && l.Contains("40"));
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"wider than 80 columns: '{l}'"));
    }
}
