using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Wait-OperationStatus -Response: the response that started an operation, piped as scripts hold it.</summary>
public sealed class WaitResponseTests : TestBase, IClassFixture<EmulatorFixture>
{
    public WaitResponseTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    private string ScriptRunningThenSucceeded()
    {
        var id = NewId();
        Emulator.Script(id,
            new Step { Body = StatusBody("InProgress", id), Headers = new() { ["retry-after-ms"] = "20" } },
            Ok(StatusBody("Succeeded", id)));
        return id;
    }

    [Fact]
    public void An_HttpResponseMessage_is_waited_on_through_its_Azure_AsyncOperation_header()
    {
        var id = ScriptRunningThenSucceeded();
        var response = new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("{}") };
        response.Headers.TryAddWithoutValidation("Azure-AsyncOperation", CacheStatusUrl(id));

        using var session = NewSession();
        var result = session.Run("$args[0] | Wait-OperationStatus -ResourceManagerEndpoint $args[1]", response, Url);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Equal("Cache", Prop(result.Output[0], "Service"));
        Assert.Equal(2, RequestsFor(id).Count);
    }

    [Theory]
    [InlineData("webRequest")]
    [InlineData("azRestMethod")]
    [InlineData("hashtable")]
    public void The_shapes_scripts_hold_are_taken_by_pipeline_and_by_parameter(string shape)
    {
        var ids = new[] { ScriptRunningThenSucceeded(), ScriptRunningThenSucceeded() };
        var build = shape switch
        {
            // What Invoke-WebRequest returns: Headers is a dictionary of string to string[].
            "webRequest" => "function New-R($u) { $h = [System.Collections.Generic.Dictionary[string, System.Collections.Generic.IEnumerable[string]]]::new(); $h['Azure-AsyncOperation'] = [string[]]@($u); [pscustomobject]@{ StatusCode = 201; StatusDescription = 'Created'; Headers = $h; Content = '{}' } }",
            // What Invoke-AzRestMethod returns: Headers is an HttpResponseHeaders.
            "azRestMethod" => "function New-R($u) { $m = [System.Net.Http.HttpResponseMessage]::new(201); $null = $m.Headers.TryAddWithoutValidation('Azure-AsyncOperation', $u); [pscustomobject]@{ StatusCode = 201; Headers = $m.Headers; Content = '{}'; Method = 'PUT'; RequestUri = [uri]'https://management.azure.com/x' } }",
            _ => "function New-R($u) { @{ 'Azure-AsyncOperation' = @($u); 'Retry-After' = @('0') } }",
        };

        using var session = NewSession();
        var result = session.Run(
            // -NoResource: the shapes' requests name hosts whose resources are not the emulator's.
            build + "; New-R $args[0] | Wait-OperationStatus -ResourceManagerEndpoint $args[2] -NoResource; Wait-OperationStatus -Response (New-R $args[1]) -ResourceManagerEndpoint $args[2] -NoResource",
            CacheStatusUrl(ids[0]), CacheStatusUrl(ids[1]), Url);

        AssertNoErrors(result);
        Assert.Equal(ids, result.Output.Select(o => Prop(o, "OperationId")));
        Assert.All(result.Output, o => Assert.Equal("Succeeded", Prop(o, "Status")));
    }

    [Theory]
    [InlineData("Azure-AsyncOperation", "Location", "Azure-AsyncOperation")]
    [InlineData("Operation-Location", "Location", "Operation-Location")]
    [InlineData("Location", null, "Location")]
    public void The_ARM_precedence_picks_the_header_to_poll(string first, string? second, string expected)
    {
        var winner = ScriptRunningThenSucceeded();
        var loser = ScriptRunningThenSucceeded();
        var headers = new Dictionary<string, string> { [first] = CacheStatusUrl(expected == first ? winner : loser) };
        if (second is not null)
        {
            headers[second] = CacheStatusUrl(expected == second ? winner : loser);
        }

        using var session = NewSession();
        var result = session.Run("$h = @{}; foreach ($k in $args[0].Keys) { $h[$k] = $args[0][$k] }; $h | Wait-OperationStatus -ResourceManagerEndpoint $args[1]", headers, Url);

        AssertNoErrors(result);
        Assert.Equal(winner, Prop(Assert.Single(result.Output), "OperationId"));
        Assert.Empty(RequestsFor(loser));
    }

    [Theory]
    [InlineData("Retry-After", "1", 900)]
    [InlineData("retry-after-ms", "600", 550)]
    [InlineData(null, null, 0)]
    public void The_first_poll_waits_for_the_responses_Retry_After(string? header, string? value, int atLeastMs)
    {
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var started = DateTimeOffset.UtcNow;
        var result = session.Run(
            "$h = @{ 'Azure-AsyncOperation' = $args[0] }; if ($args[2]) { $h[$args[2]] = $args[3] }; $h | Wait-OperationStatus -ResourceManagerEndpoint $args[1]",
            CacheStatusUrl(id), Url, header, value);

        AssertNoErrors(result);
        var waited = RequestsFor(id).Single().Time - started;
        Assert.True(waited >= TimeSpan.FromMilliseconds(atLeastMs), $"the first poll came after {waited.TotalMilliseconds:0} ms");
        if (atLeastMs == 0)
        {
            Assert.True(waited < TimeSpan.FromMilliseconds(500), $"without Retry-After the first poll came after {waited.TotalMilliseconds:0} ms");
        }
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void An_operation_header_on_a_foreign_host_gets_no_token()
    {
        using var session = NewSession();
        var result = session.Run("@{ 'Azure-AsyncOperation' = 'https://management.example.com/subscriptions/s/providers/Microsoft.Cache/locations/westus/operationsStatus/x?api-version=2024-10-01' }, @{ 'Location' = 'not a url' } | Wait-OperationStatus; 'after'");

        Assert.Equal("after", Assert.Single(result.Output).BaseObject);
        Assert.Equal(2, result.Errors.Count);
        Assert.Equal("WaitOperationStatusCommandUntrustedUri,OpStatus.Commands.WaitOperationStatusCommand", result.Errors[0].FullyQualifiedErrorId);
        Assert.Contains("Azure-AsyncOperation header", result.Errors[0].Exception.Message);
        Assert.Equal("WaitOperationStatusCommandInvalidOperationHeader,OpStatus.Commands.WaitOperationStatusCommand", result.Errors[1].FullyQualifiedErrorId);
        Assert.DoesNotContain(Emulator.TokenRequests, t => t.Resource.Contains("management.example.com", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_response_that_already_completed_is_Succeeded_with_its_body_as_Properties()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"name\":\"c1\",\"properties\":{\"provisioningState\":\"Succeeded\"}}") };

        using var session = NewSession();
        var result = session.Run("$s = $args[0] | Wait-OperationStatus; $s.Status; $s.IsTerminal; $s.Properties.name; $s.Properties.properties.provisioningState", response);

        AssertNoErrors(result);
        Assert.Equal(new object[] { "Succeeded", true, "c1", "Succeeded" }, result.Output.Select(o => o.BaseObject));
        // Every request shows under -Verbose (the session shows it): none was sent.
        Assert.DoesNotContain(result.Verbose, v => v.StartsWith("GET ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(409, "WaitOperationStatusCommandRequestFailed.Conflict", "The service said: Conflict: Busy.")]
    [InlineData(202, "WaitOperationStatusCommandNoOperationHeader", "Azure-AsyncOperation, Operation-Location, Location")]
    public void A_response_without_an_operation_header_that_is_not_done_is_an_error_naming_the_headers(int status, string errorId, string says)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent("{\"error\":{\"code\":\"Conflict\",\"message\":\"Busy\"}}") };

        using var session = NewSession();
        var result = session.Run("$args[0] | Wait-OperationStatus; 'after'", response);

        Assert.Equal("after", Assert.Single(result.Output).BaseObject);
        var error = Assert.Single(result.Errors);
        Assert.Equal(errorId + ",OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains(says, error.Exception.Message);
        Assert.Contains("Azure-AsyncOperation", error.Exception.Message);
    }

    [Fact]
    public void Statuses_URLs_and_responses_mix_in_one_pipeline()
    {
        var ids = new[] { ScriptRunningThenSucceeded(), ScriptRunningThenSucceeded(), ScriptRunningThenSucceeded() };

        using var session = NewSession();
        var result = session.Run(
            "$status = Get-CacheOperationStatus -ResourceManagerEndpoint $args[3] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[0]; " +
            "$status, $args[1], @{ 'Azure-AsyncOperation' = $args[2] } | Wait-OperationStatus -ResourceManagerEndpoint $args[3]",
            ids[0], CacheStatusUrl(ids[1]), CacheStatusUrl(ids[2]), Url);

        AssertNoErrors(result);
        Assert.Equal(ids.OrderBy(i => i), result.Output.Select(o => (string)Prop(o, "OperationId")!).OrderBy(i => i));
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void An_error_about_a_response_never_holds_the_request_and_its_Authorization_header()
    {
        const string token = "eyJhbGciOiJub25lIn0.cmVzcG9uc2UtdG9rZW4.sig";
        var request = new HttpRequestMessage(HttpMethod.Put, "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redisEnterprise/c?api-version=2024-10-01");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = new HttpResponseMessage(HttpStatusCode.Accepted) { RequestMessage = request, Content = new StringContent(string.Empty) };

        using var session = NewSession();
        var result = session.Run("$args[0] | Wait-OperationStatus", response);

        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandNoOperationHeader,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.IsType<Uri>(error.TargetObject);
        Assert.DoesNotContain(token, result.AllText());
    }

    [Theory]
    [InlineData("Creating", null, "WaitOperationStatusCommandNoOperationHeader")]
    [InlineData("Failed", "Failed", "WaitOperationStatusCommandOperationFailed")]
    [InlineData("Succeeded", "Succeeded", null)]
    public void A_completed_response_takes_its_status_from_provisioningState(string state, string? written, string? errorId)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("{\"name\":\"c1\",\"properties\":{\"provisioningState\":\"" + state + "\"}}") };

        using var session = NewSession();
        var result = session.Run("$args[0] | Wait-OperationStatus", response);

        Assert.Equal(written, result.Output.Select(o => (string?)Prop(o, "Status")).SingleOrDefault());
        Assert.Equal(errorId, result.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).SingleOrDefault());
    }
}
