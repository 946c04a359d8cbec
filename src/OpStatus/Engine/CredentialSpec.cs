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
public sealed class CredentialSpec
{
    private static readonly ConcurrentDictionary<string, CredentialSpec> Shared = new(StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, HttpPipeline> pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<TokenCredential> credential;

    private CredentialSpec(string description, Func<TokenCredential> createCredential)
    {
        Description = description;
        credential = new Lazy<TokenCredential>(createCredential, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>What this credential is, in words fit for a message (never a secret).</summary>
    public string Description { get; }

    /// <summary>True for the default Azure.Identity chain, whose failures need sign-in advice.</summary>
    public bool IsDefaultChain { get; private set; }

    /// <summary>
    /// The default Azure.Identity chain (environment, workload identity, managed identity, Visual Studio,
    /// Azure CLI, Azure PowerShell, Azure Developer CLI) signing in at the given authority.
    /// </summary>
    public static CredentialSpec Default(Uri authorityHost) =>
        Shared.GetOrAdd("default|" + authorityHost.AbsoluteUri, _ => new CredentialSpec(
            "the default Azure credential chain",
            () => new DefaultAzureCredential(new DefaultAzureCredentialOptions { AuthorityHost = authorityHost }))
        {
            IsDefaultChain = true,
        });

    /// <summary>A token the caller already has. It is read from the SecureString only when a request needs it.</summary>
    public static CredentialSpec FromAccessToken(SecureString token)
    {
        var copy = token.Copy();
        copy.MakeReadOnly();
        return new CredentialSpec("the access token given with -AccessToken", () => new StaticTokenCredential(copy));
    }

    /// <summary>The pipeline for one token scope: token, retry with Retry-After, request ids, User-Agent, diagnostics.</summary>
    internal HttpPipeline PipelineFor(string scope) =>
        pipelines.GetOrAdd(scope, s => OpStatusPipeline.Build(credential.Value, s));

    /// <summary>
    /// Drops the pipeline of a scope, and with it the token it cached, so that the next request fetches a fresh
    /// token. Used once when a service refuses a token in the middle of a wait.
    /// </summary>
    internal void ResetPipeline(string scope) => pipelines.TryRemove(scope, out _);

    private sealed class StaticTokenCredential : TokenCredential
    {
        private readonly SecureString token;

        public StaticTokenCredential(SecureString token) => this.token = token;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(Reveal(token), DateTimeOffset.MaxValue);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));

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
