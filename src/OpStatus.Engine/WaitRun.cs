using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace OpStatus.Engine;

/// <summary>
/// One Wait-OperationStatus command: takes statuses, async-operation URLs and start responses as they come, polls the
/// unfinished ones all at the same time (<see cref="OperationWaiter"/>), and reports through the command's output each
/// final status as soon as its operation ends, the error of each that failed, was canceled, timed out or could not be
/// followed, its verbose lines, and its progress. <see cref="CompleteAsync"/> completes when every operation has ended
/// (with -Any, the first).
/// </summary>
internal sealed class WaitRun : IDisposable
{
    private readonly CommandContext context;
    private readonly bool any;
    private readonly TrustedHosts trusted;
    private readonly OperationWaiter waiter;
    private readonly WaitProgress progress;
    private readonly object gate = new();
    private readonly TaskCompletionSource<bool> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDisposable ticker;
    private readonly bool readResource;
    private readonly TimeSpan? timeout;
    private readonly ConcurrentDictionary<int, (OperationRequest Request, DateTimeOffset? Deadline)> resources = new();
    private readonly List<Task> resourceReads = new();
    private readonly CancellationTokenSource stopping;
    private int? winner;
    private int next;
    private int unfinished;
    private bool inputEnded;
    private bool satisfied;

    /// <param name="any">-Any: the first operation to end is the one result.</param>
    /// <param name="readResource">False with -NoResource: no resource is read after an operation started by a response succeeds.</param>
    public WaitRun(CommandContext context, WaitOptions options, bool any, TrustedHosts trusted, bool readResource = true)
    {
        this.context = context;
        this.readResource = readResource;
        timeout = options.Timeout;
        stopping = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
        this.any = any;
        this.trusted = trusted;
        progress = new WaitProgress(context.Output, context.Clock, context.ProgressBar);
        waiter = new OperationWaiter(options, context.Output, OnEvent, context.Stopping, context.Clock);
        ticker = context.Clock.Every(TimeSpan.FromSeconds(1), Tick);
    }

    /// <summary>True once -Any has its result: later input is not waited on.</summary>
    public bool Satisfied
    {
        get
        {
            lock (gate)
            {
                return satisfied;
            }
        }
    }

    /// <summary>True when every operation still waited on waits for its next poll (see <see cref="OperationWaiter.Quiet"/>).</summary>
    internal bool Quiet => waiter.Quiet;

    /// <summary>A status read before: a final one is passed on, another is polled with the request it was read with (or this command's sign-in, when it gave one).</summary>
    public void AddStatus(OperationStatus status)
    {
        if (Satisfied)
        {
            return;
        }

        var request = context.SignIn.ReadAgain(OperationRequest.Of(status));
        if (status.IsTerminal)
        {
            Finish(new WaitFinished(Receive(null), request, status));
            return;
        }

        context.Announce(request);
        var index = Receive(request);
        lock (gate)
        {
            progress.Polled(index, status);
        }

        waiter.Add(index, request, status);
    }

    /// <summary>A null given as input: an error of its own, in its place among the others, never skipped in silence.</summary>
    public void RefuseNull() => context.Output.Error(CommandError.Refused(new InvalidInput(
        "NullInput",
        "Wait-OperationStatus was given a null value, so there is nothing to wait on. The command that should have made it wrote no status, most often a Get command whose error was silenced: see that error ($Error), or give -ErrorAction Stop to the Get command.",
        null)));

    /// <summary>An object that is no status, response or URL (the body Invoke-RestMethod returns): an error that says so.</summary>
    public void RefuseBody() => context.Output.Error(CommandError.Refused(AsyncOperationUri.NoOperationUrl(null)));

    /// <summary>An async-operation URL given with -Uri: polled at once when tokens may go to its host, refused otherwise.</summary>
    public void AddUri(Uri uri) => AddUrl(uri, firstDelay: null, header: null);

    /// <summary>
    /// The response of a request that started an operation: poll the URL of its operation header (after its
    /// Retry-After), or, when it has none, report what the response itself says: done, or failed.
    /// </summary>
    public void AddResponse(StartResponse response)
    {
        if (Satisfied)
        {
            return;
        }

        var outcome = response.Decide(context.SignIn);
        switch (outcome.Kind)
        {
            case StartOutcomeKind.Poll:
                if (AddUrl(outcome.PollUri!, outcome.RetryAfter, outcome.Header) is { } index && readResource)
                {
                    FollowResource(index, response);
                }

                return;
            case StartOutcomeKind.Done:
                if (context.Output.VerboseEnabled)
                {
                    context.Output.Verbose(outcome.Note!);
                }

                Finish(new WaitFinished(Receive(null), outcome.Request!, outcome.Status!));
                return;
        }

        var (category, suffix) = outcome.Kind switch
        {
            StartOutcomeKind.InvalidHeader => (FailureCategory.InvalidData, string.Empty),
            StartOutcomeKind.RequestFailed => (FailureCategory.InvalidResult, FailureClassifier.CodeSuffix(outcome.ServerCode)),
            _ => (FailureCategory.InvalidArgument, string.Empty),
        };
        context.Output.Error(CommandError.Refused(outcome.Invalid!, category, suffix));
    }

    /// <summary>The input has ended: completes when every operation received has ended, or -Any has its result.</summary>
    public Task CompleteAsync()
    {
        lock (gate)
        {
            inputEnded = true;
            EndIfDone();
        }

        return done.Task;
    }

    /// <summary>Stops every loop (Ctrl+C, -Any satisfied, an error that ends the command); they report nothing more.</summary>
    public void Cancel()
    {
        stopping.Cancel();
        waiter.Cancel();
    }

    public void Dispose()
    {
        ticker.Dispose();
        // Ends every loop and resource read before anything they use is released: no background work outlives the command.
        stopping.Cancel();
        waiter.Dispose();
        Task[] reads;
        lock (gate)
        {
            reads = resourceReads.ToArray();
        }

        // A read cancelled ends at once; one that ignores cancellation is given a second, as the loops are.
        Task.WhenAll(reads).ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(1));
        stopping.Dispose();
    }

    /// <summary>Polls an async-operation URL; returns the operation's number, or null when the URL was refused.</summary>
    private int? AddUrl(Uri uri, TimeSpan? firstDelay, string? header)
    {
        if (Satisfied)
        {
            return null;
        }

        var request = AsyncOperationUri.RequestFor(uri, trusted, context.SignIn, out var invalid);
        if (request is null)
        {
            var message = header is null ? invalid!.Message : $"The {header} header of the response: {invalid!.Message}";
            context.Output.Error(new CommandError(new ArgumentException(message), invalid.ErrorId, FailureCategory.InvalidArgument, uri));
            return null;
        }

        context.Announce(request);
        var index = Receive(request);
        waiter.Add(index, request, null, firstDelay);
        return index;
    }

    /// <summary>
    /// Notes where to read the resource of an operation started by this response once it succeeds, when the rules name a
    /// URL and tokens may go to its host; says under -Verbose why not otherwise.
    /// </summary>
    private void FollowResource(int index, StartResponse response)
    {
        if (response.FinalResource(out var reason) is not { } url)
        {
            if (context.Output.VerboseEnabled)
            {
                context.Output.Verbose($"The resource will not be read once the operation ends: {reason}.");
            }

            return;
        }

        if (AsyncOperationUri.RequestFor(url, trusted, context.SignIn, out var refused) is { } request)
        {
            // The read counts against the operation's -Timeout, like its polls.
            resources[index] = (request, timeout is { } limit ? context.Clock.GetUtcNow() + limit : null);
        }
        else if (context.Output.VerboseEnabled)
        {
            context.Output.Verbose($"The resource at {url.GetLeftPart(UriPartial.Path)} will not be read once the operation ends: {refused!.Message}");
        }
    }

    /// <summary>
    /// Reads the resource of an operation that succeeded, within its -Timeout, then reports the operation; a read that
    /// fails or runs out of time is a warning, never the operation's error, and the operation is reported all the same.
    /// </summary>
    private async Task FinishWithResourceAsync(WaitFinished finished, OperationRequest resource, DateTimeOffset? deadline)
    {
        var where = resource.Uri.GetLeftPart(UriPartial.Path);
        var operation = InputValidation.Printable(finished.Status.OperationId);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        using var timer = deadline is { } end ? context.Clock.CancelAfter(reading, end - context.Clock.GetUtcNow()) : null;
        try
        {
            finished.Status.Resource = await OperationStatusReader.ReadResourceAsync(resource, context.Output, reading.Token).ConfigureAwait(false);
            if (context.Output.VerboseEnabled)
            {
                context.Output.Verbose($"Read the resource of operation '{operation}' from {where}.");
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped: nothing more is reported.
            return;
        }
        catch (OperationCanceledException)
        {
            context.Output.Warning($"Operation '{operation}' succeeded, but its resource at {where} was not read before -Timeout ran out, so its Resource is empty.");
        }
        catch (Exception ex)
        {
            var why = ex is OperationStatusException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            context.Output.Warning($"Operation '{operation}' succeeded, but its resource could not be read from {where}, so its Resource is empty: {why} Give -NoResource to skip this read.");
        }

        Finish(finished);
    }

    /// <summary>Numbers a received operation (from 0, in the order received) and counts it; one still to poll is shown in the progress.</summary>
    private int Receive(OperationRequest? polled)
    {
        lock (gate)
        {
            var index = next++;
            unfinished++;
            progress.Received(index, polled);
            return index;
        }
    }

    /// <summary>What a loop reported, from any thread: turned into output, errors, verbose lines and progress, in the order reported.</summary>
    private void OnEvent(WaitEvent e)
    {
        switch (e)
        {
            case WaitFinished finished:
                if (resources.TryRemove(e.Index, out var resource) && WaitMessages.OutcomeOf(finished.Status) == WaitOutcome.Succeeded)
                {
                    lock (gate)
                    {
                        if (any)
                        {
                            if (satisfied)
                            {
                                return;
                            }

                            // -Any: this operation is the one result; no other may end meanwhile, while its resource is read.
                            satisfied = true;
                            winner = e.Index;
                            waiter.Cancel();
                        }

                        resourceReads.Add(FinishWithResourceAsync(finished, resource.Request, resource.Deadline));
                    }

                    return;
                }

                Finish(finished);
                return;
            case WaitPolled polled:
                lock (gate)
                {
                    if (context.Output.VerboseEnabled)
                    {
                        context.Output.Verbose(WaitMessages.Polled(polled));
                    }

                    progress.Polled(e.Index, polled.Status);
                }

                return;
            case WaitPollFailed pollFailed:
                if (context.Output.VerboseEnabled)
                {
                    context.Output.Verbose(WaitMessages.PollFailed(pollFailed));
                }

                return;
            case WaitAbandoned abandoned:
                var error = FailureClassifier.ErrorOf(abandoned.Error);
                if (error.EndsCommand)
                {
                    // No token can be had: no operation can be read, so this error ends the command.
                    Cancel();
                }

                End(e.Index, WaitEnd.Failed, () => context.Output.Error(error));
                return;
            case WaitTimedOut timedOut:
                End(e.Index, WaitEnd.TimedOut, () => context.Output.Error(new CommandError(
                    WaitMessages.TimedOut(timedOut, timeout.GetValueOrDefault()),
                    "Timeout",
                    FailureCategory.OperationTimeout,
                    (object?)timedOut.LastStatus ?? e.Request.Uri)));
                return;
        }
    }

    /// <summary>An operation that ended: its final status, then, when it failed or was canceled, its error.</summary>
    private void Finish(WaitFinished finished)
    {
        lock (gate)
        {
            if (any && satisfied && finished.Index != winner)
            {
                // -Any has its one result: an operation that ended in the same moment is not written.
                return;
            }

            if (context.Output.VerboseEnabled)
            {
                context.Output.Verbose(WaitMessages.Finished(finished));
            }

            var failure = WaitMessages.Failure(finished.Status);
            End(finished.Index, failure is null ? WaitEnd.Succeeded : WaitEnd.Failed, () =>
            {
                context.Output.Output(finished.Status);
                if (failure is not null)
                {
                    var canceled = WaitMessages.OutcomeOf(finished.Status) == WaitOutcome.Canceled;
                    context.Output.Error(new CommandError(
                        failure,
                        (canceled ? "OperationCanceled" : "OperationFailed") + FailureClassifier.CodeSuffix(finished.Status.Error?.Code),
                        canceled ? FailureCategory.OperationStopped : FailureCategory.InvalidResult,
                        finished.Status));
                }
            });

            if (any)
            {
                satisfied = true;
                winner = null;
                Cancel();
                progress.EndAll();
                EndIfDone();
            }
        }
    }

    /// <summary>Reports how an operation ended and counts it; the last one completes the wait.</summary>
    private void End(int index, WaitEnd end, Action report)
    {
        lock (gate)
        {
            if (any && satisfied && index != winner)
            {
                return;
            }

            progress.Ended(index, end);
            report();
            unfinished--;
            EndIfDone();
        }
    }

    private void EndIfDone()
    {
        // Under -Any, the result whose resource is still being read (the winner) holds the end until it is written.
        if (((satisfied && winner is null) || (inputEnded && unfinished == 0)) && !done.Task.IsCompleted)
        {
            ticker.Dispose();
            progress.Finish();
            done.TrySetResult(true);
        }
    }

    private void Tick()
    {
        lock (gate)
        {
            if (!done.Task.IsCompleted)
            {
                progress.Tick();
            }
        }
    }
}
