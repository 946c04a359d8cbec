using System;
using System.Collections.Generic;
using System.Threading;

namespace OpStatus.Engine;

/// <summary>
/// Where a read reports its diagnostics (the HTTP pipeline's lines). Implementations accept calls from any thread.
/// </summary>
internal interface IOperationLog
{
    /// <summary>False when nobody will read Verbose lines: they are then not even formatted.</summary>
    bool VerboseEnabled { get; }

    /// <summary>False when nobody will read Debug lines: they are then not even formatted.</summary>
    bool DebugEnabled { get; }

    /// <summary>A line for -Verbose: a request and its answer, a wait, a poll.</summary>
    void Verbose(string message);

    /// <summary>Headers and other detail for -Debug; Authorization and other secrets are already redacted.</summary>
    void Debug(string message);
}

/// <summary>
/// Everything a command shows, as the engine reports it from any thread: output, errors, warnings, information,
/// verbose and debug lines, and progress. The cmdlets' implementation queues each call, in the order made, for the
/// pipeline thread, which alone writes to PowerShell; so a read's lines always come before its result.
/// </summary>
internal interface ICommandOutput : IOperationLog
{
    void Output(object item);

    void Error(CommandError error);

    void Warning(string message);

    /// <summary>A line for the information stream (6).</summary>
    void Information(string message);

    /// <summary>
    /// A sign of life of a long command where no progress bar is shown (<see cref="Engine.Heartbeat"/>): a line that job
    /// logs keep by default.
    /// </summary>
    void Heartbeat(string line);

    void Progress(ProgressUpdate update);
}

/// <summary>What one progress record shows: the engine decides what, the cmdlet makes the ProgressRecord.</summary>
internal sealed class ProgressUpdate
{
    public ProgressUpdate(int id, string activity, string status, int percent = -1, int parentId = -1, bool completed = false)
    {
        Id = id;
        Activity = activity;
        Status = status;
        Percent = percent;
        ParentId = parentId;
        Completed = completed;
    }

    public int Id { get; }

    public string Activity { get; }

    public string Status { get; }

    /// <summary>0 to 100, or -1 when not known.</summary>
    public int Percent { get; }

    /// <summary>The record this one is shown under, or -1.</summary>
    public int ParentId { get; }

    /// <summary>True to take the record away.</summary>
    public bool Completed { get; }
}

/// <summary>
/// What one command gives the engine: where to report, how it signs in, when it is stopped, and the clock. It also
/// says once, under -Verbose, how each credential signs in and for which audience.
/// </summary>
internal sealed class CommandContext
{
    private readonly HashSet<string> announced = new(StringComparer.Ordinal);

    /// <summary>A command's context on the system clock.</summary>
    /// <remarks>
    /// No TimeProvider in this signature: the cmdlets, built against the netstandard2.0 engine (where TimeProvider comes from
    /// Microsoft.Bcl.TimeProvider), run with the .NET 8 one, where it is the framework's.
    /// </remarks>
    public CommandContext(ICommandOutput output, SignIn signIn, CancellationToken stopping, bool progressBar)
        : this(output, signIn, stopping, TimeProvider.System, progressBar)
    {
    }

    public CommandContext(ICommandOutput output, SignIn signIn, CancellationToken stopping, TimeProvider clock, bool progressBar = true)
    {
        Output = output;
        SignIn = signIn;
        Stopping = stopping;
        Clock = clock;
        ProgressBar = progressBar;
    }

    public ICommandOutput Output { get; }

    public SignIn SignIn { get; }

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    public CancellationToken Stopping { get; }

    public TimeProvider Clock { get; }

    /// <summary>
    /// True where a progress bar shows (an interactive console): progress is written as it changes. False where
    /// progress is recorded rather than shown (a job, a runbook, a redirected or CI log): only the overall record, at
    /// most every few seconds, and signs of life on lines of their own (<see cref="Heartbeat"/>).
    /// </summary>
    public bool ProgressBar { get; }

    /// <summary>The shortest time between two progress records where they are recorded rather than shown.</summary>
    public static readonly TimeSpan RecordedProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>Says under -Verbose, once per credential and audience in this command, how it signs in; never a token.</summary>
    public void Announce(OperationRequest request)
    {
        if (!Output.VerboseEnabled)
        {
            return;
        }

        bool first;
        lock (announced)
        {
            first = announced.Add(request.Credential.Description + "|" + request.Scope);
        }

        if (first)
        {
            Output.Verbose($"Signing in with {request.Credential.Description} for {request.Scope}; its tokens are kept for the session.");
        }
    }
}
