using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;

namespace OpStatus.Tests.Infrastructure;

/// <summary>What one script produced on every stream.</summary>
public sealed class ScriptResult
{
    /// <summary>What AllText reads: every stream a user or a log can see, and every exception text.</summary>
    public static readonly string[] StreamsChecked = { "Output", "Error", "Warning", "Verbose", "Debug", "Information", "Progress", "Host", "Exceptions" };

    public required Collection<PSObject> Output { get; init; }

    public required IReadOnlyList<ErrorRecord> Errors { get; init; }

    public required IReadOnlyList<string> Verbose { get; init; }

    public required IReadOnlyList<string> Debug { get; init; }

    public required IReadOnlyList<string> Warning { get; init; }

    public required IReadOnlyList<string> Information { get; init; }

    public required IReadOnlyList<ProgressRecord> Progress { get; init; }

    /// <summary>A terminating error the script threw, if any.</summary>
    public RuntimeException? Terminating { get; init; }

    /// <summary>What the host displayed (Out-Default).</summary>
    public required string HostText { get; init; }

    /// <summary>Everything a user could see or log, as one text: every stream, every error and exception message.</summary>
    public string AllText()
    {
        var text = new StringBuilder();
        foreach (var item in Output)
        {
            text.AppendLine(item?.ToString());
            foreach (var property in item?.Properties ?? Enumerable.Empty<PSPropertyInfo>())
            {
                text.AppendLine(SafeValue(property));
            }
        }

        foreach (var error in Errors.Concat(Terminating?.ErrorRecord is { } record ? new[] { record } : Array.Empty<ErrorRecord>()))
        {
            text.AppendLine(error.ToString());
            text.AppendLine(error.FullyQualifiedErrorId);
            text.AppendLine(error.ErrorDetails?.Message);
            for (var ex = error.Exception; ex is not null; ex = ex.InnerException)
            {
                text.AppendLine(ex.GetType().FullName).AppendLine(ex.Message).AppendLine(ex.ToString());
            }
        }

        foreach (var line in Verbose.Concat(Debug).Concat(Warning).Concat(Information))
        {
            text.AppendLine(line);
        }

        foreach (var progress in Progress)
        {
            text.AppendLine(progress.ToString()).AppendLine(progress.StatusDescription).AppendLine(progress.CurrentOperation);
        }

        text.AppendLine(HostText);
        return text.ToString();
    }

    private static string? SafeValue(PSPropertyInfo property)
    {
        try
        {
            return property.Value?.ToString();
        }
        catch (GetValueException)
        {
            return null;
        }
    }
}

/// <summary>
/// A fresh runspace of the hosted PowerShell 7 engine with the built module imported by its manifest,
/// as a user imports it.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> CapturedTexts = new();
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> CapturedMessages = new();

    private readonly Runspace runspace;
    private readonly CapturingHost host = new();

    public PowerShellSession(bool importModule = true)
    {
        runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
        runspace.Open();
        if (importModule)
        {
            var import = Run("Import-Module -Name $args[0] -ErrorAction Stop", EmulatorFixture.ModuleManifest);
            if (import.Terminating is not null || import.Errors.Count > 0)
            {
                throw new InvalidOperationException("Import-Module failed: " + (import.Terminating?.Message ?? import.Errors[0].ToString()));
            }
        }

        // Every session shows Verbose and Debug, so the suite-wide secret check sees the most it can.
        Run("$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'");
    }

    /// <summary>Everything every session of this run displayed or wrote, for the suite-wide secret check.</summary>
    public static IReadOnlyCollection<string> Captured => CapturedTexts;

    /// <summary>Every error, warning and verbose message of this run, for the suite-wide check of their sentences.</summary>
    public static IReadOnlyCollection<string> Messages => CapturedMessages;

    /// <summary>Runs a script with positional arguments ($args[0], ...) and named variables.</summary>
    public ScriptResult Run(string script, params object?[] args) => Run(script, null, args);

    public ScriptResult Run(string script, IDictionary<string, object?>? variables, params object?[] args)
    {
        using var shell = PowerShell.Create();
        shell.Runspace = runspace;
        if (variables is not null)
        {
            foreach (var (name, value) in variables)
            {
                runspace.SessionStateProxy.SetVariable(name, value);
            }
        }

        shell.AddScript(script);
        foreach (var arg in args)
        {
            shell.AddArgument(arg);
        }

        host.Clear();
        Collection<PSObject> output;
        RuntimeException? terminating = null;
        try
        {
            output = shell.Invoke();
        }
        catch (RuntimeException ex)
        {
            output = new Collection<PSObject>();
            terminating = ex;
        }

        var result = new ScriptResult
        {
            Output = output,
            Errors = shell.Streams.Error.ToArray(),
            Verbose = shell.Streams.Verbose.Select(v => v.Message).ToArray(),
            Debug = shell.Streams.Debug.Select(v => v.Message).ToArray(),
            Warning = shell.Streams.Warning.Select(v => v.Message).ToArray(),
            Information = shell.Streams.Information.Select(v => v.MessageData?.ToString() ?? string.Empty).ToArray(),
            Progress = shell.Streams.Progress.ToArray(),
            Terminating = terminating,
            HostText = host.Text,
        };
        CapturedTexts.Enqueue(result.AllText());
        foreach (var message in result.Errors.Concat(terminating?.ErrorRecord is { } record ? new[] { record } : Array.Empty<ErrorRecord>())
                     .Select(e => e.Exception.Message).Concat(result.Warning).Concat(result.Verbose))
        {
            CapturedMessages.Enqueue(message);
        }

        return result;
    }

    /// <summary>Starts a script without waiting, for tests that stop it.</summary>
    public (PowerShell Shell, IAsyncResult Pending) Start(string script, params object?[] args)
    {
        var shell = PowerShell.Create();
        shell.Runspace = runspace;
        shell.AddScript(script);
        foreach (var arg in args)
        {
            shell.AddArgument(arg);
        }

        return (shell, shell.BeginInvoke());
    }

    public void Dispose() => runspace.Dispose();
}
