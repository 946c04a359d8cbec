using System;

namespace OpStatus.Engine;

/// <summary>Something that happened to one waited operation; the cmdlet turns each into output, errors or progress.</summary>
internal abstract class WaitEvent
{
    protected WaitEvent(int index, OperationRequest request)
    {
        Index = index;
        Request = request;
    }

    /// <summary>The operation's number in the order it was given, from 0.</summary>
    public int Index { get; }

    public OperationRequest Request { get; }
}

/// <summary>A poll found the operation still running.</summary>
internal sealed class WaitPolled : WaitEvent
{
    public WaitPolled(int index, OperationRequest request, OperationStatus status, TimeSpan nextPoll)
        : base(index, request)
    {
        Status = status;
        NextPoll = nextPoll;
    }

    public OperationStatus Status { get; }

    public TimeSpan NextPoll { get; }
}

/// <summary>A poll failed in a way that may pass (throttling, an outage, the network); the wait goes on.</summary>
internal sealed class WaitPollFailed : WaitEvent
{
    public WaitPollFailed(int index, OperationRequest request, OperationStatusException error, TimeSpan nextPoll)
        : base(index, request)
    {
        Error = error;
        NextPoll = nextPoll;
    }

    public OperationStatusException Error { get; }

    public TimeSpan NextPoll { get; }
}

/// <summary>The operation reached Succeeded, Failed or Canceled.</summary>
internal sealed class WaitFinished : WaitEvent
{
    public WaitFinished(int index, OperationRequest request, OperationStatus status)
        : base(index, request)
    {
        Status = status;
    }

    public OperationStatus Status { get; }
}

/// <summary>The operation can no longer be followed (not found, access refused, too many failures).</summary>
internal sealed class WaitAbandoned : WaitEvent
{
    public WaitAbandoned(int index, OperationRequest request, OperationStatusException error)
        : base(index, request)
    {
        Error = error;
    }

    public OperationStatusException Error { get; }
}

/// <summary>The timeout passed before the operation ended.</summary>
internal sealed class WaitTimedOut : WaitEvent
{
    public WaitTimedOut(int index, OperationRequest request, OperationStatus? lastStatus, OperationStatusException? lastFailure = null)
        : base(index, request)
    {
        LastStatus = lastStatus;
        LastFailure = lastFailure;
    }

    public OperationStatus? LastStatus { get; }

    /// <summary>Why the last poll failed, when it did: the reason a runbook needs, not only under -Verbose.</summary>
    public OperationStatusException? LastFailure { get; }
}
