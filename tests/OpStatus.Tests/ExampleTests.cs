using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// The README's examples, run as written against the emulator. What the host displayed is saved under
/// out/examples/ so the README can show real output.
/// </summary>
public sealed class ExampleTests : TestBase, IClassFixture<EmulatorFixture>
{
    public ExampleTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void Shell_lookups_of_each_service_display_as_one_table()
    {
        const string devCenterId = "fa067167-e49d-41bd-8dd8-de719b9de3b3";
        Emulator.Script(devCenterId, Ok(StatusBody("Running", devCenterId,
            ("id", $"/projects/myProject/operationStatuses/{devCenterId}"),
            ("startTime", "2026-11-23T14:02:11Z"),
            ("percentComplete", 40))));
        const string cacheId = "testoperationid";
        Emulator.Script(cacheId, Ok(StatusBody("Succeeded", cacheId,
            ("id", $"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Cache/locations/westus/operationsStatus/{cacheId}"),
            ("startTime", "2026-11-23T13:13:13.933Z"),
            ("endTime", "2026-11-23T13:21:40.100Z"))));
        const string logId = "713192d7-503f-477a-9cfe-4efc3ee2bd11";
        Emulator.Script(logId, Ok(StatusBody("Failed", logId,
            ("startTime", "2026-11-23T12:00:00Z"),
            ("endTime", "2026-11-23T12:00:41Z"),
            ("error", ErrorBody("WorkspaceDeleteFailed", "The workspace is locked by a delete lock.")["error"]!.DeepClone()))));

        using var session = NewSession();
        var table = session.Run(
            """
            $VerbosePreference = $DebugPreference = 'SilentlyContinue'
            $url, $dc, $cache, $log = $args
            & {
                Get-DevCenterOperationStatus -Endpoint $url -ProjectName myProject -OperationId $dc
                Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 00000000-0000-0000-0000-000000000000 -Location 'West US' -OperationId $cache
                Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 00000000-0000-0000-0000-000000000000 -Location westus -OperationId $log
            } | Out-Default
            """,
            Url, devCenterId, cacheId, logId);
        AssertNoErrors(table);

        var list = session.Run(
            "$s = Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 00000000-0000-0000-0000-000000000000 -Location westus -OperationId $args[1]; $s.Error.ToString()",
            Url, logId);
        AssertNoErrors(list);
        Assert.Equal("WorkspaceDeleteFailed: The workspace is locked by a delete lock.", list.Output.Last().BaseObject);

        Save("shell.txt", table.HostText);
        Assert.Contains("Running", table.HostText);
        Assert.Contains("Succeeded", table.HostText);
        Assert.Contains("Failed", table.HostText);
    }

    [Fact]
    public void A_runbook_stops_with_the_reason_and_the_request_id()
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run(
            """
            try {
                Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 00000000-0000-0000-0000-000000000000 -Location westus -OperationId $args[1] -ErrorAction Stop
            } catch {
                "$($_.CategoryInfo.Category): $($_.Exception.Message)"
                $_.FullyQualifiedErrorId
            }
            """,
            Url, id);

        Assert.StartsWith("ObjectNotFound: The Cache service answered 404 (Not Found) OperationNotFound", (string)result.Output[0].BaseObject);
        Save("runbook.txt", string.Join("\n", result.Output.Select(o => o.BaseObject.ToString())));
    }

    private static void Save(string name, string text)
    {
        var folder = Path.Combine(EmulatorFixture.RepoRoot, "out", "examples");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name), System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;]*m", string.Empty));
    }
}
