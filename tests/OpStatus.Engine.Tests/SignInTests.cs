using System.Security;

namespace OpStatus.Engine.Tests;

public sealed class SignInTests
{
    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        return secure;
    }

    [Theory]
    [InlineData("token", true, null, null, "SignInConflict")]
    [InlineData("  Bearer ", false, null, null, "InvalidAccessToken")]
    [InlineData(null, true, "not-a-guid", null, "InvalidClientId")]
    [InlineData(null, false, null, "not a tenant", "InvalidTenantId")]
    [InlineData(null, true, "00000000-0000-0000-0000-000000000001", "contoso.onmicrosoft.com", null)]
    [InlineData("token", false, null, null, null)]
    public void Bad_sign_in_parameters_are_named_before_any_request(string? token, bool identity, string? clientId, string? tenantId, string? errorId)
    {
        var signIn = new SignIn(token is null ? null : Secure(token), identity, clientId, tenantId);
        Assert.Equal(errorId, signIn.Problem()?.ErrorId);
    }

    [Fact]
    public void TenantId_with_Identity_is_a_warning()
    {
        Assert.NotNull(new SignIn(identity: true, tenantId: "contoso.onmicrosoft.com").Warning());
        Assert.Null(new SignIn(tenantId: "contoso.onmicrosoft.com").Warning());
    }

    [Fact]
    public void Equal_parameters_share_one_credential_and_a_token_is_never_part_of_its_description()
    {
        var first = new SignIn(identity: true).CredentialFor(AzureCloud.Public);
        var second = new SignIn(identity: true).CredentialFor(AzureCloud.Public);
        var token = new SignIn(Secure("secret-value")).CredentialFor(AzureCloud.Public);

        Assert.Same(first, second);
        Assert.True(token.IsStaticToken);
        Assert.DoesNotContain("secret-value", token.Description, StringComparison.Ordinal);
        Assert.False(new SignIn().Given);
        Assert.True(new SignIn(clientId: "00000000-0000-0000-0000-000000000001").Given);
    }
}
