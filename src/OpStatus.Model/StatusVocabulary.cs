using System;
using System.Collections.Generic;

namespace OpStatus;

/// <summary>
/// The status words of one service that end an operation, compared case-insensitively: those that mean it
/// failed, those that mean it was canceled, and the rest (Succeeded and the like).
/// </summary>
internal sealed class StatusVocabulary
{
    private readonly HashSet<string> succeeded;
    private readonly HashSet<string> failed;
    private readonly HashSet<string> canceled;

    public StatusVocabulary(IEnumerable<string> succeeded, IEnumerable<string> failed, IEnumerable<string> canceled)
    {
        this.succeeded = new HashSet<string>(succeeded, StringComparer.OrdinalIgnoreCase);
        this.failed = new HashSet<string>(failed, StringComparer.OrdinalIgnoreCase);
        this.canceled = new HashSet<string>(canceled, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Azure's common words: Succeeded; Failed; Canceled or Cancelled.</summary>
    public static StatusVocabulary Azure { get; } = new(new[] { "Succeeded" }, new[] { "Failed" }, new[] { "Canceled", "Cancelled" });

    public IEnumerable<string> Succeeded => succeeded;

    public IEnumerable<string> Failed => failed;

    public IEnumerable<string> Canceled => canceled;

    public bool IsTerminal(string? status) => status is not null && (succeeded.Contains(status) || failed.Contains(status) || canceled.Contains(status));

    public bool IsFailed(string? status) => status is not null && failed.Contains(status);

    public bool IsCanceled(string? status) => status is not null && canceled.Contains(status);
}
