using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Reflection;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// What the Get cmdlets share: each names its service and declares a parameter for each named segment of the
/// service's status path (SubscriptionId, Location, OperationId, ...); the engine builds the request from those values
/// and the service's description, and reads piped items concurrently, up to -ThrottleLimit at a time, writing them in
/// the order they came (<see cref="OrderedReads"/>).
/// </summary>
/// <remarks>
/// The segment parameters allow empty strings and null: the engine refuses them with its own message, in
/// the item's place in the output, where PowerShell's binder would refuse them at once and out of order. The
/// operation id takes several ids at once, each an item of its own. Statuses read earlier in the session, piped back
/// in (-InputObject), are read again the way they were first read.
/// </remarks>
public abstract class GetOperationStatusCommand : OpStatusCommand
{
    /// <summary>The parameter set of statuses piped back in.</summary>
    internal const string InputObjectSet = "InputObject";

    /// <summary>Reads in flight by default: a thousand reads of 50 ms take a second (bench/README.md), and ARM's 250-read burst is spent in four rounds, after which the read limit sets the pace.</summary>
    internal const int DefaultThrottleLimit = 64;

    private static readonly ConcurrentDictionary<(Type, string), PropertyInfo> SegmentProperties = new();

    private OrderedReads? reads;

    /// <summary>The api-version of the service's operation-status call; the service's default when left out.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string? ApiVersion { get; set; }

    /// <summary>Statuses read earlier in this session by the same Get cmdlet, to read again the way they were read.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public OperationStatus?[]? InputObject { get; set; }

    /// <summary>How many piped items are read at the same time; 1 reads them one after another.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>The service this cmdlet reads.</summary>
    private protected abstract AzureService Service { get; }

    /// <summary>The endpoint the path starts at, when the cmdlet was given one (-Endpoint, -ResourceManagerEndpoint).</summary>
    private protected abstract Uri? RootEndpoint { get; }

    /// <summary>The known cloud asked for (-Environment), if any.</summary>
    private protected virtual string? CloudName => null;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        reads = new OrderedReads(Context, ThrottleLimit, OrderedReads.Window(ThrottleLimit), showProgress: MyInvocation.ExpectingInput);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var status in InputObject ?? new OperationStatus?[] { null })
            {
                var again = StatusRequestBuilder.ReadAgain(Service, status, ApiVersion, Context.SignIn, out var refused);
                WriteUntilDone(reads!.AddAsync(again, refused));
            }

            return;
        }

        var lookup = RootEndpoint is null ? FindRoot() : null;
        foreach (var operationId in OperationIds())
        {
            if (lookup?.Failure is { } failure)
            {
                WriteUntilDone(reads!.AddFailedAsync(failure));
                continue;
            }

            var query = new StatusQuery { Segments = SegmentValues(operationId), ApiVersion = ApiVersion, Endpoint = lookup?.Endpoint ?? RootEndpoint, Environment = CloudName };
            InvalidInput? invalid = lookup?.Problem;
            var request = invalid is null ? StatusRequestBuilder.Build(Service, query, Context.SignIn, out invalid) : null;
            WriteUntilDone(reads!.AddAsync(request, invalid));
        }
    }

    /// <summary>
    /// The endpoint of a cmdlet that finds it by name (Get-DevCenterOperationStatus -DevCenterName), or what was refused
    /// or not found; null when the cmdlet was given no name to find. Called on the pipeline thread, once a record.
    /// </summary>
    private protected virtual EndpointLookup? FindRoot() => null;

    /// <summary>Runs the engine's work on the pipeline thread, writing what it reports meanwhile, and gives its result.</summary>
    private protected T Await<T>(System.Threading.Tasks.Task<T> work)
    {
        WriteUntilDone(work);
        return work.GetAwaiter().GetResult();
    }

    /// <summary>The operation ids of this record, each an item; a null array is one null id, refused in its place.</summary>
    private string?[] OperationIds()
    {
        var property = SegmentProperty(Service.OperationSegment);
        return property.GetValue(this) switch
        {
            string?[] ids => ids,
            string id => new[] { id },
            _ => new string?[] { null },
        };
    }

    protected override void EndProcessing() => WriteUntilDone(reads!.CompleteAsync());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            reads?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The bound value of each named segment of the service's path (the parameter of the same name), with this operation id.</summary>
    private Dictionary<string, string?> SegmentValues(string? operationId)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Service.Path.Names)
        {
            values[name] = name == Service.OperationSegment ? operationId : SegmentProperty(name).GetValue(this) as string;
        }

        return values;
    }

    private PropertyInfo SegmentProperty(string name) => SegmentProperties.GetOrAdd((GetType(), name), key =>
        key.Item1.GetProperty(key.Item2) ?? throw new InvalidOperationException($"{key.Item1.Name} has no parameter for the path segment {key.Item2}."));
}
