using System.Text;

namespace OpStatus.Engine.Tests;

public sealed class StatusParserTests
{
    private static OperationStatus NewStatus() =>
        new TestEngine().Cache("op1").NewStatus();

    private static string? Fill(OperationStatus status, string json, IReadOnlyDictionary<string, string>? aliases = null) =>
        StatusParser.TryFill(status, Encoding.UTF8.GetBytes(json), aliases);

    [Fact]
    public void Every_field_of_a_status_is_read_and_unknown_ones_are_kept()
    {
        var status = NewStatus();
        var problem = Fill(status, """
            {"id":"/x/op1","name":"op1","status":"Running","startTime":"2026-12-06T10:00:00Z","endTime":"2026-12-06T10:05:00.123456789z",
             "percentComplete":"42.5","resourceId":"/r","properties":{"a":1,"b":[true,null]},"extra":{"k":"v"},
             "error":{"code":"E","message":"M","details":[{"code":"D"}],"innererror":{"x":1},"additionalInfo":[{"type":"T","info":{"y":2}}]}}
            """);

        Assert.Null(problem);
        Assert.Equal(("/x/op1", "op1", "Running", "/r"), (status.Id, status.Name, status.Status, status.ResourceId));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), status.StartTime);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 10, 5, 0, TimeSpan.Zero).AddTicks(1234567), status.ReportedEndTime);
        Assert.Null(status.EndTime);
        Assert.Equal(42.5, status.PercentComplete);
        Assert.Equal(1L, status.Properties!["a"]);
        Assert.Equal("{\"k\":\"v\"}", status.AdditionalProperties["extra"]!.ToString());
        Assert.Equal("E: M", status.Error!.ToString());
        Assert.Equal("D", Assert.Single(status.Error.Details).Code);
        Assert.Equal("T", Assert.Single(status.Error.AdditionalInfo).Type);
    }

    [Theory]
    [InlineData("Succeeded", true)]
    [InlineData("failed", true)]
    [InlineData("CANCELLED", true)]
    [InlineData("Running", false)]
    [InlineData("Deleting", false)]
    public void Terminal_words_are_recognised_whatever_their_case(string word, bool terminal)
    {
        var status = NewStatus();
        Assert.Null(Fill(status, "{\"status\":\"" + word + "\"}"));
        Assert.Equal(terminal, status.IsTerminal);
        Assert.Equal(word, status.Status);
    }

    [Theory]
    [InlineData("", "the body is empty")]
    [InlineData("<html>", "the body is not valid JSON")]
    [InlineData("[1]", "the body is a JSON array, not an object")]
    [InlineData("{\"name\":\"x\"}", "the body has no 'status' field")]
    [InlineData("{\"status\":\"  \"}", "its 'status' field is empty")]
    public void A_body_that_is_not_a_status_says_why(string body, string reason)
    {
        Assert.Equal(reason, Fill(NewStatus(), body));
    }

    [Fact]
    public void The_ARM_error_response_shape_is_read_too()
    {
        var status = NewStatus();
        Assert.Null(Fill(status, "{\"status\":\"Failed\",\"error\":{\"error\":{\"code\":\"Inner\",\"message\":\"Wrapped.\"}}}"));
        Assert.Equal("Inner", status.Error!.Code);
    }

    [Fact]
    public void A_service_field_alias_is_read_as_the_common_field()
    {
        var status = NewStatus();
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["state"] = "status" };
        Assert.Null(Fill(status, "{\"state\":\"Succeeded\"}", aliases));
        Assert.Equal("Succeeded", status.Status);
    }

    [Theory]
    [InlineData(202, "InProgress")]
    [InlineData(200, "Succeeded")]
    [InlineData(204, "Succeeded")]
    public void The_Location_contract_reads_the_HTTP_status(int httpStatus, string expected)
    {
        var status = NewStatus();
        Assert.True(StatusParser.TryFillFromLocationContract(status, httpStatus, Encoding.UTF8.GetBytes(httpStatus == 200 ? "{\"id\":\"/r\"}" : string.Empty)));
        Assert.Equal(expected, status.Status);
        Assert.False(StatusParser.TryFillFromLocationContract(NewStatus(), 500, ReadOnlyMemory<byte>.Empty));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00")]
    [InlineData("not a time")]
    public void A_time_that_is_no_time_is_left_empty(string sent)
    {
        var status = NewStatus();
        Assert.Null(Fill(status, "{\"status\":\"Running\",\"startTime\":\"" + sent + "\"}"));
        Assert.Null(status.StartTime);
    }
}
