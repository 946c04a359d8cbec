namespace OpStatus.Engine.Tests.Fakes;

/// <summary>Requests and contexts against a fake service, as the cmdlets would make them.</summary>
internal sealed class TestEngine
{
    public const string Subscription = "11111111-1111-1111-1111-111111111111";

    public TestEngine(ManualClock? clock = null, int maxRetries = 2, ReadThrottle? throttle = null)
    {
        Clock = clock;
        Service = new FakeService(clock);
        Credential = new FixedCredential();
        Pipelines = new AuthenticatedPipelines("a test credential", Credential, Service.Settings(maxRetries, throttle));
    }

    public ManualClock? Clock { get; }

    public FakeService Service { get; }

    public FixedCredential Credential { get; }

    public AuthenticatedPipelines Pipelines { get; }

    /// <summary>A Cache status request on public Resource Manager.</summary>
    public OperationRequest Cache(string operationId)
    {
        var uri = AzureService.Cache.Path.Compose(
            AzureCloud.Public.ResourceManagerEndpoint,
            new Dictionary<string, string> { ["SubscriptionId"] = Subscription, ["Location"] = "westus", ["OperationId"] = operationId },
            AzureService.Cache.DefaultApiVersion);
        return new OperationRequest(AzureService.Cache, AzureCloud.Public, uri, AzureCloud.Public.ResourceManagerScope, Pipelines, operationId);
    }

    /// <summary>A command's context whose sign-in gives the test credential, on the test's clock.</summary>
    public CommandContext Context(RecordingOutput output, CancellationToken stopping = default) =>
        new(output, new SignIn(Pipelines), stopping, (TimeProvider?)Clock ?? TimeProvider.System);

    /// <summary>Reads one status now, as a Get would.</summary>
    public OperationStatus Read(string operationId) =>
        OperationStatusReader.ReadAsync(Cache(operationId), null, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Reads one status now and returns the failure it ended in.</summary>
    public OperationStatusException Fail(string operationId) =>
        Xunit.Assert.Throws<OperationStatusException>(() => Read(operationId));
}
