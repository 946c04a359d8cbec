using System;
using System.Management.Automation;
using System.Security;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// What every OpStatus cmdlet shares: the sign-in parameters, cancellation on Ctrl+C, reading one status with
/// its diagnostics relayed to the pipeline, and turning failures into ErrorRecords.
/// </summary>
public abstract class OpStatusCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private AuthenticatedPipelines? accessTokenCredential;
    private AuthenticatedPipelines? lastCredential;
    private Uri? lastAuthority;
    private bool verboseShown;
    private readonly System.Collections.Generic.HashSet<string> announced = new(StringComparer.Ordinal);
    private bool debugShown;

    /// <summary>
    /// A token to use instead of signing in: a SecureString (as Get-AzAccessToken returns), a plain string,
    /// or the object Get-AzAccessToken returns.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    [SecureStringTransformation]
    public SecureString? AccessToken { get; set; }

    /// <summary>Sign in with a managed identity only, as Connect-AzAccount -Identity (with -ClientId for a user-assigned one).</summary>
    [Parameter]
    public SwitchParameter Identity { get; set; }

    /// <summary>The client id of a user-assigned managed identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>The Microsoft Entra tenant to sign in to: its id or a domain name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TenantId { get; set; }

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken StopToken => stopping.Token;

    /// <summary>The name error ids start with, as in GetCacheOperationStatusCommandInvalidLocation.</summary>
    protected string ErrorIdPrefix => GetType().Name;

    protected override void StopProcessing() => stopping.Cancel();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the command holds; PowerShell calls Dispose when the pipeline ends.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            stopping.Dispose();
        }
    }

    /// <summary>True when any sign-in parameter was given.</summary>
    protected bool SignInGiven => AccessToken is not null || Identity.IsPresent || ClientId is not null || TenantId is not null;

    /// <summary>
    /// Checks the sign-in parameters once, before any item: they are the same for every item, so a bad one
    /// ends the command.
    /// </summary>
    protected override void BeginProcessing()
    {
        verboseShown = IsStreamShown("Verbose", "VerbosePreference");
        debugShown = IsStreamShown("Debug", "DebugPreference");
        string? problem = null;
        var id = "SignInConflict";
        if (AccessToken is not null && (Identity.IsPresent || ClientId is not null || TenantId is not null))
        {
            problem = "-AccessToken already carries a signed-in identity: give it alone, or leave it out and sign in with -Identity, -ClientId or -TenantId.";
        }
        else if (AccessToken is not null && AuthenticatedPipelines.IsEmptyAccessToken(AccessToken))
        {
            (problem, id) = ("-AccessToken is empty. Give the token itself, for example (Get-AzAccessToken).Token or the output of 'az account get-access-token --query accessToken --output tsv', or leave -AccessToken out to sign in.", "InvalidAccessToken");
        }
        else if (InputValidation.CheckClientId(ClientId) is { } badClient)
        {
            (problem, id) = (badClient, "InvalidClientId");
        }
        else if (InputValidation.CheckTenantId(TenantId) is { } badTenant)
        {
            (problem, id) = (badTenant, "InvalidTenantId");
        }

        if (problem is not null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(problem), ErrorIdPrefix + id, ErrorCategory.InvalidArgument, null));
        }

        if (ReadThrottle.SettingsProblem() is { } badLimit)
        {
            WriteWarning(badLimit);
        }

        if (Identity.IsPresent && TenantId is not null)
        {
            WriteWarning("-TenantId has no effect with -Identity: a managed identity signs in to the tenant it belongs to.");
        }
    }

    /// <summary>
    /// The credential for this call, from the sign-in parameters: -AccessToken; -Identity (with -ClientId);
    /// or the default chain of the cloud (with -TenantId and -ClientId). Equal parameters share one
    /// credential and its tokens for the whole session.
    /// </summary>
    private protected AuthenticatedPipelines ResolveCredential(AzureCloud cloud)
    {
        if (AccessToken is not null)
        {
            return accessTokenCredential ??= AuthenticatedPipelines.FromAccessToken(AccessToken);
        }

        // The sign-in parameters and the environment do not change within one command: look the shared
        // credential up once per authority, not once per item.
        if (lastCredential is not null && lastAuthority == cloud.AuthorityHost)
        {
            return lastCredential;
        }

        lastAuthority = cloud.AuthorityHost;
        return lastCredential = Identity.IsPresent
            ? AuthenticatedPipelines.ManagedIdentity(cloud.AuthorityHost, ClientId)
            : AuthenticatedPipelines.Default(cloud.AuthorityHost, TenantId, ClientId);
    }

    /// <summary>The non-terminating error of a value refused before any request: InvalidArgument unless told otherwise; the id may end in a code.</summary>
    private protected void WriteInvalidInput(InvalidInput invalid, ErrorCategory category = ErrorCategory.InvalidArgument, string idSuffix = "") =>
        WriteError(new ErrorRecord(new ArgumentException(invalid.Message), ErrorIdPrefix + invalid.ErrorId + idSuffix, category, invalid.Target));

    /// <summary>
    /// Reads one status on the pipeline thread and writes it, or writes the error that stopped it. Its
    /// Verbose and Debug lines follow. Ctrl+C cancels the read and stops the pipeline.
    /// </summary>
    private protected void ReadAndWrite(OperationRequest request)
    {
        AnnounceSignIn(request);
        var log = NewLog();
        OperationStatus status;
        try
        {
            status = log.VerboseEnabled || log.DebugEnabled ? ReadShowingDiagnostics(request, log) : OperationStatusReader.Read(request, log, StopToken);
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (OperationStatusException ex) when (ex.Kind == FailureKind.Authentication)
        {
            // Without a token no item can be read: one error, and the command ends.
            log.Drain(this);
            ThrowTerminatingError(ToErrorRecord(ex));
            return;
        }
        catch (OperationStatusException ex)
        {
            log.Drain(this);
            WriteError(ToErrorRecord(ex));
            return;
        }

        log.Drain(this);
        WriteObject(status);
    }

    /// <summary>
    /// A read whose Verbose and Debug lines reach the host as they happen (a retry's line before the retries
    /// end): the read runs on the thread pool, and this, the pipeline thread, writes the lines meanwhile.
    /// </summary>
    private OperationStatus ReadShowingDiagnostics(OperationRequest request, RelayLog log)
    {
        var reading = OperationStatusReader.ReadAsync(request, log, StopToken);
        WaitDraining(reading, log);
        return reading.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits on the pipeline thread for background work to end, writing its Verbose and Debug lines meanwhile
    /// (and calling <paramref name="tick"/>, for progress). Ctrl+C ends the wait with PipelineStoppedException.
    /// </summary>
    private protected void WaitDraining(Task work, RelayLog log, Action? tick = null)
    {
        // Waits without throwing, so that the work's own exception comes out of GetResult as it was thrown.
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(50))
        {
            log.Drain(this);
            tick?.Invoke();
            if (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        log.Drain(this);
    }

    /// <summary>Says under -Verbose, once per credential and audience in this command, how it signs in; never a token.</summary>
    private protected void AnnounceSignIn(OperationRequest request)
    {
        if (verboseShown && announced.Add(request.Credential.Description + "|" + request.Scope))
        {
            WriteVerbose($"Signing in with {request.Credential.Description} for {request.Scope}; its tokens are kept for the session.");
        }
    }

    /// <summary>A log that formats only what this command's Verbose and Debug preferences will show.</summary>
    private protected RelayLog NewLog() => new(verboseShown, debugShown);

    /// <summary>Whether a stream is shown: its common parameter when given, else its preference variable.</summary>
    private bool IsStreamShown(string parameter, string preferenceVariable)
    {
        if (MyInvocation.BoundParameters.TryGetValue(parameter, out var bound))
        {
            return bound is SwitchParameter { IsPresent: true } || bound is true;
        }

        var preference = GetVariableValue(preferenceVariable);
        if (preference is PSObject wrapped)
        {
            preference = wrapped.BaseObject;
        }

        return preference switch
        {
            ActionPreference action => action is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore),
            string text => !(text.Equals("SilentlyContinue", StringComparison.OrdinalIgnoreCase) || text.Equals("Ignore", StringComparison.OrdinalIgnoreCase)),
            _ => false,
        };
    }

    /// <summary>An ErrorRecord for a failed read: a category that fits, an id that names the server's code, the operation id as target.</summary>
    private protected ErrorRecord ToErrorRecord(OperationStatusException ex)
    {
        var (category, id) = ex.Kind switch
        {
            FailureKind.Authentication => (ErrorCategory.AuthenticationError, "AuthenticationFailed"),
            FailureKind.Network => (ErrorCategory.ConnectionError, "ConnectionFailed"),
            FailureKind.Timeout => (ErrorCategory.OperationTimeout, "Timeout"),
            FailureKind.InvalidResponse => (ErrorCategory.InvalidResult, "InvalidResponse"),
            FailureKind.NameResolution => (ErrorCategory.ConnectionError, "NameNotResolved"),
            FailureKind.Certificate => (ErrorCategory.SecurityError, "CertificateNotTrusted"),
            FailureKind.Unexpected => (ErrorCategory.NotSpecified, "UnexpectedFailure"),
            _ => (HttpCategory(ex.StatusCode ?? 0), "Http" + ex.StatusCode + CodeSuffix(ex.ErrorCode)),
        };

        return new ErrorRecord(ex, ErrorIdPrefix + id, category, ex.OperationId);
    }

    private static ErrorCategory HttpCategory(int status) => status switch
    {
        400 => ErrorCategory.InvalidArgument,
        401 => ErrorCategory.AuthenticationError,
        403 => ErrorCategory.PermissionDenied,
        404 or 410 => ErrorCategory.ObjectNotFound,
        408 => ErrorCategory.OperationTimeout,
        409 => ErrorCategory.ResourceBusy,
        429 => ErrorCategory.LimitsExceeded,
        >= 500 => ErrorCategory.ResourceUnavailable,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>".Code" to end an error id with a service's error code (only its safe characters), or nothing without one.</summary>
    private protected static string CodeSuffix(string? code) => code is { Length: > 0 } ? "." + SafeId(code) : string.Empty;

    private static string SafeId(string code)
    {
        var safe = Regex.Replace(code, "[^A-Za-z0-9_.-]", string.Empty);
        return safe.Length > 64 ? safe.Substring(0, 64) : safe;
    }
}
