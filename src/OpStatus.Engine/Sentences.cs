using System;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>
/// Composes messages from sentences, some of them not OpStatus's own (an exception's message, a service's
/// error text): each part ends with a full stop, question mark or exclamation mark before the next begins.
/// </summary>
internal static class Sentences
{
    /// <summary>The parts, each closed as a sentence, joined by single spaces; empty parts are left out.</summary>
    public static string Join(params string?[] parts) =>
        string.Join(" ", parts.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Close(p!)));

    /// <summary>A text that ends as a sentence does: with '.', '!' or '?' (a trailing ':' or ',' becomes '.').</summary>
    public static string Close(string text)
    {
        var trimmed = text.Trim().TrimEnd(':', ',', ';').TrimEnd();
        return trimmed.Length == 0 || trimmed.EndsWith(".", StringComparison.Ordinal) || trimmed.EndsWith("!", StringComparison.Ordinal) || trimmed.EndsWith("?", StringComparison.Ordinal)
            ? trimmed
            : trimmed + ".";
    }

    /// <summary>"a" or "an" before a word, by its first letter.</summary>
    public static string Article(string word) =>
        word.Length > 0 && "aeiouAEIOU".IndexOf(word[0]) >= 0 ? "an" : "a";
}
