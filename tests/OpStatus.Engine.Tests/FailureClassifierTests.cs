namespace OpStatus.Engine.Tests;

/// <summary>One answer to "is this failure temporary?", taken from the pipeline that really ran.</summary>
public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData(408, true, "OperationTimeout")]
    [InlineData(429, true, "LimitsExceeded")]
    [InlineData(500, true, "ResourceUnavailable")]
    [InlineData(502, true, "ResourceUnavailable")]
    [InlineData(503, true, "ResourceUnavailable")]
    [InlineData(504, true, "ResourceUnavailable")]
    [InlineData(501, false, "NotImplemented")]
    [InlineData(505, false, "ResourceUnavailable")]
    [InlineData(400, false, "InvalidArgument")]
    [InlineData(403, false, "PermissionDenied")]
    [InlineData(404, false, "ObjectNotFound")]
    [InlineData(409, false, "ResourceBusy")]
    public void An_HTTP_failure_is_transient_exactly_when_the_pipeline_retried_it(int status, bool transient, string category)
    {
        var engine = new TestEngine(maxRetries: 2);
        engine.Service.Script("op", new Answer { Status = status, Body = "{\"error\":{\"code\":\"C\",\"message\":\"M.\"}}" });

        var failure = engine.Fail("op");

        Assert.Equal(transient, failure.IsTransient);
        Assert.Equal(transient ? 3 : 1, engine.Service.RequestsFor("op").Count);
        var error = FailureClassifier.ErrorOf(failure);
        Assert.Equal(category, error.Category.ToString());
        Assert.Equal($"Http{status}.C", error.ErrorId);
        Assert.Contains(": M.", failure.Message, StringComparison.Ordinal);
        Assert.Equal(transient && status >= 500, failure.Message.Contains("try again later", StringComparison.Ordinal));
    }

    [Fact]
    public void A_501_says_it_was_not_tried_again()
    {
        var engine = new TestEngine();
        engine.Service.Script("op", new Answer { Status = 501 });

        Assert.Contains("not tried again", engine.Fail("op").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FailureKind.Network, true)]
    [InlineData(FailureKind.Timeout, true)]
    [InlineData(FailureKind.InvalidResponse, true)]
    [InlineData(FailureKind.Authentication, false)]
    [InlineData(FailureKind.NameResolution, false)]
    [InlineData(FailureKind.Certificate, false)]
    [InlineData(FailureKind.Unexpected, false)]
    public void Other_kinds_are_transient_by_their_nature(FailureKind kind, bool transient)
    {
        Assert.Equal(transient, FailureClassifier.IsTransient(kind, retriedByPipeline: false));
        Assert.Equal(transient, new TestEngine().Cache("op").Failure(kind, "m").IsTransient);
    }

    [Fact]
    public void A_network_fault_is_retried_then_a_transient_ConnectionError()
    {
        var engine = new TestEngine(maxRetries: 2);
        engine.Service.Script("op", new Answer { Fault = new HttpRequestException("reset") });

        var failure = engine.Fail("op");

        Assert.Equal((FailureKind.Network, true), (failure.Kind, failure.IsTransient));
        Assert.Equal(3, engine.Service.RequestsFor("op").Count);
        Assert.Equal((FailureCategory.ConnectionError, "ConnectionFailed"), (FailureClassifier.ErrorOf(failure).Category, FailureClassifier.ErrorOf(failure).ErrorId));
    }

    [Fact]
    public void Only_a_failure_to_get_a_token_ends_the_command()
    {
        var request = new TestEngine().Cache("op");
        Assert.True(FailureClassifier.ErrorOf(request.Failure(FailureKind.Authentication, "m")).EndsCommand);
        Assert.False(FailureClassifier.ErrorOf(request.Failure(FailureKind.Network, "m")).EndsCommand);
    }

    [Theory]
    [InlineData("Operation.NotFound", ".Operation.NotFound")]
    [InlineData("bad code!<>", ".badcode")]
    [InlineData(null, "")]
    public void Error_ids_end_in_the_safe_characters_of_the_server_code(string? code, string suffix)
    {
        Assert.Equal(suffix, FailureClassifier.CodeSuffix(code));
    }

    [Fact]
    public void Every_category_is_a_PowerShell_category_of_the_same_name()
    {
        // The numbers are PowerShell's ErrorCategory values (System.Management.Automation is not referenced here).
        var expected = new Dictionary<string, int>
        {
            ["NotSpecified"] = 0, ["InvalidArgument"] = 5, ["InvalidData"] = 6, ["InvalidOperation"] = 7, ["InvalidResult"] = 8,
            ["NotImplemented"] = 11, ["ObjectNotFound"] = 13, ["OperationStopped"] = 14, ["OperationTimeout"] = 15,
            ["PermissionDenied"] = 18, ["ResourceBusy"] = 19, ["ResourceUnavailable"] = 21, ["SecurityError"] = 25,
            ["ConnectionError"] = 27, ["AuthenticationError"] = 28, ["LimitsExceeded"] = 29,
        };
        Assert.Equal(expected, Enum.GetValues<FailureCategory>().ToDictionary(c => c.ToString(), c => (int)c));
    }
}
