namespace OpStatus.Engine.Tests.Fakes;

/// <summary>An ICommandOutput that keeps everything reported, in order, with the kind of each.</summary>
internal sealed class RecordingOutput : ICommandOutput
{
    private readonly List<(string Kind, object Value)> records = new();

    public RecordingOutput(bool verbose = true, bool debug = false)
    {
        VerboseEnabled = verbose;
        DebugEnabled = debug;
    }

    public bool VerboseEnabled { get; }

    public bool DebugEnabled { get; }

    public IReadOnlyList<(string Kind, object Value)> Records
    {
        get
        {
            lock (records)
            {
                return records.ToArray();
            }
        }
    }

    public IReadOnlyList<OperationStatus> Outputs => Of<OperationStatus>("Output");

    public IReadOnlyList<CommandError> Errors => Of<CommandError>("Error");

    public IReadOnlyList<string> VerboseLines => Of<string>("Verbose");

    public IReadOnlyList<string> InformationLines => Of<string>("Information");

    public IReadOnlyList<string> HeartbeatLines => Of<string>("Heartbeat");

    public IReadOnlyList<ProgressUpdate> ProgressUpdates => Of<ProgressUpdate>("Progress");

    /// <summary>Outputs and errors in the order reported: the operation id of each status, "error:{id}" for each error.</summary>
    public IReadOnlyList<string> Outcomes => Records.Where(r => r.Kind is "Output" or "Error")
        .Select(r => r.Value is OperationStatus s ? s.OperationId : "error:" + ((CommandError)r.Value).ErrorId)
        .ToArray();

    public void Output(object item) => Add("Output", item);

    public void Error(CommandError error) => Add("Error", error);

    public void Warning(string message) => Add("Warning", message);

    public void Information(string message) => Add("Information", message);

    public void Heartbeat(string line) => Add("Heartbeat", line);

    public void Verbose(string message) => Add("Verbose", message);

    public void Debug(string message) => Add("Debug", message);

    public void Progress(ProgressUpdate update) => Add("Progress", update);

    private IReadOnlyList<T> Of<T>(string kind) => Records.Where(r => r.Kind == kind).Select(r => (T)r.Value).ToArray();

    private void Add(string kind, object value)
    {
        lock (records)
        {
            records.Add((kind, value));
        }
    }
}
