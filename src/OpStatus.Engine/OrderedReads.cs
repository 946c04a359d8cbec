using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>
/// The reads of one Get command: items are read concurrently, at most <c>limit</c> at a time, and each outcome (the
/// status, or the item's error) is reported in the order the items came, as soon as it and those before it have
/// ended. At most <c>window</c> items are held at once (reading, or read and waiting for those before them), so memory
/// stays bounded whatever the size of the input: <see cref="AddAsync"/> completes when there is room for the next.
/// </summary>
internal sealed class OrderedReads : IDisposable
{
    private const int ProgressId = 1;

    /// <summary>
    /// Items held at most, besides the reads in flight: enough that a few ids that fail after a minute of retries do not
    /// hold back the thousands behind them (each waits for its retries in its slot while the others are read and held),
    /// and few enough that a pipeline of any length stays within a few MB (a held status is a few KB).
    /// </summary>
    public const int HeldAtMost = 4096;

    /// <summary>The window of a -ThrottleLimit: the reads in flight and <see cref="HeldAtMost"/> items.</summary>
    public static int Window(int limit) => Math.Max(2 * limit, HeldAtMost);
    private const string ProgressActivity = "Reading operation statuses";

    private readonly CommandContext context;
    private readonly CancellationTokenSource reading;
    private readonly SemaphoreSlim slots;
    private readonly SemaphoreSlim room;
    private readonly bool showProgress;
    private readonly object progressGate = new();
    private readonly Heartbeat heartbeat;
    private Task written = Task.CompletedTask;
    private IDisposable? ticker;
    private long firstAdded;
    private bool progressStarted;
    private int started;
    private int finished;
    private int writtenCount;
    private bool progressShown;
    private long lastProgress;
    private bool disposed;

    /// <param name="limit">Reads in flight at most.</param>
    /// <param name="window">Items held at most; at least <paramref name="limit"/>.</param>
    /// <param name="showProgress">Whether reads that last more than 2 s report their progress (piped input).</param>
    public OrderedReads(CommandContext context, int limit, int window, bool showProgress)
    {
        this.context = context;
        this.showProgress = showProgress;
        reading = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
        slots = new SemaphoreSlim(Math.Max(1, limit));
        room = new SemaphoreSlim(Math.Max(Math.Max(1, limit), window));
        heartbeat = new Heartbeat(context.Output, context.Clock);
    }

    /// <summary>How many outcomes have been reported.</summary>
    public int Written => Volatile.Read(ref writtenCount);

    /// <summary>
    /// Takes one item: a request to read, or a value refused before any request. Call on one thread, in input order.
    /// Completes when the next item may be given; cancelled when the command is stopped.
    /// </summary>
    public Task AddAsync(OperationRequest? request, InvalidInput? invalid) => AddAsync(request, invalid, failed: null);

    /// <summary>Takes one item that failed before its request could be made (its endpoint could not be found), reported in its place.</summary>
    public Task AddFailedAsync(OperationStatusException failure) => AddAsync(null, null, Task.FromException<OperationStatus>(failure));

    private Task AddAsync(OperationRequest? request, InvalidInput? invalid, Task<OperationStatus>? failed)
    {
        var waiting = room.WaitAsync(reading.Token);
        if (waiting.Status == TaskStatus.RanToCompletion)
        {
            Take(request, invalid, failed);
            return Task.CompletedTask;
        }

        return AddWhenRoomAsync(waiting, request, invalid, failed);
    }

    /// <summary>Completes when every item given has been reported (and the progress record taken away); never faults.</summary>
    public async Task CompleteAsync()
    {
        await written.ConfigureAwait(false);
        lock (progressGate)
        {
            ticker?.Dispose();
            ticker = null;
            heartbeat.End(elapsed => $"Done reading: {Written} read, {Heartbeat.Span(elapsed)} in all");
            if (progressShown)
            {
                context.Output.Progress(new ProgressUpdate(ProgressId, ProgressActivity, "Done", completed: true));
            }
        }
    }

    /// <summary>
    /// Stops the reads still in flight (Ctrl+C, an error that ended the command) and releases what they use once they
    /// have ended: after a second at most here, or later, when a read that ignores cancellation (a credential's own
    /// token call) ends.
    /// </summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        lock (progressGate)
        {
            ticker?.Dispose();
            ticker = null;
        }

        reading.Cancel();
        var tail = written;
        if (tail.Wait(TimeSpan.FromSeconds(1)))
        {
            Release();
        }
        else
        {
            tail.ContinueWith(_ => Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void Release()
    {
        reading.Dispose();
        slots.Dispose();
        room.Dispose();
    }

    private async Task AddWhenRoomAsync(Task waiting, OperationRequest? request, InvalidInput? invalid, Task<OperationStatus>? failed)
    {
        await waiting.ConfigureAwait(false);
        Take(request, invalid, failed);
    }

    /// <summary>Starts the item's read (it waits for a slot) and queues its report behind the report of the item before it.</summary>
    private void Take(OperationRequest? request, InvalidInput? invalid, Task<OperationStatus>? failed)
    {
        StartProgress();
        var read = failed;
        if (request is not null)
        {
            context.Announce(request);
            // Slots are asked for here, in input order: SemaphoreSlim serves its asynchronous waiters first come, first
            // served (as its implementation does; it is not a documented promise), so the item at the head, whose report
            // holds back the rest, is not passed over.
            read = ReadInSlotAsync(slots.WaitAsync(reading.Token), request);
        }

        written = ReportInOrderAsync(written, request, invalid, read);
    }

    private async Task<OperationStatus> ReadInSlotAsync(Task slot, OperationRequest request)
    {
        await slot.ConfigureAwait(false);
        Interlocked.Increment(ref started);
        try
        {
            // A slot freed by a read that Ctrl+C ended can reach a waiter before its own cancellation does.
            reading.Token.ThrowIfCancellationRequested();
            return await OperationStatusReader.ReadAsync(request, context.Output, reading.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref finished);
            slots.Release();
        }
    }

    /// <summary>Reports one item's outcome once the item before it has been reported; never faults.</summary>
    private async Task ReportInOrderAsync(Task previous, OperationRequest? request, InvalidInput? invalid, Task<OperationStatus>? read)
    {
        await previous.ConfigureAwait(false);
        try
        {
            if (reading.IsCancellationRequested)
            {
                // Stopped, or ended by an error that ends the command: nothing more is reported.
                return;
            }

            if (invalid is not null || read is null)
            {
                context.Output.Error(CommandError.Refused(invalid!));
            }
            else
            {
                context.Output.Output(await read.ConfigureAwait(false));
            }
        }
        catch (OperationStatusException ex)
        {
            var error = FailureClassifier.ErrorOf(ex);
            context.Output.Error(error);
            if (error.EndsCommand)
            {
                // Without a token no item can be read: this error ends the command (reported first, so that it is what the
                // command ends with), and the reads in flight stop.
                reading.Cancel();
            }
        }
        catch (OperationCanceledException) when (reading.IsCancellationRequested)
        {
            // Stopped, or ended by an error that ends the command, while this item was read.
        }
        catch (Exception ex)
        {
            // Whatever the read did not foresee is this item's error, never the end of the others.
            var failure = request!.Failure(FailureKind.Unexpected, Sentences.Join($"Reading operation '{InputValidation.Printable(request.OperationId)}' failed unexpectedly: {ex.GetType().Name}: {ex.Message}"), ex);
            context.Output.Error(FailureClassifier.ErrorOf(failure));
        }
        finally
        {
            Interlocked.Increment(ref writtenCount);
            room.Release();
        }
    }

    /// <summary>
    /// For reads that last more than 2 s: how many are written, how many are being read, and the rate, once a second
    /// where a progress bar shows it, every few seconds where progress is recorded; and there, signs of life.
    /// </summary>
    private void StartProgress()
    {
        if (!showProgress || progressStarted)
        {
            return;
        }

        progressStarted = true;
        firstAdded = context.Clock.GetTimestamp();
        lock (progressGate)
        {
            ticker = context.Clock.Every(TimeSpan.FromSeconds(1), ShowProgress);
        }
    }

    private void ShowProgress()
    {
        var elapsed = context.Clock.Since(firstAdded);
        if (elapsed < TimeSpan.FromSeconds(2))
        {
            return;
        }

        var count = Written;
        var inFlight = Volatile.Read(ref started) - Volatile.Read(ref finished);
        var rate = count / Math.Max(0.001, elapsed.TotalSeconds);
        lock (progressGate)
        {
            if (ticker is null)
            {
                return;
            }

            if (!context.ProgressBar)
            {
                heartbeat.Beat(since => $"Reading: {count} read, {inFlight} being read, {Heartbeat.Span(since)} so far");
                if (progressShown && context.Clock.Since(lastProgress) < CommandContext.RecordedProgressInterval)
                {
                    return;
                }
            }

            progressShown = true;
            lastProgress = context.Clock.GetTimestamp();
            context.Output.Progress(new ProgressUpdate(
                ProgressId,
                ProgressActivity,
                string.Format(CultureInfo.InvariantCulture, "{0} read, {1} being read, {2:0.#} a second, {3}", count, inFlight, rate, Heartbeat.Span(elapsed))));
        }
    }
}
