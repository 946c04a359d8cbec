using System.Management.Automation;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Tokens: where they come from, for which audience, how often, and that they never show.</summary>
/// <remarks>Alone, after the classes that run in parallel: some of these count every token request of the process.</remarks>
[Collection(IsolatedCollection.Name)]
public sealed class CredentialTests : TestBase
{
    /// <summary>The engine's cloud table, reached through its assembly: it lives in the module's private load context.</summary>
    private const string EngineType =
        "$cloud = ([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'OpStatus.Engine' }).GetType('OpStatus.Engine.AzureCloud'); ";

    public CredentialTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public void The_default_chain_uses_the_managed_identity_endpoint_as_Azure_Automation_provides_it()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        AssertNoErrors(Cache(session, NewSubscription(), id));

        Assert.True(RequestsFor(id).Single().Authorized);
        Assert.Contains(Emulator.TokenRequests, t => t.Granted && t.Resource == Emulator.ResourceManagerAudience);
    }

    [Fact]
    public void Dev_Center_asks_for_its_own_audience()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));

        using var session = NewSession();
        AssertNoErrors(session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1]", Url, id));

        Assert.True(RequestsFor(id).Single().Authorized);
        Assert.Contains(Emulator.TokenRequests, t => t.Granted && t.Resource == "https://devcenter.azure.com");
    }

    [Fact]
    public void A_token_is_fetched_once_for_many_calls_across_runspaces()
    {
        var ids = Enumerable.Range(0, 8).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, Ok(StatusBody("Running", id)));
        }

        int Count() => Emulator.TokenRequests.Count(t => t.Resource == Emulator.ResourceManagerAudience);
        var before = Count();
        using (var first = NewSession())
        {
            foreach (var id in ids[..4])
            {
                AssertNoErrors(Cache(first, NewSubscription(), id));
            }
        }

        using (var second = NewSession())
        {
            AssertNoErrors(second.Run("$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus", Url, NewSubscription(), ids[4..]));
        }

        Assert.True(Count() - before <= 1, $"{Count() - before} token requests for 8 calls");
        Assert.All(ids, id => Assert.True(RequestsFor(id).Single().Authorized));
    }

    [Theory]
    [Trait("Reliability", "Secrets")]
    [InlineData("plain")]
    [InlineData("secure")]
    [InlineData("azAccessToken")]
    [InlineData("bearer")]
    public void AccessToken_is_accepted_as_string_SecureString_or_Get_AzAccessToken_output(string form)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        var token = Emulator.IssueToken(Emulator.ResourceManagerAudience);
        var before = Emulator.TokenRequests.Count;

        using var session = NewSession();
        var expression = form switch
        {
            "plain" => "$raw",
            "bearer" => "\"Bearer $raw\"",
            "secure" => "$s = [securestring]::new(); foreach ($c in $raw.ToCharArray()) { $s.AppendChar($c) }; $s",
            _ => "$s = [securestring]::new(); foreach ($c in $raw.ToCharArray()) { $s.AppendChar($c) }; [pscustomobject]@{ Token = $s; ExpiresOn = [datetimeoffset]::Now.AddHours(1); Type = 'Bearer' }",
        };
        var result = session.Run(
            $"$raw = $args[3]; $token = & {{ {expression} }}; Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2] -AccessToken $token",
            Url, NewSubscription(), id, token);

        AssertNoErrors(result);
        Assert.True(RequestsFor(id).Single().Authorized);
        Assert.DoesNotContain(token, result.AllText());
        Assert.Equal(before, Emulator.TokenRequests.Count);
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void A_refused_AccessToken_is_an_AuthenticationError_that_does_not_repeat_the_token()
    {
        var id = NewId();
        const string secret = "eyJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLXZhbHVl.sig";

        using var session = NewSession();
        var result = session.Run(
            "$DebugPreference = 'Continue'; Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -AccessToken $args[2] -Verbose",
            Url, id, secret);

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandHttp401.InvalidAuthenticationToken,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
        Assert.Contains("The token given with -AccessToken was refused", error.Exception.Message);
        Assert.DoesNotContain(secret, result.AllText());
        // The same 401 rule as Wait: one more try with a token asked for anew, then the error.
        Assert.Equal(2, RequestsFor(id).Count(r => r.ResponseStatus == 401));
        Assert.Contains(result.Verbose, v => v.Contains("refused the token (401)", StringComparison.Ordinal));
        Assert.DoesNotContain("c2VjcmV0LXRva2VuLXZhbHVl", result.AllText());
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void A_token_for_the_wrong_audience_is_refused_by_the_service()
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Running", id)));
        var devCenterToken = Emulator.IssueToken(AzureEmulator.DevCenterAudience);

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id, $"-AccessToken '{devCenterToken}'");

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandHttp401.InvalidAuthenticationTokenAudience,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.DoesNotContain(devCenterToken, result.AllText());
    }

    [Theory]
    [InlineData("AzureCloud", "https://management.azure.com/", "https://management.azure.com/.default", "https://login.microsoftonline.com/")]
    [InlineData("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://management.usgovcloudapi.net/.default", "https://login.microsoftonline.us/")]
    [InlineData("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default", "https://login.chinacloudapi.cn/")]
    public void Each_cloud_has_its_endpoint_audience_and_authority(string name, string endpoint, string scope, string authority)
    {
        using var session = NewSession();
        var result = session.Run(EngineType + "$c = $cloud::FindByName($args[0]); [string]$c.ResourceManagerEndpoint; $c.ResourceManagerScope; [string]$c.AuthorityHost", name.ToLowerInvariant());

        AssertNoErrors(result);
        Assert.Equal(new[] { endpoint, scope, authority }, result.Output.Select(o => o.BaseObject.ToString()).ToArray());
    }

    [Fact]
    public void A_custom_Resource_Manager_endpoint_is_its_own_audience()
    {
        using var session = NewSession();
        var result = session.Run(EngineType + "$cloud::Custom([uri]'https://management.local.azurestack.external/').ResourceManagerScope; $cloud::Custom([uri]'https://MANAGEMENT.azure.com').Name");

        AssertNoErrors(result);
        Assert.Equal(new[] { "https://management.local.azurestack.external/.default", "AzureCloud" }, result.Output.Select(o => o.BaseObject.ToString()).ToArray());
    }
}

/// <summary>Sign-in failure: one clear terminating error with the ways to sign in, and no secret.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class CredentialFailureTests : TestBase
{
    public CredentialFailureTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void When_no_credential_can_sign_in_one_terminating_error_says_how_to_sign_in()
    {
        // The emulator's spare origin: a scope no other test asks for, so no token is cached for it. The
        // subscription is this run's own, so the last assertion sees only this test's requests.
        var subscription = Guid.NewGuid().ToString();
        var endpoint = Emulator.SpareUri.ToString();
        Emulator.FailNextTokenRequests(1000, status: 400);
        try
        {
            using var session = NewSession();
            var result = session.Run(
                "$DebugPreference = 'Continue'; @('a1', 'a2', 'a3') | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -Verbose",
                endpoint,
                subscription);

            // ThrowTerminatingError ends the statement: one error for the three items, none of them read.
            Assert.Empty(result.Output);
            var error = Assert.Single(result.Errors);
            Assert.Equal("GetCacheOperationStatusCommandAuthenticationFailed,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            foreach (var advice in new[] { "az login", "Connect-AzAccount", "managed identity", "AZURE_CLIENT_ID", "-AccessToken" })
            {
                Assert.Contains(advice, error.Exception.Message);
            }

            // Short and actionable: one line per credential tried, no troubleshooting links, nothing about
            // packages the user cannot add; Azure.Identity's whole text stays in the inner exception.
            var message = error.Exception.Message;
            Assert.True(message.Length < 1500, $"the message has {message.Length} characters");
            Assert.DoesNotContain("troubleshooting guide", message);
            Assert.DoesNotContain("Azure.Identity.Broker", message);
            Assert.Contains(message.Split('\n'), line => line.StartsWith("- ManagedIdentityCredential: ", StringComparison.Ordinal));
            Assert.Contains("troubleshooting guide", error.Exception.InnerException!.ToString());

            Assert.DoesNotContain(Emulator.IdentityHeader, result.AllText());
            Assert.DoesNotContain(Emulator.Requests, r => r.RawTarget.Contains(subscription, StringComparison.Ordinal));
        }
        finally
        {
            Emulator.FailNextTokenRequests(0);
        }
    }
}
