using System.Diagnostics;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// OpStatus beside another module's Azure.Core and Azure.Identity (as Az.Accounts brings), in either import
/// order, and imported again after Remove-Module. Each case runs in a process of its own, since what one
/// process has loaded cannot be unloaded.
/// </summary>
public sealed class IsolationTests : TestBase, IClassFixture<EmulatorFixture>
{
    public IsolationTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Theory]
    [InlineData("other-first")]
    [InlineData("opstatus-first")]
    public void OpStatus_and_an_older_Azure_Identity_work_side_by_side(string scenario)
    {
        var lines = RunHost(scenario);

        var other = lines.Where(l => l.StartsWith("other: ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(other);
        Assert.All(other, l => Assert.Matches(@"^other: Azure.Core 1\.(3|4)\d\.\d+\.\d+ Azure.Identity 1\.12\.\d+\.\d+ token ok$", l));
        Assert.Contains("opstatus: Succeeded", lines);
    }

    [Fact]
    public void Remove_Module_then_Import_Module_again_works()
    {
        var lines = RunHost("reimport");

        Assert.Equal(new[] { "imported", "opstatus: Succeeded", "removed", "imported", "opstatus: Succeeded" }, lines);
    }

    [Fact]
    public void Remove_Module_in_one_runspace_leaves_the_module_working_in_another()
    {
        var lines = RunHost("two-runspaces");

        Assert.Equal(new[] { "imported", "imported", "removed in the first", "opstatus: Succeeded" }, lines);
    }

    [Fact]
    public void The_engine_and_its_dependencies_load_in_a_private_context_and_the_output_types_do_not()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(
            """
            $null = Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]
            foreach ($name in 'OpStatus', 'OpStatus.Model', 'OpStatus.Engine', 'Azure.Core', 'Microsoft.Identity.Client') {
                $assembly = [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name -and $_.Location -like '*OpStatus*' }
                $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly)
                '{0}={1}' -f $name, $(if ($context -eq [System.Runtime.Loader.AssemblyLoadContext]::Default) { 'Default' } else { $context.GetType().Name })
            }
            [OpStatus.OperationStatus].Assembly.GetName().Name
            ([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'OpStatus.Engine' }).Location
            """,
            Url, id);

        AssertNoErrors(result);
        Assert.Equal(
            new[] { "OpStatus=Default", "OpStatus.Model=Default", "OpStatus.Engine=DependencyLoadContext", "Azure.Core=DependencyLoadContext", "Microsoft.Identity.Client=DependencyLoadContext", "OpStatus.Model" },
            result.Output.Take(6).Select(o => o.BaseObject.ToString()).ToArray());

        // PowerShell 7 loads the .NET 8 build of the engine.
        Assert.Equal(Path.Combine(Path.GetDirectoryName(EmulatorFixture.ModuleManifest)!, "dependencies", "net8.0", "OpStatus.Engine.dll"), result.Output[6].BaseObject.ToString());
    }

    private string[] RunHost(string scenario)
    {
        var id = NewId();
        Emulator.Script(id, new Step { Status = 200, Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "100" } }, Ok(StatusBody("Succeeded", id)));

        // The host is built beside this test assembly's configuration: .../OpStatus.ConflictHost/bin/<configuration>/net10.0/.
        var testFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testFolder.Parent!.Name;
        var host = Path.Combine(EmulatorFixture.RepoRoot, "tests", "OpStatus.ConflictHost", "bin", configuration, "net10.0", "OpStatus.ConflictHost.dll");
        Assert.True(File.Exists(host), $"{host} is not built");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { host, scenario, EmulatorFixture.ModuleManifest, Url, id })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the host did not finish");
        var lines = output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output.Result} {errors.Result}");
        return lines;
    }
}
