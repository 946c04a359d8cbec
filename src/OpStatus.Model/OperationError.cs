using System.Collections.Generic;

namespace OpStatus;

/// <summary>The error an operation ended with, in the shape Azure services share.</summary>
public sealed class OperationError
{
    public string? Code { get; internal set; }

    public string? Message { get; internal set; }

    public string? Target { get; internal set; }

    public IReadOnlyList<OperationError> Details { get; internal set; } = new OperationError[0];

    /// <summary>More specific information, as the service sent it: $error.InnerError.code, $error.InnerError.innererror.</summary>
    public IDictionary<string, object?>? InnerError { get; internal set; }

    public IReadOnlyList<OperationErrorAdditionalInfo> AdditionalInfo { get; internal set; } = new OperationErrorAdditionalInfo[0];

    public override string ToString() => string.IsNullOrEmpty(Message) ? Code ?? string.Empty : $"{Code}: {Message}";
}

/// <summary>Additional information a Resource Manager error carries.</summary>
public sealed class OperationErrorAdditionalInfo
{
    public string? Type { get; internal set; }

    public object? Info { get; internal set; }

    public override string ToString() => Type ?? string.Empty;
}
