using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// What the three Get cmdlets share: each names its service and declares a parameter for each named segment
/// of the service's status path (SubscriptionId, Location, OperationId, ...); the engine builds the request
/// from those values and the service's description. Piped items are read concurrently, up to -ThrottleLimit
/// at a time, and written in the order they came.
/// </summary>
/// <remarks>
/// The segment parameters allow empty strings and null: the engine refuses them with its own message, in
/// the item's place in the output, where PowerShell's binder would refuse them at once and out of order.
/// </remarks>
public abstract class GetOperationStatusCommand : OpStatusCommand
{
    /// <summary>Reads in flight by default: a thousand reads of 50 ms take a second (bench/README.md), and ARM's 250-read burst is spent in four rounds, after which the read limit sets the pace.</summary>
    internal const int DefaultThrottleLimit = 64;

    private const int ProgressActivityId = 1;

    private static readonly ConcurrentDictionary<(Type, string), PropertyInfo> SegmentProperties = new();

    private readonly Queue<PendingRead> pending = new();
    private readonly Stopwatch clock = new();
    private CancellationTokenSource? reading;
    private SemaphoreSlim? slots;
    private int written;
    private TimeSpan lastProgress;
    private bool progressShown;

    /// <summary>The api-version of the service's operation-status call; the service's default when left out.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string? ApiVersion { get; set; }

    /// <summary>How many piped items are read at the same time; 1 reads them one after another.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>The service this cmdlet reads.</summary>
    private protected abstract AzureService Service { get; }

    /// <summary>The endpoint the path starts at, when the cmdlet was given one (-Endpoint, -ResourceManagerEndpoint).</summary>
    private protected abstract Uri? RootEndpoint { get; }

    /// <summary>The known cloud asked for (-Environment), if any.</summary>
    private protected virtual string? CloudName => null;

    /// <summary>How many items may wait, read or in flight, for those before them: memory stays bounded.</summary>
    private int Window => Math.Max(2, ThrottleLimit * 2);

    protected override void ProcessRecord()
    {
        var query = new StatusQuery { Segments = SegmentValues(), ApiVersion = ApiVersion, Endpoint = RootEndpoint, Environment = CloudName };
        var request = StatusRequestBuilder.Build(Service, query, ResolveCredential, out var invalid);
        if (ThrottleLimit == 1 || !MyInvocation.ExpectingInput)
        {
            // One at a time, or one item given by parameter: read on the pipeline thread, the fastest way to read one.
            if (request is null)
            {
                WriteInvalidInput(invalid!);
            }
            else
            {
                ReadAndWrite(request);
            }

            return;
        }

        pending.Enqueue(request is null ? new PendingRead(invalid!) : new PendingRead(request, NewLog()));
        StartNewReads();
        WriteFinished(keepAtMost: Window - 1);
    }

    protected override void EndProcessing()
    {
        WriteFinished(keepAtMost: 0);
        if (progressShown)
        {
            WriteProgress(new ProgressRecord(ProgressActivityId, ProgressActivity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && reading is not null)
        {
            // Reads still in flight (Ctrl+C, an error that ended the command) end before what they use is released.
            reading.Cancel();
            var tasks = new List<Task>();
            foreach (var read in pending)
            {
                if (read.Status is not null)
                {
                    tasks.Add(read.Status);
                }
            }

            // A second at most, so that Ctrl+C stays prompt; a read that ignores cancellation (a credential's own
            // token call) releases what it uses when it ends.
            var (token, gate) = (reading, slots);
            var all = tasks.ToArray();
            if (WaitQuietly(all, TimeSpan.FromSeconds(1)))
            {
                token.Dispose();
                gate?.Dispose();
            }
            else
            {
                Task.WhenAll(all).ContinueWith(
                    _ =>
                    {
                        token.Dispose();
                        gate?.Dispose();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        base.Dispose(disposing);
    }

    private static string ProgressActivity => "Reading operation statuses";

    /// <summary>Starts the reads queued but not started yet: the item just received.</summary>
    private void StartNewReads()
    {
        foreach (var read in pending)
        {
            if (read.Request is { } request && read.Status is null)
            {
                read.Status = StartRead(request, read.Log!);
            }
        }
    }

    /// <summary>Starts one read; it waits for one of the -ThrottleLimit slots, then runs until its first wait on the pipeline thread and on the thread pool after.</summary>
    private Task<OperationStatus> StartRead(OperationRequest request, RelayLog log)
    {
        AnnounceSignIn(request);
        clock.Start();
        reading ??= CancellationTokenSource.CreateLinkedTokenSource(StopToken);
        slots ??= new SemaphoreSlim(ThrottleLimit);
        var token = reading.Token;
        // Asked for on the pipeline thread, in input order: SemaphoreSlim serves its asynchronous waiters first
        // come, first served (as its implementation does; it is not a documented promise), so the head of the
        // queue, whose output holds back the rest, is not passed over.
        var slot = slots.WaitAsync(token);
        return ReadInSlotAsync(slot, slots, request, log, token);
    }

    private static async Task<OperationStatus> ReadInSlotAsync(Task slot, SemaphoreSlim gate, OperationRequest request, RelayLog log, CancellationToken token)
    {
        await slot.ConfigureAwait(false);
        try
        {
            // A slot freed by a read that Ctrl+C ended can reach a waiter before its own cancellation does.
            token.ThrowIfCancellationRequested();
            return await OperationStatusReader.ReadAsync(request, log, token).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Writes the reads at the head of the queue that have ended, in input order; waits for the head while more
    /// than <paramref name="keepAtMost"/> items are queued. The head's Verbose lines appear while it is waited for.
    /// </summary>
    private void WriteFinished(int keepAtMost)
    {
        while (pending.Count > 0 && (pending.Peek().IsDone || pending.Count > keepAtMost))
        {
            var head = pending.Peek();
            if (head.Request is { } request && head.Status is null)
            {
                head.Status = StartRead(request, head.Log!);
            }

            if (head.Status is { } status && head.Log is { } log)
            {
                WaitDraining(status, log, ShowProgress);
            }

            pending.Dequeue();
            Write(head);
        }

        ShowProgress();
    }

    private void Write(PendingRead read)
    {
        written++;
        if (read.Invalid is { } invalid)
        {
            WriteInvalidInput(invalid);
            return;
        }

        read.Log!.Drain(this);
        try
        {
            WriteObject(read.Status!.GetAwaiter().GetResult());
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (OperationStatusException ex) when (ex.Kind == FailureKind.Authentication)
        {
            // Without a token no item can be read: the reads in flight stop, one error, and the command ends.
            reading?.Cancel();
            ThrowTerminatingError(ToErrorRecord(ex));
        }
        catch (OperationStatusException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    /// <summary>For reads that last more than 2 s: how many are written, how many wait, and the rate, once a second.</summary>
    private void ShowProgress()
    {
        var elapsed = clock.Elapsed;
        if (elapsed < TimeSpan.FromSeconds(2) || elapsed - lastProgress < TimeSpan.FromSeconds(1))
        {
            return;
        }

        lastProgress = elapsed;
        progressShown = true;
        var rate = written / Math.Max(0.001, elapsed.TotalSeconds);
        var inFlight = 0;
        foreach (var read in pending)
        {
            inFlight += read.IsDone ? 0 : 1;
        }

        WriteProgress(new ProgressRecord(ProgressActivityId, ProgressActivity, $"{written} read, {inFlight} being read, {rate:0.#} a second, {elapsed:hh\\:mm\\:ss}"));
    }

    private static bool WaitQuietly(Task[] tasks, TimeSpan timeout)
    {
        try
        {
            return Task.WaitAll(tasks, timeout);
        }
        catch (AggregateException)
        {
            return true;
        }
    }

    /// <summary>The bound value of each named segment of the service's path: the parameter of the same name.</summary>
    private Dictionary<string, string?> SegmentValues()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Service.Path.Names)
        {
            var property = SegmentProperties.GetOrAdd((GetType(), name), key =>
                key.Item1.GetProperty(key.Item2) ?? throw new InvalidOperationException($"{key.Item1.Name} has no parameter for the path segment {key.Item2}."));
            values[name] = property.GetValue(this) as string;
        }

        return values;
    }

    /// <summary>One piped item: refused before any request, or a read started (its status, its diagnostics).</summary>
    private sealed class PendingRead
    {
        public PendingRead(InvalidInput invalid) => Invalid = invalid;

        public PendingRead(OperationRequest request, RelayLog log)
        {
            Request = request;
            Log = log;
        }

        public InvalidInput? Invalid { get; }

        public OperationRequest? Request { get; }

        public RelayLog? Log { get; }

        /// <summary>The read, once started; null for a refused value and for a read not started yet.</summary>
        public Task<OperationStatus>? Status { get; set; }

        public bool IsDone => Request is null || Status is { IsCompleted: true };
    }
}
