using System;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// What every OpStatus cmdlet shares: the sign-in parameters, and one way to run the engine. The engine works in the
/// background and reports into an <see cref="OutputQueue"/>; the pipeline thread writes what it reports, in order, while
/// it waits (<see cref="WriteUntilDone"/>). Ctrl+C cancels the work and stops the pipeline.
/// </summary>
public abstract class OpStatusCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private OutputQueue? queue;
    private CommandContext? context;
    private bool heartbeatWritable;

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

    /// <summary>What the engine needs of this command: where to report, how to sign in, when to stop. Made in BeginProcessing.</summary>
    private protected CommandContext Context => context ?? throw new InvalidOperationException("BeginProcessing has not run.");

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
            queue?.Close();
            stopping.Cancel();
            stopping.Dispose();
        }
    }

    /// <summary>
    /// Makes the command's context, and checks the sign-in parameters once, before any item: they are the same for every
    /// item, so a bad one ends the command.
    /// </summary>
    protected override void BeginProcessing()
    {
        queue = new OutputQueue(IsStreamShown("Verbose", "VerbosePreference"), IsStreamShown("Debug", "DebugPreference"));
        var signIn = new SignIn(AccessToken, Identity.IsPresent, ClientId, TenantId);
        context = new CommandContext(queue, signIn, stopping.Token, ShowsProgressBar());
        // A sign of life is no problem: where warnings stop the script (-WarningAction Stop or Inquire), none is written.
        heartbeatWritable = Preference("WarningAction", "WarningPreference") is not (ActionPreference.Stop or ActionPreference.Inquire);
        if (signIn.Problem() is { } problem)
        {
            ThrowTerminatingError(ToErrorRecord(CommandError.Refused(problem)));
        }

        if (ReadThrottle.SettingsProblem() is { } badLimit)
        {
            WriteWarning(badLimit);
        }

        if (signIn.Warning() is { } warning)
        {
            WriteWarning(warning);
        }
    }

    /// <summary>
    /// Waits on the pipeline thread until the work has ended, writing meanwhile, in the order reported, what the engine
    /// reports; then everything reported before the work ended. Ctrl+C ends the wait with PipelineStoppedException.
    /// </summary>
    private protected void WriteUntilDone(Task work)
    {
        try
        {
            queue!.WriteUntil(work, Write, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Writes everything reported so far, without waiting for more.</summary>
    private protected void WritePending() => WriteUntilDone(Task.CompletedTask);

    /// <summary>The error of -Environment given with -ResourceManagerEndpoint (the cmdlets that take both), or null.</summary>
    private protected ErrorRecord? CloudConflict(Uri? resourceManagerEndpoint) =>
        resourceManagerEndpoint is not null && MyInvocation.BoundParameters.ContainsKey("Environment")
            ? new ErrorRecord(
                new ArgumentException("-Environment and -ResourceManagerEndpoint exclude each other: -Environment picks a known cloud, -ResourceManagerEndpoint names the Resource Manager of any other. Give one of them."),
                ErrorIdPrefix + "CloudConflict",
                ErrorCategory.InvalidArgument,
                resourceManagerEndpoint)
            : null;

    /// <summary>The error record of an engine error; an error that ends the command is thrown as a terminating error.</summary>
    private protected ErrorRecord ToErrorRecord(CommandError error) =>
        new(error.Exception, ErrorIdPrefix + error.ErrorId, (ErrorCategory)(int)error.Category, error.Target);

    private void Write(OutputQueue.Record record)
    {
        switch (record.Kind)
        {
            case OutputQueue.RecordKind.Output:
                WriteObject(record.Value);
                break;
            case OutputQueue.RecordKind.Error:
                var error = (CommandError)record.Value;
                if (error.EndsCommand)
                {
                    ThrowTerminatingError(ToErrorRecord(error));
                }

                WriteError(ToErrorRecord(error));
                break;
            case OutputQueue.RecordKind.Warning:
                WriteWarning((string)record.Value);
                break;
            case OutputQueue.RecordKind.Information:
                WriteInformation(new InformationRecord(record.Value, MyInvocation.MyCommand.Name));
                break;
            case OutputQueue.RecordKind.Heartbeat:
                if (heartbeatWritable)
                {
                    // The warning stream: the one stream besides output and errors that Azure Automation's job history
                    // keeps by default, and that CI logs show (about_OpStatus: SIGNS OF LIFE IN JOB LOGS).
                    WriteWarning((string)record.Value);
                }

                break;
            case OutputQueue.RecordKind.Verbose:
                WriteVerbose((string)record.Value);
                break;
            case OutputQueue.RecordKind.Debug:
                WriteDebug((string)record.Value);
                break;
            case OutputQueue.RecordKind.Progress:
                var update = (ProgressUpdate)record.Value;
                WriteProgress(new ProgressRecord(update.Id, update.Activity, update.Status)
                {
                    ParentActivityId = update.ParentId,
                    PercentComplete = update.Percent,
                    RecordType = update.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                });
                break;
        }
    }

    /// <summary>
    /// Whether progress shows as a bar, in an interactive host. Where it is recorded rather than shown (a job or remoting,
    /// whose host is ServerRemoteHost; a bare hosted runspace; Azure Automation; pwsh writing to a file or a pipe, as in
    /// CI; or progress turned off), only the overall record is written, every few seconds, and signs of life take the
    /// place of the bar.
    /// </summary>
    private bool ShowsProgressBar()
    {
        if (Preference("ProgressAction", "ProgressPreference") is ActionPreference.SilentlyContinue or ActionPreference.Ignore
            || Host.Name is "ServerRemoteHost" or "Default Host"
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AUTOMATION_ASSET_ACCOUNTID")))
        {
            return false;
        }

        // Reads, never writes, the console: whether pwsh's own host writes to a terminal.
        return !(Host.Name == "ConsoleHost" && Console.IsOutputRedirected);
    }

    /// <summary>Whether a stream is shown: its common parameter when given, else its preference variable.</summary>
    private bool IsStreamShown(string parameter, string preferenceVariable) =>
        Preference(parameter, preferenceVariable) is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);

    /// <summary>The preference of a stream for this command: its common parameter when given (-Verbose, -WarningAction), else its variable.</summary>
    private ActionPreference Preference(string parameter, string preferenceVariable)
    {
        if (MyInvocation.BoundParameters.TryGetValue(parameter, out var bound))
        {
            return bound switch
            {
                SwitchParameter flag => flag.IsPresent ? ActionPreference.Continue : ActionPreference.SilentlyContinue,
                bool flag => flag ? ActionPreference.Continue : ActionPreference.SilentlyContinue,
                ActionPreference action => action,
                _ => ActionPreference.Continue,
            };
        }

        var preference = GetVariableValue(preferenceVariable);
        if (preference is PSObject wrapped)
        {
            preference = wrapped.BaseObject;
        }

        return preference switch
        {
            ActionPreference action => action,
            string text when Enum.TryParse<ActionPreference>(text, ignoreCase: true, out var parsed) => parsed,
            // An unset preference variable: the stream's default (SilentlyContinue for Verbose and Debug, Continue for the others).
            _ => parameter is "Verbose" or "Debug" ? ActionPreference.SilentlyContinue : ActionPreference.Continue,
        };
    }
}
