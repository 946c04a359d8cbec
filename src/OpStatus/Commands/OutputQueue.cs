using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// The one way background work reaches PowerShell: the engine reports from any thread (output, errors, warnings,
/// information, verbose, debug, progress) into this queue, in the order it reports, and the pipeline thread, the only
/// one that may call Write*, writes each record in that order while it waits for the work to end.
/// </summary>
internal sealed class OutputQueue : ICommandOutput
{
    private readonly BlockingCollection<Record> records = new(new ConcurrentQueue<Record>());
    private volatile bool closed;

    public OutputQueue(bool verboseEnabled, bool debugEnabled)
    {
        VerboseEnabled = verboseEnabled;
        DebugEnabled = debugEnabled;
    }

    public bool VerboseEnabled { get; }

    public bool DebugEnabled { get; }

    public void Output(object item) => Post(new Record(RecordKind.Output, item));

    public void Error(CommandError error) => Post(new Record(RecordKind.Error, error));

    public void Warning(string message) => Post(new Record(RecordKind.Warning, message));

    public void Information(string message) => Post(new Record(RecordKind.Information, message));

    public void Heartbeat(string line) => Post(new Record(RecordKind.Heartbeat, line));

    public void Verbose(string message) => Post(new Record(RecordKind.Verbose, message));

    public void Debug(string message) => Post(new Record(RecordKind.Debug, message));

    public void Progress(ProgressUpdate update) => Post(new Record(RecordKind.Progress, update));

    /// <summary>
    /// Takes records on the pipeline thread, handing each to <paramref name="write"/>, until <paramref name="work"/> has
    /// ended and everything reported before its end has been handed on; then returns, or rethrows what the work threw.
    /// Throws OperationCanceledException when <paramref name="stopping"/> is cancelled first.
    /// </summary>
    public void WriteUntil(Task work, Action<Record> write, CancellationToken stopping)
    {
        var end = new Record(RecordKind.End, work);
        if (work.IsCompleted)
        {
            Post(end);
        }
        else
        {
            work.ContinueWith(_ => Post(end), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        while (true)
        {
            var record = records.Take(stopping);
            if (record.Kind != RecordKind.End)
            {
                write(record);
            }
            else if (ReferenceEquals(record, end))
            {
                // The work's own exception (or cancellation), as it was thrown.
                work.GetAwaiter().GetResult();
                return;
            }
        }
    }

    /// <summary>The command has ended: what background work reports from now on is dropped.</summary>
    public void Close() => closed = true;

    private void Post(Record record)
    {
        if (!closed)
        {
            records.Add(record);
        }
    }

    internal enum RecordKind
    {
        Output,
        Error,
        Warning,
        Information,
        Heartbeat,
        Verbose,
        Debug,
        Progress,
        End,
    }

    internal sealed class Record
    {
        public Record(RecordKind kind, object value)
        {
            Kind = kind;
            Value = value;
        }

        public RecordKind Kind { get; }

        public object Value { get; }
    }
}
