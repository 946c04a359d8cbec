using System.Reflection;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// The layers users meet and those they do not: which types are public, that every exception the module
/// writes can be caught by its name, and that the emulator answers the paths the service descriptions compose.
/// </summary>
public sealed class LayeringTests : TestBase, IClassFixture<EmulatorFixture>
{
    /// <summary>Reads the engine and the module's own assemblies as loaded in the session (the engine in its private context).</summary>
    private const string LoadedAssemblies =
        "$loaded = [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'OpStatus', 'OpStatus.Model', 'OpStatus.Engine' -and $_.Location -like '*OpStatus*' }; ";

    public LayeringTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void Only_the_cmdlets_their_parameter_types_and_the_types_users_meet_are_public()
    {
        using var session = NewSession();
        var result = session.Run(
            ReadOnce + LoadedAssemblies + "$loaded | ForEach-Object { $name = $_.GetName().Name; $_.GetExportedTypes() | ForEach-Object { $name + ': ' + $_.FullName } }",
            Url,
            NewSubscription(),
            ScriptedSuccess());

        AssertNoErrors(result);
        var expected = new[]
        {
            "OpStatus: OpStatus.Commands.ApiVersionCompleter",
            "OpStatus: OpStatus.Commands.GetCacheOperationStatusCommand",
            "OpStatus: OpStatus.Commands.GetDevCenterOperationStatusCommand",
            "OpStatus: OpStatus.Commands.GetLogAnalyticsOperationStatusCommand",
            "OpStatus: OpStatus.Commands.GetOperationStatusCommand",
            "OpStatus: OpStatus.Commands.LocationCompleter",
            "OpStatus: OpStatus.Commands.OpStatusCommand",
            "OpStatus: OpStatus.OperationResponse",
            "OpStatus: OpStatus.OperationResponseConverter",
            "OpStatus: OpStatus.Commands.ResourceManagerCommand",
            "OpStatus: OpStatus.Commands.WaitOperationStatusCommand",
            "OpStatus: OpStatus.Loading.ModuleInitializer",
            "OpStatus.Model: OpStatus.FailureKind",
            "OpStatus.Model: OpStatus.OperationError",
            "OpStatus.Model: OpStatus.OperationErrorAdditionalInfo",
            "OpStatus.Model: OpStatus.OperationFailedException",
            "OpStatus.Model: OpStatus.OperationStatus",
            "OpStatus.Model: OpStatus.OperationStatusException",
            "OpStatus.Model: OpStatus.OperationTimeoutException",
            "OpStatus.Model: OpStatus.PropertyDictionary",
        };
        Assert.Equal(expected.Order(StringComparer.Ordinal), result.Output.Select(o => o.BaseObject.ToString()!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Each_kind_of_error_is_caught_by_its_type_name_and_every_exception_type_resolves_in_the_session()
    {
        var notFound = NewId();
        Emulator.Script(notFound, new Step { Status = 404, Body = ErrorBody("OperationNotFound", "No such operation.") });
        var failed = NewId();
        Emulator.Script(failed, Ok(StatusBody("Failed", failed, ("error", ErrorBody("QuotaExceeded", "No quota.")["error"]!.DeepClone()))));
        var running = NewId();
        Emulator.Script(running, new Step { Status = 200, Body = StatusBody("Running", running), Headers = new() { ["retry-after-ms"] = "100" } });

        using var session = NewSession();
        var result = session.Run(
            """
            $arm = @{ ResourceManagerEndpoint = $args[0]; SubscriptionId = $args[1]; Location = 'westus' }
            $caught = [System.Collections.Generic.List[string]]::new()
            $types = [System.Collections.Generic.List[string]]::new()
            $attempts = @(
                { Get-CacheOperationStatus @arm -OperationId 'bad/../id' -SubscriptionId '{x}' -ErrorAction Stop },
                { Get-CacheOperationStatus @arm -OperationId $args[2] -ErrorAction Stop },
                { Get-CacheOperationStatus @arm -OperationId $args[3] -ErrorAction Stop | Wait-OperationStatus -ErrorAction Stop },
                { Get-CacheOperationStatus @arm -OperationId $args[4] -ErrorAction Stop | Wait-OperationStatus -Timeout 1 -ErrorAction Stop }
            )
            foreach ($attempt in $attempts) {
                try { $null = & $attempt @args }
                catch [OpStatus.OperationFailedException] { $caught.Add('OperationFailedException'); $types.Add($_.Exception.GetType().FullName) }
                catch [OpStatus.OperationTimeoutException] { $caught.Add('OperationTimeoutException'); $types.Add($_.Exception.GetType().FullName) }
                catch [OpStatus.OperationStatusException] { $caught.Add('OperationStatusException ' + $_.Exception.Kind + ' ' + $_.Exception.StatusCode); $types.Add($_.Exception.GetType().FullName) }
                catch [System.ArgumentException] { $caught.Add('ArgumentException'); $types.Add($_.Exception.GetType().FullName) }
            }
            $caught
            $types | ForEach-Object { "$_ resolves: $($null -ne ($_ -as [type]))" }
            """,
            Url,
            NewSubscription(),
            notFound,
            failed,
            running);

        Assert.Null(result.Terminating);
        Assert.Equal(
            new[]
            {
                "ArgumentException",
                "OperationStatusException Http 404",
                "OperationFailedException",
                "OperationTimeoutException",
                "System.ArgumentException resolves: True",
                "OpStatus.OperationStatusException resolves: True",
                "OpStatus.OperationFailedException resolves: True",
                "OpStatus.OperationTimeoutException resolves: True",
            },
            result.Output.Select(o => o.BaseObject.ToString()!).ToArray());
    }

    [Fact]
    public void The_emulator_answers_the_paths_of_the_service_descriptions()
    {
        using var session = NewSession();
        var result = session.Run(
            ReadOnce + LoadedAssemblies
            + "$service = ($loaded | Where-Object { $_.GetName().Name -eq 'OpStatus.Engine' }).GetType('OpStatus.Engine.AzureService'); "
            + "$service.GetProperty('All', [System.Reflection.BindingFlags]'Public, Static').GetValue($null) | ForEach-Object { $_.Name + '=' + $_.Path.Text }",
            Url,
            NewSubscription(),
            ScriptedSuccess());

        AssertNoErrors(result);
        Assert.Equal(
            AzureEmulator.StatusPaths.Select(p => p.Key + "=" + p.Value).Order(StringComparer.Ordinal).ToArray(),
            result.Output.Select(o => o.BaseObject.ToString()!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Each_service_has_its_Get_cmdlet_and_the_messages_that_list_them_name_every_one()
    {
        using var session = NewSession();
        var result = session.Run(
            "'x' | Wait-OperationStatus -ErrorAction SilentlyContinue -ErrorVariable e; $message = $e[0].Exception.Message; "
            + LoadedAssemblies
            + "$service = ($loaded | Where-Object { $_.GetName().Name -eq 'OpStatus.Engine' }).GetType('OpStatus.Engine.AzureService'); "
            + "$described = $service.GetProperty('All', [System.Reflection.BindingFlags]'Public, Static').GetValue($null) | ForEach-Object { $_.CommandName }; "
            + "$exported = (Get-Command -Module OpStatus -Verb Get).Name; "
            + "[string[]]$d = $described; [array]::Sort($d); [string[]]$x = $exported; [array]::Sort($x); $d -join ','; $x -join ','; $described | Where-Object { $message -notlike \"*$_*\" }");

        AssertNoErrors(result);
        var lines = result.Output.Select(o => o.BaseObject.ToString()!).ToArray();
        Assert.True(lines.Length == 2, "Not named in Wait's message for an operation id: " + string.Join(", ", lines.Skip(2)));
        Assert.Contains("Get-CacheOperationStatus", lines[0]);
        Assert.Equal(lines[0], lines[1]);
    }

    [Theory]
    [InlineData("Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", true)]
    [InlineData("Azure.Core, Version=1.50.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", true)]
    [InlineData("Azure.Core, Version=1.60.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", false)]
    [InlineData("Azure.Core, Version=2.0.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", false)]
    [InlineData("Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=0000000000000000", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", false)]
    [InlineData("Azure.Identity, Version=1.21.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", "Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8", false)]
    [InlineData("OpStatus.Engine", "OpStatus.Engine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null", true)]
    public void The_resolvers_serve_a_dependency_only_by_its_full_name(string requested, string file, bool served)
    {
        var match = ModuleType("OpStatus.Loading.DependencyMatch");
        var serves = match.GetMethod("Serves", BindingFlags.Public | BindingFlags.Static)!;

        Assert.Equal(served, (bool)serves.Invoke(null, new object[] { new AssemblyName(requested), new AssemblyName(file) })!);
    }

    [Fact]
    public void On_Windows_PowerShell_only_requests_from_the_module_folder_are_served()
    {
        var match = ModuleType("OpStatus.Loading.DependencyMatch");
        var isOwn = match.GetMethod("IsOwnRequester", BindingFlags.Public | BindingFlags.Static)!;
        var module = Path.GetDirectoryName(EmulatorFixture.ModuleManifest)!;

        Assert.True((bool)isOwn.Invoke(null, new object?[] { Path.Combine(module, "OpStatus.dll"), module })!);
        Assert.True((bool)isOwn.Invoke(null, new object?[] { Path.Combine(module, "dependencies", "Azure.Core.dll"), module })!);
        Assert.False((bool)isOwn.Invoke(null, new object?[] { Path.Combine(module + "-other", "Az.Accounts.dll"), module })!);
        Assert.False((bool)isOwn.Invoke(null, new object?[] { "/opt/microsoft/powershell/7/Microsoft.Graph.Authentication.dll", module })!);
        Assert.False((bool)isOwn.Invoke(null, new object?[] { null, module })!);

        // An unknown requester gets a dependency only in exactly the version asked for.
        var isExactly = match.GetMethod("IsExactly", BindingFlags.Public | BindingFlags.Static)!;
        var file = new AssemblyName("Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8");
        Assert.True((bool)isExactly.Invoke(null, new object[] { new AssemblyName("Azure.Core, Version=1.53.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8"), file })!);
        Assert.False((bool)isExactly.Invoke(null, new object[] { new AssemblyName("Azure.Core, Version=1.50.0.0, Culture=neutral, PublicKeyToken=92742159e12e44c8"), file })!);
    }

    /// <summary>One read first, so that the engine is loaded; its status is not written.</summary>
    private const string ReadOnce = "$null = Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2]; ";

    private string ScriptedSuccess()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));
        return id;
    }

    /// <summary>An internal type of the module assembly, as a session that imported the module loaded it.</summary>
    private static Type ModuleType(string name)
    {
        using (var session = NewSession())
        {
            AssertNoErrors(session.Run("$null = Get-Command -Module OpStatus"));
        }

        var assembly = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "OpStatus" && a.Location.Contains("OpStatus", StringComparison.Ordinal));
        return assembly.GetType(name, throwOnError: true)!;
    }
}
