using System.Management.Automation;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Bad input is refused with a clear error before any request, and never stops the other items.</summary>
public sealed class ValidationTests : TestBase, IClassFixture<EmulatorFixture>
{
    private const string GoodDevCenterId = "fa067167-e49d-41bd-8dd8-de719b9de3b3";

    public ValidationTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("ab")]
    [InlineData("-abc")]
    [InlineData(".abc")]
    [InlineData("my project")]
    [InlineData("proj/../x")]
    [InlineData("proj?x")]
    [InlineData("   ")]
    [InlineData("p1234567890123456789012345678901234567890123456789012345678901234")]
    public void DevCenter_project_names_outside_the_rules_are_refused(string projectName)
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName $args[1] -OperationId $args[2]", Url, projectName, id);

        AssertRefused(result, "GetDevCenterOperationStatusCommandInvalidProjectName", "project name");
        Assert.Empty(RequestsFor(id));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("{fa067167-e49d-41bd-8dd8-de719b9de3b3}")]
    [InlineData("fa067167e49d41bd8dd8de719b9de3b3")]
    [InlineData("fa067167-e49d-41bd-8dd8-de719b9de3b")]
    [InlineData("fa067167_e49d_41bd_8dd8_de719b9de3b3")]
    [InlineData("../../../../../../../../../../../../x")]
    [InlineData("fa067167-e49d-41bd-8dd8-de719b9de3b%")]
    [InlineData("fa067167-e49d-41bd-8dd8-de719b9de3\u00e9\u00e9")]
    public void DevCenter_operation_ids_outside_the_rules_are_refused(string operationId)
    {
        var project = "proj-" + Guid.NewGuid().ToString("N")[..10];
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName $args[1] -OperationId $args[2]", Url, project, operationId);

        AssertRefused(result, "GetDevCenterOperationStatusCommandInvalidOperationId", "operation id");
        Assert.Empty(RequestsFor(project));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("http://127.0.0.1:1/", "https")]
    [InlineData("https://user:secret@127.0.0.1:1/", "user name or password")]
    [InlineData("https://127.0.0.1:1/?x=1", "query string")]
    [InlineData("https://127.0.0.1:1/#top", "fragment")]
    [InlineData("devcenter.azure.com", "absolute")]
    public void DevCenter_endpoints_that_could_leak_a_token_are_refused(string endpoint, string reason)
    {
        var project = "proj-" + Guid.NewGuid().ToString("N")[..10];
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName $args[1] -OperationId $args[2]", endpoint, project, GoodDevCenterId);

        var error = AssertRefused(result, "GetDevCenterOperationStatusCommandInvalidEndpoint", reason);
        Assert.DoesNotContain("secret", error.Exception.Message);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("subscription", " sub", "white space")]
    [InlineData("subscription", "sub\u0001x", "control character")]
    [InlineData("subscription", "..", "not valid")]
    [InlineData("location", "west-us", "region")]
    [InlineData("location", "West  US", "region")]
    [InlineData("location", "westus/../x", "region")]
    [InlineData("location", "westus\t", "white space")]
    [InlineData("location", " westus", "white space")]
    [InlineData("operation", "op\nid", "control character")]
    [InlineData("operation", ".", "not valid")]
    [InlineData("apiVersion", "latest", "api-version")]
    [InlineData("apiVersion", "2024-10-01&x=1", "api-version")]
    public void Resource_Manager_values_outside_the_rules_are_refused(string which, string value, string reason)
    {
        var subscription = which == "subscription" ? value : NewSubscription();
        var location = which == "location" ? value : "westus";
        var operation = which == "operation" ? value : NewId();
        var apiVersion = which == "apiVersion" ? value : "2024-10-01";
        var expected = which switch
        {
            "subscription" => "InvalidSubscriptionId",
            "location" => "InvalidLocation",
            "operation" => "InvalidOperationId",
            _ => "InvalidApiVersion",
        };

        var before = Emulator.Requests.Count;
        using var session = NewSession();
        var result = session.Run(
            "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location $args[2] -OperationId $args[3] -ApiVersion $args[4]",
            Url, subscription, location, operation, apiVersion);

        AssertRefused(result, "GetCacheOperationStatusCommand" + expected, reason);
        // This test's own requests only: other test classes run at the same time.
        Assert.DoesNotContain(Emulator.Requests.Skip(before), r => r.OperationId == operation || r.RawTarget.Contains("/subscriptions/" + Uri.EscapeDataString(subscription) + "/", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("http://127.0.0.1:1/", "https")]
    [InlineData("https://127.0.0.1:1/?api-version=1", "query string")]
    [InlineData("https://me:pw@127.0.0.1:1/", "user name or password")]
    public void Resource_Manager_endpoints_that_could_leak_a_token_are_refused(string endpoint, string reason)
    {
        using var session = NewSession();
        var result = session.Run("Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -AsyncOperationId $args[1]", endpoint, NewId());

        AssertRefused(result, "GetLogAnalyticsOperationStatusCommandInvalidResourceManagerEndpoint", reason);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void An_unknown_environment_is_refused_by_the_parameter_binder()
    {
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -Environment AzureMoon -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x");

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId);
        Assert.Contains("AzureUSGovernment", error.Exception.Message);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void One_bad_item_in_a_pipeline_does_not_lose_the_others()
    {
        var good1 = NewId();
        var good2 = NewId();
        Emulator.Script(good1, Ok(StatusBody("Running", good1)));
        Emulator.Script(good2, Ok(StatusBody("Succeeded", good2)));

        using var session = NewSession();
        var result = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus",
            Url, NewSubscription(), new object[] { good1, "bad\u0007id", good2 });

        Assert.Null(result.Terminating);
        Assert.Equal(new[] { good1, good2 }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidOperationId,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal("bad\u0007id", error.TargetObject);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void Null_and_empty_ids_in_a_pipeline_are_refused_with_the_command_s_own_error_and_the_rest_go_on()
    {
        var good = NewId();
        Emulator.Script(good, Ok(StatusBody("Running", good)));

        using var session = NewSession();
        var result = session.Run(
            "@($null, '', $args[2]) | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus",
            Url, NewSubscription(), good);

        Assert.Null(result.Terminating);
        Assert.Equal(new[] { good }, result.Output.Select(o => (string)Prop(o, "Name")!).ToArray());
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e =>
        {
            Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
            Assert.Equal("GetCacheOperationStatusCommandInvalidOperationId,OpStatus.Commands.GetCacheOperationStatusCommand", e.FullyQualifiedErrorId);
            Assert.StartsWith("The operation id is empty.", e.Exception.Message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("0000-1111", "is not a GUID")]
    [InlineData("{0}/", "-SubscriptionId '{0}'")]
    [InlineData("{{{0}}}", "-SubscriptionId '{0}'")]
    [InlineData("/subscriptions/{0}", "-SubscriptionId '{0}'")]
    [InlineData("subscriptions/{0}/resourceGroups/rg", "-SubscriptionId '{0}'")]
    [InlineData("{0}/../../x", "is not a GUID")]
    [InlineData("sub?x", "is not a GUID")]
    public void A_subscription_id_that_is_not_a_GUID_is_refused_with_what_to_give_instead(string template, string advice)
    {
        var guid = Guid.NewGuid().ToString();
        var subscription = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, guid);
        var id = NewId();
        using var session = NewSession();
        var result = session.Run("Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -AsyncOperationId $args[2]", Url, subscription, id);

        AssertRefused(result, "GetLogAnalyticsOperationStatusCommandInvalidSubscriptionId", string.Format(System.Globalization.CultureInfo.InvariantCulture, advice, guid));
        Assert.Empty(RequestsFor(id));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("cache", "{0}subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/{1}?api-version=2024-10-01")]
    [InlineData("cache", "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/{1}")]
    [InlineData("logAnalytics", "{0}subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.OperationalInsights/locations/westus/operationStatuses/{1}")]
    [InlineData("devCenter", "{0}projects/myProject/operationstatuses/{1}?api-version=2025-02-01")]
    public void A_status_URL_pasted_as_the_operation_id_is_refused_with_its_last_segment_and_Wait_Uri(string service, string template)
    {
        var id = Guid.NewGuid().ToString();
        var pasted = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Url, id);
        using var session = NewSession();
        var (command, prefix) = service switch
        {
            "cache" => ("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]", "GetCacheOperationStatusCommand"),
            "logAnalytics" => ("Get-LogAnalyticsOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -AsyncOperationId $args[1]", "GetLogAnalyticsOperationStatusCommand"),
            _ => ("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1]", "GetDevCenterOperationStatusCommand"),
        };
        var result = session.Run(command, Url, pasted);

        var error = AssertRefused(result, prefix + "InvalidOperationId", "Wait-OperationStatus -Uri");
        Assert.Contains($"('{id}')", error.Exception.Message);
        Assert.Empty(RequestsFor(id));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("projects/myProject")]
    [InlineData("projects")]
    [InlineData("x/")]
    public void A_Dev_Center_endpoint_with_a_path_is_refused_with_the_endpoint_shape(string path)
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1]", Url + path, id);

        AssertRefused(result, "GetDevCenterOperationStatusCommandInvalidEndpoint", "https://{tenantId}-{devCenterName}.{region}.devcenter.azure.com");
        Assert.Empty(RequestsFor(id));
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void A_Resource_Manager_endpoint_with_a_subscription_path_is_refused()
    {
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]", Url + "subscriptions/11111111-1111-1111-1111-111111111111/", NewId());

        AssertRefused(result, "GetCacheOperationStatusCommandInvalidResourceManagerEndpoint", "the request adds itself");
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void Environment_with_ResourceManagerEndpoint_says_they_exclude_each_other()
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -Environment AzureCloud -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]", Url, id);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandCloudConflict,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("exclude each other", error.Exception.Message);
        Assert.Empty(RequestsFor(id));
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Bearer ")]
    public void An_empty_AccessToken_is_refused_before_any_request(string token)
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -AccessToken $args[2]", Url, id, token);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidAccessToken,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("-AccessToken is empty", error.Exception.Message);
        Assert.Empty(RequestsFor(id));
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void An_operation_id_piped_to_Wait_says_what_Wait_takes()
    {
        using var session = NewSession();
        var result = session.Run("'testoperationid' | Wait-OperationStatus; 'after'");

        Assert.Equal("after", Assert.Single(result.Output).BaseObject);
        var error = Assert.Single(result.Errors);
        Assert.Contains("is not a URL", error.Exception.Message);
        Assert.Contains("-OperationId 'testoperationid' | Wait-OperationStatus", error.Exception.Message);
    }

    [Theory]
    [Trait("Reliability", "HostileInput")]
    [InlineData("-Location 'westus '", "InvalidLocation", "location 'westus '")]
    [InlineData("-ApiVersion '2024-10-01 '", "InvalidApiVersion", "api-version '2024-10-01 '")]
    [InlineData("-OperationId ' x'", "InvalidOperationId", "operation id ' x'")]
    public void White_space_around_any_value_gets_the_same_message(string parameter, string errorId, string what)
    {
        using var session = NewSession();
        var defaults = new Dictionary<string, string> { ["-Location"] = "-Location westus", ["-ApiVersion"] = string.Empty, ["-OperationId"] = "-OperationId x" };
        var name = parameter.Split(' ')[0];
        defaults[name] = parameter;
        var result = session.Run($"Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 {string.Join(' ', defaults.Values)}", Url);

        var error = AssertRefused(result, "GetCacheOperationStatusCommand" + errorId, "starts or ends with white space");
        Assert.Equal($"The {what} starts or ends with white space. Remove it and try again.", error.Exception.Message);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void White_space_around_a_project_name_gets_the_same_message()
    {
        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName ' myProject' -OperationId $args[1]", Url, GoodDevCenterId);

        var error = AssertRefused(result, "GetDevCenterOperationStatusCommandInvalidProjectName", "starts or ends with white space");
        Assert.Equal("The project name ' myProject' starts or ends with white space. Remove it and try again.", error.Exception.Message);
    }

    private static ErrorRecord AssertRefused(ScriptResult result, string errorId, string reason)
    {
        Assert.Null(result.Terminating);
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(errorId + ",OpStatus.Commands.", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.IsType<ArgumentException>(error.Exception);
        Assert.Contains(reason, error.Exception.Message, StringComparison.OrdinalIgnoreCase);
        return error;
    }
}
