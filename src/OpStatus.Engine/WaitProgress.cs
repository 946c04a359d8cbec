using System;
using System.Collections.Generic;
using System.Globalization;

namespace OpStatus.Engine;

/// <summary>How Wait stopped waiting for one operation, as its progress counts it.</summary>
internal enum WaitEnd
{
    Succeeded,
    Failed,
    TimedOut,
}

/// <summary>
/// What Wait-OperationStatus shows of its progress. Where a progress bar shows: a parent record (done, failed, running,
/// time waited) always, and under it a record for each of the few longest-waited operations still running (status,
/// percent when the service reports it, time waited since Wait received it), both moving on every second. Where
/// progress is recorded rather than shown (a job, a runbook, a CI log): the parent record alone, at most every few
/// seconds and always its latest state, and signs of life on lines of their own (<see cref="Heartbeat"/>).
/// Not thread-safe: its owner calls it under one lock.
/// </summary>
internal sealed class WaitProgress
{
    private const int ParentId = 1;
    private const int MaxOperationRecords = 5;

    private readonly ICommandOutput output;
    private readonly TimeProvider clock;
    private readonly bool progressBar;
    private readonly Heartbeat heartbeat;
    private readonly SortedDictionary<int, Entry> running = new();
    private int added;
    private int ended;
    private int failed;
    private int timedOut;
    private int leftRunning;
    private long lastOverall;
    private bool overallWritten;
    private bool overallPending;

    public WaitProgress(ICommandOutput output, TimeProvider clock, bool progressBar)
    {
        this.output = output;
        this.clock = clock;
        this.progressBar = progressBar;
        heartbeat = new Heartbeat(output, clock);
    }

    private TimeSpan Elapsed => heartbeat.Elapsed;

    private string Activity => added == 1 ? "Waiting for 1 operation" : string.Format(CultureInfo.InvariantCulture, "Waiting for {0} operations", added);

    /// <summary>"3 of 10 done (1 failed), 6 running"; "2 of 10 done, 1 timed out, 7 running".</summary>
    private string State => string.Format(CultureInfo.InvariantCulture, "{0}, {1} running", Counts, running.Count);

    /// <summary>"3 of 10 done (1 failed)", then how many timed out and how many -Any left running, when any did.</summary>
    private string Counts => string.Format(
        CultureInfo.InvariantCulture,
        "{0} of {1} done{2}{3}{4}",
        ended,
        added,
        failed > 0 ? $" ({failed} failed)" : string.Empty,
        timedOut > 0 ? $", {timedOut} timed out" : string.Empty,
        leftRunning > 0 ? $", {leftRunning} left running" : string.Empty);

    /// <summary>One more operation received: one being polled (with its request) or one already ended (without).</summary>
    public void Received(int index, OperationRequest? polled)
    {
        added++;
        if (polled is not null)
        {
            running[index] = new Entry($"{polled.Service.Name} operation {polled.OperationId}", Elapsed);
            ShowRecords();
            WriteOverall();
        }
    }

    /// <summary>A poll read a status that is not final yet.</summary>
    public void Polled(int index, OperationStatus status)
    {
        if (running.TryGetValue(index, out var entry))
        {
            entry.Status = $"{status.Status}{WaitMessages.Percent(status)}";
            entry.Percent = status.PercentComplete is { } percent ? (int)Math.Max(0, Math.Min(100, percent)) : -1;
            if (entry.Shown)
            {
                Write(index, entry);
            }
        }
    }

    /// <summary>An operation ended, failed or not, or was waited for too long: its record goes, the next longest-waited one gets one.</summary>
    public void Ended(int index, WaitEnd end)
    {
        // A timed-out operation has not ended: it is counted apart, so that no line says it is done.
        ended += end == WaitEnd.TimedOut ? 0 : 1;
        failed += end == WaitEnd.Failed ? 1 : 0;
        timedOut += end == WaitEnd.TimedOut ? 1 : 0;
        Remove(index);
        WriteOverall();
    }

    /// <summary>Every operation still running stops being waited on (-Any has its result); they are counted as left running.</summary>
    public void EndAll()
    {
        foreach (var index in new List<int>(running.Keys))
        {
            leftRunning++;
            Remove(index);
        }

        WriteOverall();
    }

    private void Remove(int index)
    {
        if (running.TryGetValue(index, out var entry))
        {
            running.Remove(index);
            if (entry.Shown)
            {
                output.Progress(new ProgressUpdate(index + 2, entry.Activity, "Done", parentId: ParentId, completed: true));
            }

            ShowRecords();
        }
    }

    /// <summary>Every second: the time waited moves on, between polls too; a sign of life when one is due.</summary>
    public void Tick()
    {
        if (running.Count == 0)
        {
            return;
        }

        if (!progressBar)
        {
            heartbeat.Beat(elapsed => $"Waiting: {State}, {Heartbeat.Span(elapsed)} waited");
        }

        WriteOverall(tick: true);
        foreach (var pair in running)
        {
            if (pair.Value.Shown)
            {
                Write(pair.Key, pair.Value);
            }
        }
    }

    /// <summary>The wait is over: the last sign of life, and the parent record goes.</summary>
    public void Finish()
    {
        heartbeat.End(elapsed => $"Done waiting: {Counts}, {Heartbeat.Span(elapsed)} waited");
        if (overallWritten)
        {
            output.Progress(new ProgressUpdate(ParentId, Activity, "Done", completed: true));
        }
    }

    /// <summary>
    /// The parent record: on every change and every tick where a progress bar shows it; where progress is recorded, only
    /// when the counts change, at most every few seconds (a change in between is pending, and a later tick writes the
    /// latest state), so that a job log keeps few of them.
    /// </summary>
    private void WriteOverall(bool tick = false)
    {
        if (!progressBar)
        {
            overallPending |= !tick;
            if (!overallPending || (overallWritten && clock.Since(lastOverall) < CommandContext.RecordedProgressInterval))
            {
                return;
            }
        }

        overallWritten = true;
        overallPending = false;
        lastOverall = clock.GetTimestamp();
        output.Progress(new ProgressUpdate(
            ParentId,
            Activity,
            $"{State}, waited {Heartbeat.Span(Elapsed)}",
            Math.Min(100, 100 * ended / Math.Max(1, added))));
    }

    /// <summary>Gives a record to the longest-waited operations still running, up to the cap; none where progress is recorded.</summary>
    private void ShowRecords()
    {
        if (!progressBar)
        {
            return;
        }

        var shown = 0;
        foreach (var pair in running)
        {
            if (shown++ >= MaxOperationRecords)
            {
                break;
            }

            if (!pair.Value.Shown)
            {
                pair.Value.Shown = true;
                Write(pair.Key, pair.Value);
            }
        }
    }

    private void Write(int index, Entry entry) =>
        output.Progress(new ProgressUpdate(
            index + 2,
            entry.Activity,
            $"{entry.Status}, waited {Heartbeat.Span(Elapsed - entry.ReceivedAt)}",
            entry.Percent,
            ParentId));

    private sealed class Entry
    {
        public Entry(string activity, TimeSpan receivedAt)
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
