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
/// the item's place in the output, where PowerShell's binder would refuse them at once and out of order.
/// </remarks>
public abstract class GetOperationStatusCommand : OpStatusCommand
{
    /// <summary>Reads in flight by default: a thousand reads of 50 ms take a second (bench/README.md), and ARM's 250-read burst is spent in four rounds, after which the read limit sets the pace.</summary>
    internal const int DefaultThrottleLimit = 64;

    private static readonly ConcurrentDictionary<(Type, string), PropertyInfo> SegmentProperties = new();

    private OrderedReads? reads;

    /// <summary>The api-version of the service's operation-status call; the service's default when left out.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string? ApiVersion { get; set; }

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
        var query = new StatusQuery { Segments = SegmentValues(), ApiVersion = ApiVersion, Endpoint = RootEndpoint, Environment = CloudName };
        var request = StatusRequestBuilder.Build(Service, query, Context.SignIn, out var invalid);
        WriteUntilDone(reads!.AddAsync(request, invalid));
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

    /// <summary>The bound value of each named segment of the service's path: the parameter of the same name.</summary>
    private Dictionary<string, string?> SegmentValues()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Service.Path.Names)
        {
            var property = SegmentProperties.GetOrAdd((GetType(), name), key =>
                key.Item1.GetProperty(key.Item2) ?? throw new InvalidOperationException($"{key.Item1.Name} has no parameter for the path segment {key.Item2}."));
            values[name] = property.GetValue(this) as string;
        }

        return values;
    }
}
