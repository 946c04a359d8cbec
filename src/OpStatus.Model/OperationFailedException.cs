using System;

namespace OpStatus;

/// <summary>The error of an operation that ended Failed or Canceled; its Status is the final status.</summary>
public sealed class OperationFailedException : Exception
{
    public OperationFailedException(string message, OperationStatus status)
        : base(message)
    {
        Status = status;
    }

    public OperationStatus Status { get; }

    public string? RequestId => Status.RequestId;

    public string? ErrorCode => Status.Error?.Code;
}
