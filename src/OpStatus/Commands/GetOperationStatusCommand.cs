using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Reflection;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// What the three Get cmdlets share: each names its service and declares a parameter for each named segment
/// of the service's status path (SubscriptionId, Location, OperationId, ...); the engine builds the request
/// from those values and the service's description.
/// </summary>
public abstract class GetOperationStatusCommand : OpStatusCommand
{
    private static readonly ConcurrentDictionary<(Type, string), PropertyInfo> SegmentProperties = new();

    /// <summary>The api-version of the service's operation-status call; the service's default when left out.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string? ApiVersion { get; set; }

    /// <summary>The service this cmdlet reads.</summary>
    private protected abstract AzureService Service { get; }

    /// <summary>The endpoint the path starts at, when the cmdlet was given one (-Endpoint, -ResourceManagerEndpoint).</summary>
    private protected abstract Uri? RootEndpoint { get; }

    /// <summary>The known cloud asked for (-Environment), if any.</summary>
    private protected virtual string? CloudName => null;

    protected override void ProcessRecord()
    {
        var query = new StatusQuery { Segments = SegmentValues(), ApiVersion = ApiVersion, Endpoint = RootEndpoint, Environment = CloudName };
        if (StatusRequestBuilder.Build(Service, query, ResolveCredential, out var invalid) is { } request)
        {
            ReadAndWrite(request);
        }
        else
        {
            WriteInvalidInput(invalid!);
        }
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
