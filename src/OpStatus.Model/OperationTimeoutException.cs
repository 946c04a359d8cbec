using System;

namespace OpStatus;

/// <summary>
/// Wait-OperationStatus -Timeout ran out before an operation ended. A TimeoutException, so that
/// catch [TimeoutException] catches it too; LastStatus is the last status read, if any was.
/// </summary>
public sealed class OperationTimeoutException : TimeoutException
{
    internal OperationTimeoutException(string message, Uri uri, OperationStatus? lastStatus)
        : base(message)
    {
        Uri = uri;
        LastStatus = lastStatus;
    }

    /// <summary>The URL that was polled.</summary>
    public Uri Uri { get; }

    /// <summary>The last status read before the time ran out; empty when none was read.</summary>
    public OperationStatus? LastStatus { get; }
}
