using System;
using System.Collections.Generic;
using System.Globalization;

namespace OpStatus.Engine;

/// <summary>
/// What Wait-OperationStatus's progress shows, readable at hundreds of operations: a parent record (done, failed,
/// running, time waited) always, and under it a record for each of the few longest-waited operations still running
/// (status, percent when the service reports it, time waited since Wait received it). Both move on every second.
/// Not thread-safe: its owner calls it under one lock.
/// </summary>
internal sealed class WaitProgress
{
    private const int ParentId = 1;
    private const int MaxOperationRecords = 5;

    private readonly ICommandOutput output;
    private readonly TimeProvider clock;
    private readonly long started;
    private readonly SortedDictionary<int, Entry> running = new();
    private int added;
    private int ended;
    private int failed;

    public WaitProgress(ICommandOutput output, TimeProvider clock)
    {
        this.output = output;
        this.clock = clock;
        started = clock.GetTimestamp();
    }

    /// <summary>How many operations Wait has received.</summary>
    public int Added => added;

    /// <summary>How many of them have ended, and how many of those failed, were canceled, timed out or were given up.</summary>
    public (int Ended, int Failed) Counts => (ended, failed);

    private TimeSpan Elapsed => clock.Since(started);

    private string Activity => added == 1 ? "Waiting for 1 operation" : string.Format(CultureInfo.InvariantCulture, "Waiting for {0} operations", added);

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

    /// <summary>An operation ended: its record goes, the next longest-waited one gets one.</summary>
    public void Ended(int index, bool failedOrStopped)
    {
        ended++;
        failed += failedOrStopped ? 1 : 0;
        if (running.TryGetValue(index, out var entry))
        {
            running.Remove(index);
            if (entry.Shown)
            {
                output.Progress(new ProgressUpdate(index + 2, entry.Activity, "Done", parentId: ParentId, completed: true));
            }

            ShowRecords();
        }

        WriteOverall();
    }

    /// <summary>Every operation still running stops being waited on (-Any has its result).</summary>
    public void EndAll()
    {
        foreach (var index in new List<int>(running.Keys))
        {
            Ended(index, failedOrStopped: false);
        }
    }

    /// <summary>Every second: the parent record and the shown operations' time waited move on, between polls too.</summary>
    public void Tick()
    {
        if (running.Count == 0)
        {
            return;
        }

        WriteOverall();
        foreach (var pair in running)
        {
            if (pair.Value.Shown)
            {
                Write(pair.Key, pair.Value);
            }
        }
    }

    /// <summary>The wait is over: the parent record goes.</summary>
    public void Finish() => output.Progress(new ProgressUpdate(ParentId, Activity, "Done", completed: true));

    private void WriteOverall()
    {
        var failedText = failed > 0 ? $" ({failed} failed)" : string.Empty;
        output.Progress(new ProgressUpdate(
            ParentId,
            Activity,
            string.Format(CultureInfo.InvariantCulture, "{0} of {1} done{2}, {3} running, waited {4:hh\\:mm\\:ss}", ended, added, failedText, running.Count, Elapsed),
            Math.Min(100, 100 * ended / Math.Max(1, added))));
    }

    /// <summary>Gives a record to the longest-waited operations still running, up to the cap.</summary>
    private void ShowRecords()
    {
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
            string.Format(CultureInfo.InvariantCulture, "{0}, waited {1:hh\\:mm\\:ss}", entry.Status, Elapsed - entry.ReceivedAt),
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
