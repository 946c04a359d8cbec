namespace OpStatus.Engine;

/// <summary>
/// Where the engine reports what it does. The cmdlets turn these into Verbose and Debug records on the
/// pipeline thread. Implementations must accept calls from any thread.
/// </summary>
internal interface IOperationLog
{
    /// <summary>False when nobody will read Verbose lines: they are then not even formatted.</summary>
    bool VerboseEnabled { get; }

    /// <summary>False when nobody will read Debug lines: they are then not even formatted.</summary>
    bool DebugEnabled { get; }

    /// <summary>One line per request attempt: method, URL, status, elapsed time.</summary>
    void Verbose(string message);

    /// <summary>Headers and other detail; Authorization and other secrets are already redacted.</summary>
    void Debug(string message);
}
