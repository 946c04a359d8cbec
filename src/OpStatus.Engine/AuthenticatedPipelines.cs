using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace OpStatus.Engine;

/// <summary>
/// How to get tokens, and the HTTP pipelines that use them. Equal sign-in parameters give the same instance
/// for the whole session, so a hundred calls or a three-hour wait share one credential, one token cache and
/// one pipeline per token scope.
/// </summary>
internal sealed class AuthenticatedPipelines
{
    private static readonly ConcurrentDictionary<string, AuthenticatedPipelines> Shared = new(StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, HttpPipeline> pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<TokenCredential> credential;

    private AuthenticatedPipelines(string description, Func<TokenCredential> createCredential, PipelineSettings? settings = null)
    {
        Description = description;
        credential = new Lazy<TokenCredential>(createCredential, LazyThreadSafetyMode.ExecutionAndPublication);
        Settings = settings ?? PipelineSettings.Session;
    }

    /// <summary>A credential of the caller's own, with pipelines of the given settings (the engine tests: a fake transport).</summary>
    internal AuthenticatedPipelines(string description, TokenCredential credential, PipelineSettings settings)
        : this(description, () => credential, settings)
    {
    }

    /// <summary>What this credential is, in words fit for a message (never a secret).</summary>
    public string Description { get; }

    /// <summary>How its pipelines retry, time out and send.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>True for a token given with -AccessToken, which is never refreshed.</summary>
    public bool IsStaticToken { get; private set; }

    /// <summary>True for a managed identity alone (-Identity), whose failure outside Azure needs advice of its own.</summary>
    public bool IsManagedIdentity { get; private set; }

    /// <summary>True for the default Azure.Identity chain, whose failures need sign-in advice.</summary>
    public bool IsDefaultChain { get; private set; }

    /// <summary>
    /// The default Azure.Identity chain (environment, workload identity, managed identity, Visual Studio,
    /// Azure CLI, Azure PowerShell, Azure Developer CLI) signing in at the given authority. It honours
    /// AZURE_TOKEN_CREDENTIALS and the AZURE_* variables; a change to them gives a new credential.
    /// </summary>
    /// <param name="authorityHost">The cloud's sign-in authority.</param>
    /// <param name="tenantId">The tenant to sign in to, or null for the credential's own.</param>
    /// <param name="managedIdentityClientId">The client id of a user-assigned managed identity, or null.</param>
    public static AuthenticatedPipelines Default(Uri authorityHost, string? tenantId = null, string? managedIdentityClientId = null) =>
        Shared.GetOrAdd($"default|{authorityHost.AbsoluteUri}|{tenantId}|{managedIdentityClientId}|{EnvironmentFingerprint()}", _ => new AuthenticatedPipelines(
            DefaultChainDescription(tenantId),
            () =>
            {
                var options = new DefaultAzureCredentialOptions { AuthorityHost = authorityHost };
                if (tenantId is not null)
                {
                    options.TenantId = tenantId;
                }

                if (managedIdentityClientId is not null)
                {
                    options.ManagedIdentityClientId = managedIdentityClientId;
                }

                return new DefaultAzureCredential(options);
            })
        {
            IsDefaultChain = true,
        });

    private static string DefaultChainDescription(string? tenantId)
    {
        var only = Environment.GetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS");
        var narrowed = string.IsNullOrWhiteSpace(only) ? string.Empty : $" narrowed by AZURE_TOKEN_CREDENTIALS={only.Trim()}";
        var tenant = tenantId is null ? string.Empty : $" in tenant {tenantId}";
        return $"the default Azure credential chain{narrowed}{tenant}";
    }

    /// <summary>
    /// A managed identity only, as Connect-AzAccount -Identity: system-assigned, or user-assigned by client id.
    /// In Azure Automation it reads IDENTITY_ENDPOINT and IDENTITY_HEADER.
    /// </summary>
    public static AuthenticatedPipelines ManagedIdentity(Uri authorityHost, string? clientId = null) =>
        Shared.GetOrAdd($"identity|{authorityHost.AbsoluteUri}|{clientId}|{EnvironmentFingerprint()}", _ => new AuthenticatedPipelines(
            clientId is null ? "the system-assigned managed identity" : $"the user-assigned managed identity with client id {clientId}",
            () => new ManagedIdentityCredential(new ManagedIdentityCredentialOptions(
                clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            {
                AuthorityHost = authorityHost,
            }))
        {
            IsManagedIdentity = true,
        });

    /// <summary>
    /// A digest of the environment variables credentials read when they are made, so that a session whose
    /// variables change (a runbook that sets AZURE_TOKEN_CREDENTIALS, say) gets a new credential. Values
    /// are hashed, never kept.
    /// </summary>
    private static string EnvironmentFingerprint()
    {
        var text = new System.Text.StringBuilder();
        foreach (var name in FingerprintVariables)
        {
            text.Append(name).Append('=').Append(Environment.GetEnvironmentVariable(name)).Append('\n');
        }

        using var sha = System.Security.Cryptography.SHA256.Create();
        var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        return BitConverter.ToString(hash, 0, 12).Replace("-", string.Empty);
    }

    private static readonly string[] FingerprintVariables =
    {
        "AZURE_TOKEN_CREDENTIALS", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_USERNAME",
        "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
    };

    /// <summary>A token the caller already has. It is read from the SecureString only when a request needs it.</summary>
    public static AuthenticatedPipelines FromAccessToken(SecureString token)
    {
        var copy = token.Copy();
        copy.MakeReadOnly();
        return new AuthenticatedPipelines("the access token given with -AccessToken", () => new StaticTokenCredential(copy)) { IsStaticToken = true };
    }

    /// <summary>The pipeline for one token scope: token, retry with Retry-After, request ids, User-Agent, diagnostics.</summary>
    internal HttpPipeline PipelineFor(string scope) =>
        pipelines.GetOrAdd(scope, s => OpStatusPipeline.Build(credential.Value, s, Settings));

    /// <summary>
    /// A pipeline of its own for one retry after a plain 401: its bearer policy holds no token yet, so it asks the
    /// credential again (a credential may still answer from a cache of its own; a static -AccessToken gives the same
    /// token), and the shared pipeline, which other operations use, is left alone.
    /// </summary>
    internal HttpPipeline FreshPipelineFor(string scope) => OpStatusPipeline.Build(credential.Value, scope, Settings);

    private const string BearerPrefix = "Bearer ";

    /// <summary>True when a token given with -AccessToken holds nothing but white space or the word Bearer.</summary>
    public static bool IsEmptyAccessToken(SecureString token)
    {
        var text = StaticTokenCredential.RevealForCheck(token).Trim();
        return text.Length == 0 || text.Equals(BearerPrefix.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private sealed class StaticTokenCredential : TokenCredential
    {
        private readonly SecureString token;

        public StaticTokenCredential(SecureString token) => this.token = token;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(WithoutScheme(Reveal(token)), DateTimeOffset.MaxValue);

        /// <summary>A token pasted from an Authorization header ("Bearer eyJ...") is the token after the scheme.</summary>
        private static string WithoutScheme(string value) =>
            value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? value.Substring(BearerPrefix.Length).Trim() : value.Trim();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));

        internal static string RevealForCheck(SecureString secure) => Reveal(secure);

        private static string Reveal(SecureString secure)
        {
            var pointer = IntPtr.Zero;
            try
            {
                pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(pointer) ?? string.Empty;
            }
            finally
            {
                if (pointer != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(pointer);
                }
            }
        }
    }
}
