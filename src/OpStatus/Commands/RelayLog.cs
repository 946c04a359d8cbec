using System.Collections.Concurrent;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>Collects engine diagnostics from any thread; the pipeline thread writes them out.</summary>
internal sealed class RelayLog : IOperationLog
{
    private readonly ConcurrentQueue<(bool Verbose, string Text)> lines = new();

    public RelayLog(bool verboseEnabled, bool debugEnabled)
    {
        VerboseEnabled = verboseEnabled;
        DebugEnabled = debugEnabled;
    }

    public bool VerboseEnabled { get; }

    public bool DebugEnabled { get; }

    public void Verbose(string message) => lines.Enqueue((true, message));

    public void Debug(string message) => lines.Enqueue((false, message));

    /// <summary>Writes what has been collected; call only on the pipeline thread.</summary>
    public void Drain(Cmdlet cmdlet)
    {
        while (lines.TryDequeue(out var line))
        {
            if (line.Verbose)
            {
                cmdlet.WriteVerbose(line.Text);
            }
            else
            {
                cmdlet.WriteDebug(line.Text);
            }
        }
    }
}
