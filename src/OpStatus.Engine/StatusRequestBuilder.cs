using System;
using System.Collections.Generic;

namespace OpStatus.Engine;

/// <summary>The values one Get cmdlet was given for one item: its path segments by name, the api-version and the root.</summary>
/// <remarks>Plain setters, not init: the cmdlets are built against the netstandard2.0 engine and run with the .NET 8 one, whose init accessors differ in signature.</remarks>
internal sealed class StatusQuery
{
    /// <summary>The bound value of each named segment of the service's path.</summary>
    public IReadOnlyDictionary<string, string?> Segments { get; set; } = new Dictionary<string, string?>();

    /// <summary>The api-version given, or null for the service's default.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The service's own endpoint (-Endpoint), or the Resource Manager of another cloud (-ResourceManagerEndpoint).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The name of a known cloud (-Environment), for Resource Manager services; null for the public cloud.</summary>
    public string? Environment { get; set; }
}

/// <summary>A value refused before any request: the end of its error id, the message and the value itself.</summary>
internal sealed class InvalidInput
{
    public InvalidInput(string errorId, string message, object? target)
    {
        ErrorId = errorId;
        Message = message;
        Target = target;
    }

    public string ErrorId { get; }

    public string Message { get; }

    public object? Target { get; }
}

/// <summary>Turns a Get cmdlet's values into the request that reads the status, by the service's description.</summary>
internal static class StatusRequestBuilder
{
    private static readonly string[] ResourceManagerPaths = { "/subscriptions", "/providers" };

    /// <summary>
    /// The request, or null and the first value refused: the operation id first, then the other segments in
    /// path order, the endpoint and the api-version. Nothing is sent for a refused value.
    /// </summary>
    public static OperationRequest? Build(AzureService service, StatusQuery query, SignIn signIn, out InvalidInput? invalid)
    {
        invalid = CheckSegments(service, query) ?? CheckEndpoint(service, query);
        var apiVersion = query.ApiVersion ?? service.DefaultApiVersion;
        if (invalid is null && InputValidation.CheckApiVersion(apiVersion) is { } badVersion)
        {
            invalid = new InvalidInput("InvalidApiVersion", badVersion, apiVersion);
        }

        if (invalid is not null)
        {
            return null;
        }

        var cloud = service.Root == ServiceRoot.ServiceEndpoint || query.Endpoint is null
            ? (query.Environment is { } cloudName ? AzureCloud.FindByName(cloudName) : null) ?? AzureCloud.Public
            : AzureCloud.Custom(query.Endpoint);
        var root = service.Root == ServiceRoot.ServiceEndpoint ? query.Endpoint! : cloud.ResourceManagerEndpoint;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in service.Path.Names)
        {
            values[name] = service.Segments[name].Normalize(query.Segments[name]!);
        }

        var operationId = query.Segments[service.OperationSegment]!;
        return new OperationRequest(service, cloud, service.Path.Compose(root, values, apiVersion), service.ScopeIn(cloud), signIn.CredentialFor(cloud), operationId);
    }

    /// <summary>
    /// The request to read a status again, as it was read (with another api-version or sign-in when given), or null and
    /// why not: a null, or a status of another service.
    /// </summary>
    public static OperationRequest? ReadAgain(AzureService service, OperationStatus? status, string? apiVersion, SignIn signIn, out InvalidInput? invalid)
    {
        invalid = null;
        if (status is null)
        {
            invalid = new InvalidInput("NullInput", $"{service.CommandName} was given a null status, so there is nothing to read. The command that should have made it wrote no status, most often a Get command whose error was silenced: see that error ($Error), or give -ErrorAction Stop to that command.", null);
            return null;
        }

        if (!OperationRequest.TryOf(status, out var request) || request.Service != service)
        {
            var other = request is { } known && known.Service != AzureService.AsyncOperation ? $"{known.Service.CommandName} or " : string.Empty;
            invalid = new InvalidInput("WrongService", $"The status of operation '{InputValidation.Printable(status.OperationId)}' is a {status.Service} status, and {service.CommandName} reads {service.Name} statuses only. Pipe it to {other}Wait-OperationStatus.", status.OperationId);
            return null;
        }

        if (apiVersion is not null)
        {
            if (InputValidation.CheckApiVersion(apiVersion) is { } badVersion)
            {
                invalid = new InvalidInput("InvalidApiVersion", badVersion, apiVersion);
                return null;
            }

            request = request.WithApiVersion(apiVersion);
        }

        return signIn.ReadAgain(request);
    }

    private static InvalidInput? CheckSegments(AzureService service, StatusQuery query)
    {
        var order = new List<string> { service.OperationSegment };
        foreach (var name in service.Path.Names)
        {
            if (name != service.OperationSegment)
            {
                order.Add(name);
            }
        }

        foreach (var name in order)
        {
            query.Segments.TryGetValue(name, out var value);
            var rule = service.Segments[name];
            if (rule.Check(value) is { } problem)
            {
                return new InvalidInput(rule.ErrorId, problem, value);
            }
        }

        return null;
    }

    private static InvalidInput? CheckEndpoint(AzureService service, StatusQuery query)
    {
        if (service.Root == ServiceRoot.ServiceEndpoint)
        {
            return InputValidation.CheckEndpointRoot(query.Endpoint, "-Endpoint", service.EndpointShape, string.Empty) is { } problem
                ? new InvalidInput("InvalidEndpoint", problem, query.Endpoint)
                : null;
        }

        return query.Endpoint is not null && InputValidation.CheckEndpointRoot(query.Endpoint, "-ResourceManagerEndpoint", service.EndpointShape, ResourceManagerPaths) is { } refused
            ? new InvalidInput("InvalidResourceManagerEndpoint", refused, query.Endpoint)
            : null;
    }
}
