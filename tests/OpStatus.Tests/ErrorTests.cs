using System.Management.Automation;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Each class of failure becomes one clear, non-terminating error for its item.</summary>
public sealed class ErrorTests : TestBase, IClassFixture<EmulatorFixture>
{
    public ErrorTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Not_found_is_ObjectNotFound_with_the_server_code_and_request_id_and_the_next_item_goes_on()
    {
        var missing = NewId();
        var present = NewId();
        Emulator.Script(present, Ok(StatusBody("Succeeded", present)));

        using var session = NewSession();
        var result = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus",
            Url, NewSubscription(), new[] { missing, present });

        Assert.Null(result.Terminating);
        Assert.Equal(present, Prop(Assert.Single(result.Output), "Name"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandHttp404.OperationNotFound,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(missing, error.TargetObject);
        Assert.Contains("OperationNotFound", error.Exception.Message);
        Assert.Contains($"The operation '{missing}' was not found.", error.Exception.Message);
        var requestId = (string?)error.Exception.GetType().GetProperty("RequestId")!.GetValue(error.Exception);
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Contains(requestId!, error.Exception.Message);
        Assert.Equal(404, error.Exception.GetType().GetProperty("StatusCode")!.GetValue(error.Exception));
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData(400, "InvalidApiVersionParameter", ErrorCategory.InvalidArgument, false)]
    [InlineData(403, "AuthorizationFailed", ErrorCategory.PermissionDenied, false)]
    [InlineData(409, "Conflict", ErrorCategory.ResourceBusy, false)]
    [InlineData(429, "TooManyRequests", ErrorCategory.LimitsExceeded, true)]
    [InlineData(500, "InternalServerError", ErrorCategory.ResourceUnavailable, true)]
    [InlineData(503, "ServiceUnavailable", ErrorCategory.ResourceUnavailable, true)]
    public void Http_errors_map_to_a_fitting_category_after_bounded_retries(int status, string code, ErrorCategory category, bool retried)
    {
        var id = NewId();
        Emulator.Script(id, new Step
        {
            Status = status,
            Body = ErrorBody(code, $"Scripted {status}."),
            Headers = new() { ["retry-after-ms"] = "10" },
        });

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal($"GetCacheOperationStatusCommandHttp{status}.{code},OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Contains($"Scripted {status}.", error.Exception.Message);
        Assert.Equal(retried ? 5 : 1, RequestsFor(id).Count);
    }

    [Fact]
    public void Dev_Center_error_code_comes_from_the_x_ms_error_code_header()
    {
        var id = NewId();
        Emulator.Script(id, new Step
        {
            Status = 404,
            Body = new System.Text.Json.Nodes.JsonObject { ["error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = "NotFound", ["message"] = "Operation not found." } },
            Headers = new() { ["x-ms-error-code"] = "OperationStatusNotFound" },
        });

        using var session = NewSession();
        var result = session.Run("Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName myProject -OperationId $args[1]", Url, id);

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetDevCenterOperationStatusCommandHttp404.OperationStatusNotFound,OpStatus.Commands.GetDevCenterOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Operation not found.", error.Exception.Message);
        Assert.Contains("Check the operation id, the project name and the endpoint:", error.Exception.Message);
        Assert.DoesNotContain("subscription", error.Exception.Message);
    }

    [Fact]
    public void A_server_message_without_a_full_stop_still_ends_its_sentence()
    {
        var id = NewId();
        Emulator.Script(id, new Step { Status = 404, Body = ErrorBody("OperationNotFound", "m77 broke") });

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        var error = Assert.Single(result.Errors);
        Assert.Contains("OperationNotFound for operation", error.Exception.Message);
        Assert.Contains(": m77 broke. Check the operation id, the location and the subscription id: the operation may also have expired. Request id: ", error.Exception.Message);
        Assert.DoesNotContain("project", error.Exception.Message);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Throttling_and_outages_are_retried_with_Retry_After_then_succeed()
    {
        var id = NewId();
        Emulator.Script(
            id,
            new Step { Status = 429, Body = ErrorBody("TooManyRequests", "Slow down."), Headers = new() { ["Retry-After"] = "1" } },
            new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Try later."), Headers = new() { ["retry-after-ms"] = "300" } },
            Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        var seen = RequestsFor(id);
        Assert.Equal(new[] { 429, 503, 200 }, seen.Select(r => r.ResponseStatus).ToArray());
        Assert.True(seen[1].Time - seen[0].Time >= TimeSpan.FromMilliseconds(950), $"Retry-After: 1 was not honoured ({(seen[1].Time - seen[0].Time).TotalMilliseconds} ms)");
        Assert.True(seen[2].Time - seen[1].Time >= TimeSpan.FromMilliseconds(280), $"retry-after-ms: 300 was not honoured ({(seen[2].Time - seen[1].Time).TotalMilliseconds} ms)");
        Assert.Single(seen.Select(r => r.ClientRequestId).Distinct());
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("<html><body>Proxy error</body></html>", "text/html", "not valid JSON")]
    [InlineData("", null, "empty")]
    [InlineData("{\"status\": \"Runn", null, "not valid JSON")]
    [InlineData("[{\"status\":\"Running\"}]", null, "array")]
    [InlineData("{\"name\":\"x\"}", null, "no 'status' field")]
    [InlineData("\"Succeeded\"", null, "string")]
    public void A_success_that_is_not_an_operation_status_is_InvalidResult(string body, string? contentType, string reason)
    {
        var id = NewId();
        Emulator.Script(id, new Step { Status = 200, BodyText = body, ContentType = contentType });

        using var session = NewSession();
        var result = Cache(session, NewSubscription(), id);

        Assert.Null(result.Terminating);
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandInvalidResponse,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        Assert.Contains(reason, error.Exception.Message);
        Assert.Contains("Request id:", error.Exception.Message);
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("reset")]
    [InlineData("truncate")]
    public void Network_faults_are_retried_then_reported_as_ConnectionError(string fault)
    {
        var id = NewId();
        var other = NewId();
        Emulator.Script(id, new Step { Status = 200, Body = StatusBody("Running", id), Fault = fault });
        Emulator.Script(other, Ok(StatusBody("Running", other)));

        using var session = NewSession();
        var result = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus",
            Url, NewSubscription(), new[] { id, other });

        Assert.Null(result.Terminating);
        Assert.Equal(other, Prop(Assert.Single(result.Output), "Name"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandConnectionFailed,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains("after 5 tries", error.Exception.Message);
        Assert.Equal(5, RequestsFor(id).Count);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_service_that_never_answers_is_an_OperationTimeout_for_that_item_only()
    {
        var silent = NewId();
        var other = NewId();
        Emulator.Script(silent, new Step { Status = 200, Body = StatusBody("Running", silent), DelayMs = 60_000 });
        Emulator.Script(other, Ok(StatusBody("Running", other)));

        using var session = NewSession();
        var result = session.Run(
            "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus",
            Url, NewSubscription(), new[] { silent, other });

        Assert.Null(result.Terminating);
        Assert.Equal(other, Prop(Assert.Single(result.Output), "Name"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandTimeout,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Contains("did not answer", error.Exception.Message);
        Assert.Equal(5, RequestsFor(silent).Count);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_refused_connection_is_a_ConnectionError()
    {
        // A port that was just free: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var session = NewSession();
        var result = session.Run($"Get-CacheOperationStatus -ResourceManagerEndpoint https://127.0.0.1:{port}/ -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x -AccessToken not-a-real-token");

        var error = Assert.Single(result.Errors);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains($"127.0.0.1:{port}", error.Exception.Message);
    }

    [Fact]
    public void ErrorAction_Stop_ends_a_runbook_with_the_reason()
    {
        var id = NewId();
        using var session = NewSession();
        var result = session.Run(
            """
            try {
                Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus -OperationId $args[2] -ErrorAction Stop
                'not reached'
            } catch {
                "caught: $($_.CategoryInfo.Category) $($_.FullyQualifiedErrorId) $($_.Exception.RequestId -ne $null)"
            }
            """,
            Url, NewSubscription(), id);

        Assert.Equal("caught: ObjectNotFound GetCacheOperationStatusCommandHttp404.OperationNotFound,OpStatus.Commands.GetCacheOperationStatusCommand True", Assert.Single(result.Output).BaseObject);
    }
}
