using System;
using System.Management.Automation;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>
/// Wait-OperationStatus: waits until operations end, all at the same time, and writes each final status as
/// soon as its operation ends. The engine's <see cref="WaitRun"/> does the waiting; this declares the parameters.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "OperationStatus", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(OperationStatus))]
public sealed class WaitOperationStatusCommand : OpStatusCommand
{
    private const string InputObjectSet = "InputObject";
    private const string UriSet = "Uri";
    private const string ResponseSet = "Response";

    private WaitRun? wait;

    /// <summary>Statuses read by the Get cmdlets (or written by an earlier Wait-OperationStatus).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public OperationStatus?[]? InputObject { get; set; } = Array.Empty<OperationStatus?>();

    /// <summary>Async-operation URLs, as returned in the Azure-AsyncOperation, Operation-Location or Location header.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = UriSet)]
    [Alias("AsyncOperationUri", "OperationLocation")]
    [AllowNull]
    [AllowEmptyCollection]
    public Uri?[]? Uri { get; set; } = Array.Empty<Uri?>();

    /// <summary>
    /// Responses of the requests that started operations: an HttpResponseMessage, what Invoke-WebRequest or
    /// Invoke-AzRestMethod returns, or a hashtable of response headers.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ResponseSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public OperationResponse?[]? Response { get; set; } = Array.Empty<OperationResponse?>();

    /// <summary>
    /// Another cloud's Resource Manager endpoint, whose host may receive tokens, for the URLs Wait is given (-Uri,
    /// -Response, statuses saved and read back). In every parameter set, so that $PSDefaultParameterValues can give it;
    /// statuses read in this session are read again where they were read.
    /// </summary>
    [Parameter]
    public Uri? ResourceManagerEndpoint { get; set; }

    /// <summary>A service endpoint (a dev center's) whose host may receive that service's tokens, for the URLs Wait is given.</summary>
    [Parameter]
    public Uri? Endpoint { get; set; }

    /// <summary>Seconds to wait for each operation, counted from when Wait receives it; -1 (the default) waits as long as it takes.</summary>
    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    /// <summary>Seconds between polls when the service sends no Retry-After; without it, 1, 1, 1, 2, 4, 8, 16, then every 30 s.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int PollingInterval { get; set; }

    /// <summary>Return as soon as the first operation ends.</summary>
    [Parameter]
    public SwitchParameter Any { get; set; }

    /// <summary>With -Response: do not read the resource once an operation succeeds (its Resource property stays empty).</summary>
    [Parameter(ParameterSetName = ResponseSet)]
    public SwitchParameter NoResource { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        foreach (var (value, name) in new[] { (ResourceManagerEndpoint, nameof(ResourceManagerEndpoint)), (Endpoint, nameof(Endpoint)) })
        {
            // Every URL of the command is judged against these hosts: a bad one leaves nothing to do.
            if (value is not null && InputValidation.CheckEndpoint(value, "-" + name) is { } problem)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(problem), ErrorIdPrefix + "Invalid" + name, ErrorCategory.InvalidArgument, value));
            }
        }

        var options = new WaitOptions
        {
            Timeout = Timeout >= 0 ? TimeSpan.FromSeconds(Timeout) : null,
            PollingInterval = MyInvocation.BoundParameters.ContainsKey(nameof(PollingInterval)) ? TimeSpan.FromSeconds(PollingInterval) : null,
        };
        wait = new WaitRun(Context, options, Any.IsPresent, new TrustedHosts(ResourceManagerEndpoint, Endpoint), readResource: !NoResource.IsPresent);
    }

    protected override void ProcessRecord()
    {
        // A null (what a failed command gives its variable) is refused with an error of its own, never skipped in silence.
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var status in InputObject ?? new OperationStatus?[] { null })
            {
                if (status is null)
                {
                    wait!.RefuseNull();
                }
                else
                {
                    wait!.AddStatus(status);
                }
            }
        }
        else if (ParameterSetName == ResponseSet)
        {
            foreach (var response in Response ?? new OperationResponse?[] { null })
            {
                if (response is null)
                {
                    wait!.RefuseNull();
                }
                else if (response.IsBodyOnly)
                {
                    wait!.RefuseBody();
                }
                else
                {
                    wait!.AddResponse(new StartResponse(response.StatusCode, response.Headers, response.Content, response.RequestUri, response.Method));
                }
            }
        }
        else
        {
            foreach (var uri in Uri ?? new Uri?[] { null })
            {
                if (uri is null)
                {
                    wait!.RefuseNull();
                }
                else
                {
                    wait!.AddUri(uri);
                }
            }
        }

        WritePending();
    }

    protected override void EndProcessing() => WriteUntilDone(wait!.CompleteAsync());

    protected override void StopProcessing()
    {
        base.StopProcessing();
        wait?.Cancel();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            wait?.Dispose();
        }

        base.Dispose(disposing);
    }
}
