using System;
using System.Security;

namespace OpStatus.Engine;

/// <summary>
/// A command's sign-in parameters, as a value: -AccessToken, or -Identity with -ClientId, or the default chain with
/// -TenantId and -ClientId. It checks them before any request and gives the credential for a cloud; equal parameters
/// share one credential and its tokens for the whole session.
/// </summary>
internal sealed class SignIn
{
    private readonly object gate = new();
    private AuthenticatedPipelines? accessTokenCredential;
    private AuthenticatedPipelines? lastCredential;
    private Uri? lastAuthority;
    private readonly AuthenticatedPipelines? only;

    public SignIn(SecureString? accessToken = null, bool identity = false, string? clientId = null, string? tenantId = null)
    {
        AccessToken = accessToken;
        Identity = identity;
        ClientId = clientId;
        TenantId = tenantId;
    }

    /// <summary>Sign-in that always gives one credential, whatever the cloud (the engine tests: a fake one).</summary>
    internal SignIn(AuthenticatedPipelines only) => this.only = only;

    public SecureString? AccessToken { get; }

    public bool Identity { get; }

    public string? ClientId { get; }

    public string? TenantId { get; }

    /// <summary>True when any sign-in parameter was given: statuses piped to Wait then take this credential instead of their own.</summary>
    public bool Given => AccessToken is not null || Identity || ClientId is not null || TenantId is not null;

    /// <summary>
    /// What is wrong with the parameters, or null: they are the same for every item, so a bad one ends the command
    /// before any request.
    /// </summary>
    public InvalidInput? Problem()
    {
        if (AccessToken is not null && (Identity || ClientId is not null || TenantId is not null))
        {
            return new InvalidInput("SignInConflict", "-AccessToken already carries a signed-in identity: give it alone, or leave it out and sign in with -Identity, -ClientId or -TenantId.", null);
        }

        if (AccessToken is not null && AuthenticatedPipelines.IsEmptyAccessToken(AccessToken))
        {
            return new InvalidInput("InvalidAccessToken", "-AccessToken is empty. Give the token itself, for example (Get-AzAccessToken).Token or the output of 'az account get-access-token --query accessToken --output tsv', or leave -AccessToken out to sign in.", null);
        }

        if (InputValidation.CheckClientId(ClientId) is { } badClient)
        {
            return new InvalidInput("InvalidClientId", badClient, null);
        }

        return InputValidation.CheckTenantId(TenantId) is { } badTenant ? new InvalidInput("InvalidTenantId", badTenant, null) : null;
    }

    /// <summary>A request read before, to read again: with this command's credential when it gave sign-in parameters, else as it was.</summary>
    public OperationRequest ReadAgain(OperationRequest request) => Given ? request.WithCredential(CredentialFor(request.Cloud)) : request;

    /// <summary>A parameter that has no effect with the others, in words for a warning; null when there is none.</summary>
    public string? Warning() => Identity && TenantId is not null
        ? "-TenantId has no effect with -Identity: a managed identity signs in to the tenant it belongs to."
        : null;

    /// <summary>The credential for a cloud: -AccessToken as given; otherwise the managed identity or the default chain, signing in at the cloud's authority.</summary>
    public AuthenticatedPipelines CredentialFor(AzureCloud cloud)
    {
        lock (gate)
        {
            if (only is not null)
            {
                return only;
            }

            if (AccessToken is not null)
            {
                return accessTokenCredential ??= AuthenticatedPipelines.FromAccessToken(AccessToken);
            }

            // The parameters and the environment do not change within one command: look the shared credential up
            // once per authority, not once per item.
            if (lastCredential is not null && lastAuthority == cloud.AuthorityHost)
            {
                return lastCredential;
            }

            lastAuthority = cloud.AuthorityHost;
            return lastCredential = Identity
                ? AuthenticatedPipelines.ManagedIdentity(cloud.AuthorityHost, ClientId)
                : AuthenticatedPipelines.Default(cloud.AuthorityHost, TenantId, ClientId);
        }
    }
}
