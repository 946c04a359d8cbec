using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Wait-OperationStatus: waits until operations end, all at the same time, and writes each final status as
/// soon as its operation ends.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "OperationStatus", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(OperationStatus))]
public sealed class WaitOperationStatusCommand : OpStatusCommand
{
    private const string InputObjectSet = "InputObject";
    private const string UriSet = "Uri";
    private const string ResponseSet = "Response";
    private const int ParentActivityId = 1;

    private readonly BlockingCollection<WaitEvent> events = new();
    private RelayLog log = null!;
    private const int MaxOperationRecords = 5;
    private readonly SortedDictionary<int, ProgressEntry> activities = new();
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan lastTick;
    private int failedCount;
    private OperationWaiter? waiter;
    private int added;
    private int ended;
    private bool anySatisfied;

    /// <summary>Statuses read by Get-DevCenterOperationStatus, Get-CacheOperationStatus or Get-LogAnalyticsOperationStatus.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public OperationStatus[] InputObject { get; set; } = Array.Empty<OperationStatus>();

    /// <summary>Async-operation URLs, as returned in the Azure-AsyncOperation, Operation-Location or Location header.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = UriSet)]
    [Alias("AsyncOperationUri", "OperationLocation")]
    public Uri[] Uri { get; set; } = Array.Empty<Uri>();

    /// <summary>
    /// Responses of the requests that started operations: an HttpResponseMessage, what Invoke-WebRequest or
    /// Invoke-AzRestMethod returns, or a hashtable of response headers.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ResponseSet)]
    [ValidateNotNull]
    public OperationResponse[] Response { get; set; } = Array.Empty<OperationResponse>();

    /// <summary>Another cloud's Resource Manager endpoint, whose host may receive tokens (with -Uri or -Response).</summary>
    [Parameter(ParameterSetName = UriSet)]
    [Parameter(ParameterSetName = ResponseSet)]
    public Uri? ResourceManagerEndpoint { get; set; }

    /// <summary>A Dev Center endpoint whose host may receive Dev Center tokens (with -Uri or -Response).</summary>
    [Parameter(ParameterSetName = UriSet)]
    [Parameter(ParameterSetName = ResponseSet)]
    public Uri? Endpoint { get; set; }

    /// <summary>Seconds to wait for each operation, counted from when Wait receives it; -1 (the default) waits as long as it takes.</summary>
    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    /// <summary>Seconds between polls when the service sends no Retry-After; without it, 1, 1, 1, 2, 4, 8, 16, then every 30 s.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int PollingInterval { get; set; }

    /// <summary>Return as soon as the first operation ends.</summary>
    [Parameter]
    public SwitchParameter Any { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ParameterSetName is UriSet or ResponseSet)
        {
            foreach (var (value, name) in new[] { (ResourceManagerEndpoint, nameof(ResourceManagerEndpoint)), (Endpoint, nameof(Endpoint)) })
            {
                // Every URL of the command is judged against these hosts: a bad one leaves nothing to do.
                if (value is not null && InputValidation.CheckEndpoint(value, "-" + name) is { } problem)
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException(problem), ErrorIdPrefix + "Invalid" + name, ErrorCategory.InvalidArgument, value));
                }
            }
        }

        log = NewLog();
        var options = new WaitOptions
        {
            Timeout = Timeout >= 0 ? TimeSpan.FromSeconds(Timeout) : null,
            PollingInterval = MyInvocation.BoundParameters.ContainsKey(nameof(PollingInterval)) ? TimeSpan.FromSeconds(PollingInterval) : null,
        };
        waiter = new OperationWaiter(options, log, events.Add, StopToken);
    }

    protected override void ProcessRecord()
    {
        if (anySatisfied)
        {
            return;
        }

        if (ParameterSetName == InputObjectSet)
        {
            AddStatuses();
        }
        else if (ParameterSetName == ResponseSet)
        {
            foreach (var response in Response)
            {
                AddResponse(response);
            }
        }
        else
        {
            foreach (var uri in Uri)
            {
                AddUrl(uri, firstDelay: null, header: null);
            }
        }

        DrainEvents(block: false);
    }

    /// <summary>Statuses read before: the final ones are passed on, the others are polled with the request they were read with.</summary>
    private void AddStatuses()
    {
        foreach (var status in InputObject)
        {
            if (anySatisfied)
            {
                // -Any is satisfied by a status given before: the rest of this array is not waited on.
                break;
            }

            var index = added++;
            var readWith = OperationRequest.Of(status);
            var request = SignInGiven ? readWith.WithCredential(ResolveCredential(readWith.Cloud)) : readWith;
            if (status.IsTerminal)
            {
                WriteEvent(new WaitFinished(index, request, status));
            }
            else
            {
                AnnounceSignIn(request);
                StartProgress(index, request);
                UpdateProgress(index, status);
                waiter!.Add(index, request, status);
            }
        }
    }

    /// <summary>Starts waiting on an async-operation URL (from -Uri, or from the header of a response), when tokens may go to its host.</summary>
    private void AddUrl(Uri uri, TimeSpan? firstDelay, string? header)
    {
        var request = AsyncOperationUri.RequestFor(uri, ResourceManagerEndpoint, Endpoint, ResolveCredential, out var invalid);
        if (request is null)
        {
            var message = header is null ? invalid!.Message : $"The {header} header of the response: {invalid!.Message}";
            WriteError(new ErrorRecord(new ArgumentException(message), ErrorIdPrefix + invalid.ErrorId, ErrorCategory.InvalidArgument, uri));
            return;
        }

        AnnounceSignIn(request);
        var index = added++;
        StartProgress(index, request);
        waiter!.Add(index, request, null, firstDelay);
    }

    /// <summary>
    /// One started operation: poll the URL of its operation header (after its Retry-After), or, when it has
    /// none, write what the response itself says: done, or failed.
    /// </summary>
    private void AddResponse(OperationResponse response)
    {
        var outcome = new StartResponse(response.StatusCode, response.Headers, response.Content, response.RequestUri).Decide(ResolveCredential);
        switch (outcome.Kind)
        {
            case StartOutcomeKind.Poll:
                AddUrl(outcome.PollUri!, outcome.RetryAfter, outcome.Header);
                return;
            case StartOutcomeKind.Done:
                WriteVerbose(outcome.Note!);
                WriteEvent(new WaitFinished(added++, outcome.Request!, outcome.Status!));
                return;
        }

        var (category, suffix) = outcome.Kind switch
        {
            StartOutcomeKind.InvalidHeader => (ErrorCategory.InvalidData, string.Empty),
            StartOutcomeKind.RequestFailed => (ErrorCategory.InvalidResult, CodeSuffix(outcome.ServerCode)),
            _ => (ErrorCategory.InvalidArgument, string.Empty),
        };
        WriteInvalidInput(outcome.Invalid!, category, suffix);
    }

    protected override void EndProcessing()
    {
        DrainEvents(block: true);
        WriteProgress(new ProgressRecord(ParentActivityId, Activity(), "Done") { RecordType = ProgressRecordType.Completed });
    }

    protected override void StopProcessing()
    {
        base.StopProcessing();
        waiter?.Cancel();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Ends every loop before anything they use is released: no background work outlives the command.
            waiter?.Dispose();
            events.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes what the loops reported; with block, until every operation has ended.</summary>
    private void DrainEvents(bool block)
    {
        while (!anySatisfied)
        {
            log.Drain(this);
            WaitEvent? next;
            if (!block)
            {
                if (!events.TryTake(out next))
                {
                    return;
                }
            }
            else
            {
                if (waiter!.Running == 0 && events.Count == 0)
                {
                    log.Drain(this);
                    return;
                }

                try
                {
                    if (!events.TryTake(out next, 100, StopToken))
                    {
                        Tick();
                        continue;
                    }
                }
                catch (OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }
            }

            // The lines the poll logged come before what its result says: causal order.
            log.Drain(this);
            WriteEvent(next);
            Tick();
        }
    }

    /// <summary>Turns what a loop reported into output, errors, verbose lines and progress.</summary>
    private void WriteEvent(WaitEvent e)
    {
        switch (e)
        {
            case WaitPolled polled:
                WriteVerbose(WaitMessages.Polled(polled));
                UpdateProgress(e.Index, polled.Status);
                break;
            case WaitPollFailed failed:
                WriteVerbose(WaitMessages.PollFailed(failed));
                break;
            case WaitFinished when Any && anySatisfied:
                // -Any has its one result: an operation that ended in the same moment is not written.
                break;
            case WaitFinished finished:
                WriteFinished(finished);
                break;
            case WaitAbandoned abandoned when abandoned.Error.Kind == FailureKind.Authentication:
                // No token can be had: no operation can be read, so one error ends the command.
                waiter?.Cancel();
                ThrowTerminatingError(ToErrorRecord(abandoned.Error));
                break;
            case WaitAbandoned abandoned:
                MarkEnded(e.Index, failed: true);
                WriteError(ToErrorRecord(abandoned.Error));
                break;
            case WaitTimedOut timedOut:
                MarkEnded(e.Index, failed: true);
                WriteError(new ErrorRecord(WaitMessages.TimedOut(timedOut, Timeout), ErrorIdPrefix + "Timeout", ErrorCategory.OperationTimeout, (object?)timedOut.LastStatus ?? e.Request.Uri));
                break;
        }
    }

    /// <summary>An operation that ended: its final status, then, when it failed or was canceled, its error.</summary>
    private void WriteFinished(WaitFinished finished)
    {
        WriteVerbose(WaitMessages.Finished(finished));
        var failure = WaitMessages.Failure(finished.Status);
        MarkEnded(finished.Index, failed: failure is not null);
        WriteObject(finished.Status);
        if (failure is not null)
        {
            var canceled = WaitMessages.OutcomeOf(finished.Status) == WaitOutcome.Canceled;
            WriteError(new ErrorRecord(
                failure,
                ErrorIdPrefix + (canceled ? "OperationCanceled" : "OperationFailed") + CodeSuffix(finished.Status.Error?.Code),
                canceled ? ErrorCategory.OperationStopped : ErrorCategory.InvalidResult,
                finished.Status));
        }

        if (Any)
        {
            anySatisfied = true;
            waiter?.Cancel();
            foreach (var index in new List<int>(activities.Keys))
            {
                MarkEnded(index, failed: false);
            }
        }
    }

    private string Activity() => added == 1 ? "Waiting for 1 operation" : $"Waiting for {added} operations";

    /// <summary>
    /// Progress that stays readable at hundreds of operations: the parent record (done, failed, running, time
    /// waited) always, and a record for each of the few longest-waited operations still running; both tick
    /// every second, between polls too.
    /// </summary>
    private void StartProgress(int index, OperationRequest request)
    {
        activities[index] = new ProgressEntry($"{request.Service.Name} operation {request.OperationId}", clock.Elapsed);
        ShowRecords();
        WriteOverallProgress();
    }

    private void WriteOverallProgress()
    {
        var failed = failedCount > 0 ? $" ({failedCount} failed)" : string.Empty;
        WriteProgress(new ProgressRecord(ParentActivityId, Activity(), $"{ended} of {added} done{failed}, {activities.Count} running, waited {clock.Elapsed:hh\\:mm\\:ss}")
        {
            PercentComplete = Math.Min(100, 100 * ended / Math.Max(1, added)),
        });
    }

    private void UpdateProgress(int index, OperationStatus status)
    {
        if (activities.TryGetValue(index, out var entry))
        {
            entry.Status = $"{status.Status}{WaitMessages.Percent(status)}";
            entry.Percent = status.PercentComplete is { } percent ? (int)Math.Max(0, Math.Min(100, percent)) : -1;
            if (entry.Shown)
            {
                WriteRecord(index, entry);
            }
        }
    }

    /// <summary>Every second: the parent record and the shown operations' time waited move on.</summary>
    private void Tick()
    {
        if (clock.Elapsed - lastTick < TimeSpan.FromSeconds(1) || activities.Count == 0)
        {
            return;
        }

        lastTick = clock.Elapsed;
        WriteOverallProgress();
        foreach (var pair in activities)
        {
            if (pair.Value.Shown)
            {
                WriteRecord(pair.Key, pair.Value);
            }
        }
    }

    /// <summary>Gives a record to the longest-waited operations still running, up to the cap.</summary>
    private void ShowRecords()
    {
        var shown = 0;
        foreach (var pair in activities)
        {
            if (shown++ >= MaxOperationRecords)
            {
                break;
            }

            if (!pair.Value.Shown)
            {
                pair.Value.Shown = true;
                WriteRecord(pair.Key, pair.Value);
            }
        }
    }

    private void WriteRecord(int index, ProgressEntry entry) =>
        WriteProgress(new ProgressRecord(index + 2, entry.Activity, $"{entry.Status}, waited {clock.Elapsed - entry.ReceivedAt:hh\\:mm\\:ss}")
        {
            ParentActivityId = ParentActivityId,
            PercentComplete = entry.Percent,
        });

    private void MarkEnded(int index, bool failed)
    {
        ended++;
        failedCount += failed ? 1 : 0;
        if (activities.TryGetValue(index, out var entry))
        {
            activities.Remove(index);
            if (entry.Shown)
            {
                WriteProgress(new ProgressRecord(index + 2, entry.Activity, "Done") { ParentActivityId = ParentActivityId, RecordType = ProgressRecordType.Completed });
            }

            ShowRecords();
        }

        WriteOverallProgress();
    }

    /// <summary>What the progress of one operation shows.</summary>
    private sealed class ProgressEntry
    {
        public ProgressEntry(string activity, TimeSpan receivedAt)
        {
            Activity = activity;
            ReceivedAt = receivedAt;
        }

        public string Activity { get; }

        public TimeSpan ReceivedAt { get; }

        public string Status { get; set; } = "Waiting";

        public int Percent { get; set; } = -1;

        public bool Shown { get; set; }
    }
}
