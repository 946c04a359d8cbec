using System.Management.Automation;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>-Identity, -ClientId and -TenantId against the emulator's managed-identity endpoint, as Azure Automation serves it.</summary>
/// <remarks>Alone, after the classes that run in parallel: some of these count every token request of the process.</remarks>
[Collection(IsolatedCollection.Name)]
public sealed class SignInTests : TestBase
{
    private const string UserAssigned = "4c7a2b1e-9d3f-4e8a-b6c5-0f1e2d3c4b5a";

    public SignInTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void Identity_where_no_managed_identity_answers_says_where_one_exists()
    {
        // No managed-identity endpoint answers: what -Identity meets on a laptop or a build agent outside Azure.
        var saved = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token");
        try
        {
            using var session = NewSession();
            var result = Cache(session, NewSubscription(), NewId(), "-Identity -ClientId 7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e");

            var error = Assert.Single(result.Errors);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("no managed identity gave one", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("-Identity works only where Azure gives the machine an identity", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("sign in without -Identity", error.Exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", saved);
        }
    }

    [Theory]
    [InlineData("-Identity", null)]
    [InlineData("-Identity -ClientId 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a")]
    [InlineData("-ClientId 2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b")]
    public void Managed_identity_sign_in_asks_the_endpoint_for_the_right_identity(string parameters, string? clientId)
    {
        // Managed-identity tokens are cached for the whole process per identity, so each case has its own
        // user-assigned identity; the system-assigned one may already have a token from other tests.
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        var before = Emulator.TokenRequests.Count;

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id, parameters);

        AssertNoErrors(result);
        Assert.True(RequestsFor(id).Single().Authorized);
        var asked = Emulator.TokenRequests.Skip(before).Where(t => t.Resource == Emulator.ResourceManagerAudience).ToArray();
        Assert.All(asked, t => Assert.Equal(clientId, t.ClientId));
        if (clientId is not null)
        {
            Assert.NotEmpty(asked);
        }
    }

    [Fact]
    public void The_same_sign_in_parameters_share_one_token_for_the_session()
    {
        var ids = Enumerable.Range(0, 4).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody("Running", id)));
        }

        using var session = NewSession();
        AssertNoErrors(Cache(session, NewSubscription(), ids[0], "-Identity -ClientId " + UserAssigned));
        var before = Emulator.TokenRequests.Count;
        foreach (var id in ids[1..])
        {
            using var other = NewSession();
            AssertNoErrors(Cache(other, NewSubscription(), id, "-Identity -ClientId " + UserAssigned));
        }

        Assert.Equal(before, Emulator.TokenRequests.Count);
    }

    [Fact]
    public void TenantId_with_Identity_warns_that_it_has_no_effect()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id, "-Identity -TenantId contoso.onmicrosoft.com");

        AssertNoErrors(result);
        Assert.Contains(result.Warning, w => w.Contains("-TenantId has no effect with -Identity", StringComparison.Ordinal));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("-ClientId not-a-guid", "InvalidClientId", "client id")]
    [InlineData("-TenantId 'contoso tenant'", "InvalidTenantId", "tenant")]
    [InlineData("-TenantId a", "InvalidTenantId", "tenant")]
    [InlineData("-AccessToken abc -Identity", "SignInConflict", "-AccessToken")]
    [InlineData("-AccessToken abc -TenantId contoso.onmicrosoft.com", "SignInConflict", "-AccessToken")]
    public void Bad_sign_in_parameters_end_the_command_before_any_request(string parameters, string errorId, string reason)
    {
        var ids = new[] { NewId(), NewId() };
        var before = Emulator.TokenRequests.Count;

        using var session = NewSession();
        var result = session.Run($"$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus {parameters}", Url, NewSubscription(), ids);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal($"GetCacheOperationStatusCommand{errorId},OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains(reason, error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(RequestsFor(ids[0]));
        Assert.Equal(before, Emulator.TokenRequests.Count);
    }

    [Fact]
    public void Every_cmdlet_takes_the_same_sign_in_parameters()
    {
        using var session = NewSession();
        var result = session.Run("Get-Command -Module OpStatus | ForEach-Object { $c = $_; 'AccessToken', 'Identity', 'ClientId', 'TenantId' | ForEach-Object { '{0}:{1}' -f $c.Name, $c.Parameters.ContainsKey($_) } }");

        Assert.Equal(4 * ModuleTests.ManifestCmdlets().Length, result.Output.Count);
        Assert.All(result.Output, o => Assert.EndsWith(":True", o.BaseObject.ToString()!, StringComparison.Ordinal));
    }
}

/// <summary>Sign-in that changes what the whole process shares: environment variables and token lifetimes.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class SignInEnvironmentTests : TestBase
{
    public SignInEnvironmentTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void AZURE_TOKEN_CREDENTIALS_picks_the_credential_of_the_default_chain()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        try
        {
            // Only the Azure CLI, which this machine does not have: no managed-identity request, and an error.
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential");
            var before = Emulator.TokenRequests.Count;
            using (var session = NewSession())
            {
                var refused = Cache(session, NewSubscription(), id);
                var error = Assert.Single(refused.Errors);
                Assert.Equal("GetCacheOperationStatusCommandAuthenticationFailed,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
                Assert.Contains("AzureCliCredential", error.Exception.Message, StringComparison.Ordinal);
            }

            Assert.Equal(before, Emulator.TokenRequests.Count);

            // Only the managed identity: the runbook setting that skips the probing.
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential");
            using (var session = NewSession())
            {
                AssertNoErrors(Cache(session, NewSubscription(), id));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", null);
        }
    }

    [Fact]
    public void The_developer_chain_is_tried_in_order_and_named_in_the_error()
    {
        // The developer tools of the chain (Visual Studio, Azure CLI, Azure PowerShell, azd): none is on
        // this machine, and none of them sends a request anywhere.
        var id = NewId();
        try
        {
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", "dev");
            using var session = NewSession();
            var result = Cache(session, NewSubscription(), id);

            var error = Assert.Single(result.Errors);
            Assert.Equal("GetCacheOperationStatusCommandAuthenticationFailed,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
            var message = error.Exception.Message;
            var order = new[] { "AzureCliCredential", "AzurePowerShellCredential", "AzureDeveloperCliCredential" }
                .Select(name => message.IndexOf(name, StringComparison.Ordinal)).ToArray();
            Assert.All(order, index => Assert.True(index >= 0, message));
            Assert.Equal(order.OrderBy(i => i), order);
            Assert.Contains("az login", message, StringComparison.Ordinal);
            Assert.Empty(RequestsFor(id));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", null);
        }
    }

    [Fact]
    public void A_short_lived_token_is_refreshed_between_calls()
    {
        var endpoint = Url.Replace("127.0.0.1", "[::1]", StringComparison.Ordinal);
        var ids = new[] { NewId(), NewId() };
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody("Running", id)));
        }

        var lifetime = Emulator.TokenLifetime;
        Emulator.TokenLifetime = TimeSpan.FromSeconds(1);
        try
        {
            int Count() => Emulator.TokenRequests.Count(t => t.Resource.Contains("[::1]", StringComparison.Ordinal) && t.ClientId == "0b5a9f7e-2c3d-4e5f-8a9b-1c2d3e4f5a6b");
            var before = Count();
            using var session = NewSession();
            const string Read = "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -Identity -ClientId 0b5a9f7e-2c3d-4e5f-8a9b-1c2d3e4f5a6b";
            AssertNoErrors(session.Run(Read, endpoint, ids[0]));
            Thread.Sleep(1500);
            AssertNoErrors(session.Run(Read, endpoint, ids[1]));

            Assert.Equal(2, Count() - before);
            Assert.All(ids, id => Assert.True(RequestsFor(id).Single().Authorized));
        }
        finally
        {
            Emulator.TokenLifetime = lifetime;
        }
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x", "GetCacheOperationStatusCommand")]
    [InlineData("Wait-OperationStatus -ResourceManagerEndpoint $args[0] -Uri ($args[0] + 'subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/x?api-version=2024-10-01')", "WaitOperationStatusCommand")]
    public void Sign_in_settings_Azure_Identity_refuses_give_an_error_of_the_command_never_silence(string command, string prefix)
    {
        try
        {
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", "NoSuchCredential");
            using var session = NewSession();
            var result = session.Run(command + "; 'after'", Url);

            Assert.Equal("after", Assert.Single(result.Output).BaseObject);
            var error = Assert.Single(result.Errors);
            Assert.Equal($"{prefix}AuthenticationFailed,OpStatus.Commands.{prefix}", error.FullyQualifiedErrorId);
            Assert.Equal(System.Management.Automation.ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("AZURE_TOKEN_CREDENTIALS", error.Exception.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS", null);
        }
    }
}
