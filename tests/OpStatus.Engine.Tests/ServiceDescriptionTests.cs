namespace OpStatus.Engine.Tests;

/// <summary>The service descriptions: templates, escaping, recognition, and the rules that keep tokens where they belong.</summary>
public sealed class ServiceDescriptionTests
{
    /// <summary>A data-plane description as one would add it, with its host rule forgotten.</summary>
    private static AzureService WithoutHostRule(string? hostSuffix) => new()
    {
        Name = "Batch",
        Root = ServiceRoot.ServiceEndpoint,
        Path = new PathTemplate("jobs/{JobId}/operations/{OperationId}"),
        Segments = new Dictionary<string, SegmentRule> { ["JobId"] = SegmentRule.DevCenterProjectName, ["OperationId"] = SegmentRule.DevCenterOperationId },
        DefaultApiVersion = "2024-01-01",
        KnownApiVersions = new[] { "2024-01-01" },
        FixedScope = "https://batch.core.windows.net/.default",
        HostSuffix = hostSuffix,
    };

    [Fact]
    public void The_shipped_descriptions_keep_every_rule()
    {
        Assert.All(AzureService.All, s => Assert.Empty(s.Problems()));
        Assert.Equal(AzureService.All, AzureService.Checked(AzureService.All.ToArray()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("windows.net")]
    [InlineData(".net")]
    [InlineData(".azure.com")]
    public void A_service_endpoint_without_a_host_rule_is_refused_and_owns_no_host(string? suffix)
    {
        var service = WithoutHostRule(suffix);

        Assert.Contains(service.Problems(), p => p.Contains("host rule", StringComparison.Ordinal));
        var refusal = Assert.Throws<InvalidOperationException>(() => AzureService.Checked(AzureService.DevCenter, service));
        Assert.Contains("no command can run", refusal.Message, StringComparison.Ordinal);
        Assert.False(service.OwnsHost("evil.example"));
        Assert.False(service.OwnsHost("x.windows.net"));
    }

    [Fact]
    public void No_token_leaves_for_a_foreign_host_even_with_a_description_that_has_no_host_rule()
    {
        var services = new[] { AzureService.DevCenter, WithoutHostRule(null) };
        var foreign = new Uri("https://evil.example/jobs/j1/operations/fa067167-e49d-41bd-8dd8-de719b9de3b3?api-version=2024-01-01");

        var refused = AsyncOperationUri.Resolve(foreign, TrustedHosts.None, services, out _, out _, out var scope);

        Assert.NotNull(refused);
        Assert.Equal(string.Empty, scope);
        Assert.Contains("no token is sent", refused, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("a//{Id}", "empty segment")]
    [InlineData("a/{Id}/b", "does not end in the operation id")]
    [InlineData("a/{Id}/{Id}", "twice")]
    [InlineData("a{x}/{Id}", "neither a word")]
    public void A_template_that_does_not_parse_is_refused(string template, string problem)
    {
        Assert.Contains(new PathTemplate(template).Problems(), p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void A_segment_without_a_rule_and_a_rule_without_a_segment_are_refused()
    {
        var service = WithoutHostRule(".batch.azure.com");
        var broken = new AzureService
        {
            Name = "Broken",
            Path = new PathTemplate("subscriptions/{SubscriptionId}/x/{OperationId}"),
            Segments = new Dictionary<string, SegmentRule> { ["SubscriptionId"] = SegmentRule.SubscriptionId, ["Location"] = SegmentRule.Location },
            DefaultApiVersion = "2024-01-01",
            KnownApiVersions = new[] { "2024-01-01" },
        };

        Assert.Empty(service.Problems());
        var problems = broken.Problems().ToArray();
        Assert.Contains(problems, p => p.Contains("{OperationId} has no rule", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Location names no segment", StringComparison.Ordinal));
    }

    [Fact]
    public void Resource_Manager_services_have_no_host_rule_and_no_scope_of_their_own()
    {
        var wide = new AzureService
        {
            Name = "Wide",
            Path = new PathTemplate("x/{OperationId}"),
            Segments = new Dictionary<string, SegmentRule> { ["OperationId"] = SegmentRule.ResourceManagerOperationId("operation id") },
            DefaultApiVersion = "2024-01-01",
            KnownApiVersions = new[] { "2024-01-01" },
            HostSuffix = ".com",
        };

        Assert.Contains(wide.Problems(), p => p.Contains("Resource Manager", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../x", "..%2Fx")]
    [InlineData("a?b#c", "a%3Fb%23c")]
    [InlineData("%2F", "%252F")]
    [InlineData("a/b", "a%2Fb")]
    public void Every_value_is_escaped_whole(string value, string inPath)
    {
        var uri = AzureService.Cache.Path.Compose(
            new Uri("https://management.azure.com"),
            new Dictionary<string, string> { ["SubscriptionId"] = "s", ["Location"] = SegmentRule.Location.Normalize("West US"), ["OperationId"] = value },
            "2024-10-01");

        Assert.Equal($"https://management.azure.com/subscriptions/s/providers/Microsoft.Cache/locations/westus/operationsStatus/{inPath}?api-version=2024-10-01", uri.AbsoluteUri);
    }

    [Fact]
    public void A_URL_is_recognised_by_the_status_path_its_path_ends_in()
    {
        Assert.Equal(AzureService.Cache, AzureService.Recognize(new Uri("https://x/subscriptions/s/providers/Microsoft.Cache/locations/westus/operationsStatus/o?api-version=1")));
        Assert.Equal(AzureService.LogAnalytics, AzureService.Recognize(new Uri("https://x/subscriptions/s/providers/microsoft.operationalinsights/locations/westus/operationStatuses/o")));
        Assert.Equal(AzureService.DevCenter, AzureService.Recognize(new Uri("https://t-dc.westus.devcenter.azure.com/projects/p/operationstatuses/o")));
        Assert.Equal(AzureService.AsyncOperation, AzureService.Recognize(new Uri("https://management.azure.com/subscriptions/s/providers/Microsoft.Web/operationResults/o")));
    }

    [Theory]
    [InlineData("https://management.azure.com/subscriptions/s/providers/Microsoft.Web/operationResults/o", "AsyncOperation", "https://management.azure.com/.default")]
    [InlineData("https://management.usgovcloudapi.net/subscriptions/s/providers/Microsoft.Cache/locations/x/operationsStatus/o", "Cache", "https://management.usgovcloudapi.net/.default")]
    [InlineData("https://t-dc.westus.devcenter.azure.com/projects/p/operationstatuses/o", "DevCenter", "https://devcenter.azure.com/.default")]
    [InlineData("https://management.azure.com/projects/p/operationstatuses/o", "AsyncOperation", "https://management.azure.com/.default")]
    public void A_URL_is_given_the_scope_of_its_host(string url, string service, string scope)
    {
        Assert.Null(AsyncOperationUri.Resolve(new Uri(url), TrustedHosts.None, AzureService.All, out _, out var recognized, out var given));
        Assert.Equal((service, scope), (recognized.Name, given));
    }

    [Fact]
    public void Endpoint_picks_the_service_by_the_status_path_and_refuses_a_path_of_no_service()
    {
        var endpoint = new Uri("https://127.0.0.1:8443/");
        var trusted = new TrustedHosts(null, endpoint);

        Assert.Null(AsyncOperationUri.Resolve(new Uri("https://127.0.0.1:8443/projects/p/operationstatuses/o"), trusted, AzureService.All, out _, out var service, out var scope));
        Assert.Equal(("DevCenter", "https://devcenter.azure.com/.default"), (service.Name, scope));

        var refused = AsyncOperationUri.Resolve(new Uri("https://127.0.0.1:8443/other/o"), trusted, AzureService.All, out _, out _, out scope);
        Assert.Contains("none is sent", refused, StringComparison.Ordinal);
        Assert.Equal(string.Empty, scope);
    }

    [Fact]
    public void The_words_that_mark_a_pasted_status_URL_come_from_the_templates()
    {
        Assert.Equal(new[] { "projects", "subscriptions" }, AzureService.StatusPathRoots);
        foreach (var word in new[] { "operationsStatus", "operationStatuses", "operationstatuses", "providers", "operationResults" })
        {
            Assert.Contains(word, AzureService.StatusPathWords, StringComparer.OrdinalIgnoreCase);
        }

        Assert.Null(InputValidation.CheckNotAUrl("x../../../subscriptions/other", "operation id"));
        Assert.NotNull(InputValidation.CheckNotAUrl("x/projects/p/operationstatuses/o", "operation id"));
    }
}
