using System.Collections;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// Wait-OperationStatus -Response reads the resource once an operation succeeds, by Resource Manager's rules (PUT and
/// PATCH: the request's URL; POST: Location; DELETE: nothing), from responses Invoke-WebRequest returns for requests
/// to the emulator's Redis Enterprise routes, sent with HttpClient (the hosted engine has no Invoke-WebRequest; the Pester
/// suite starts them with Invoke-WebRequest in a real pwsh).
/// </summary>
public sealed class FinalResourceTests : TestBase, IClassFixture<EmulatorFixture>
{
    public FinalResourceTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    private string Cluster(out string name)
    {
        name = "c" + Guid.NewGuid().ToString("N")[..10];
        return $"{Url}subscriptions/{Guid.NewGuid()}/resourceGroups/rg/providers/Microsoft.Cache/redisEnterprise/{name}";
    }

    /// <summary>A script function that sends a request to the emulator with a token, as a script would: Send-Request METHOD URL TOKEN gives the HttpResponseMessage.</summary>
    private const string SendRequest = """
        function Send-Request($Method, $Url, $Token) {
            $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$($Url)?api-version=2024-10-01")
            $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $Token)
            $request.Content = [System.Net.Http.StringContent]::new('{}', [System.Text.Encoding]::UTF8, 'application/json')
            [System.Net.Http.HttpClient]::new().SendAsync($request).GetAwaiter().GetResult()
        }

        """;

    /// <summary>Starts an operation (a token from the emulator) and pipes the response into Wait.</summary>
    private ScriptResult StartAndWait(PowerShellSession session, string method, string url, string extra = "") => session.Run(
        SendRequest + $$"""
        Send-Request {{method}} $args[1] $args[2] | Wait-OperationStatus -ResourceManagerEndpoint $args[0] {{extra}}
        """,
        Url, url, Emulator.IssueToken(Emulator.ResourceManagerAudience));

    [Fact]
    public void After_a_PUT_the_resource_is_read_from_the_request_s_own_URL()
    {
        var url = Cluster(out var name);

        using var session = NewSession();
        var result = StartAndWait(session, "PUT", url, "-Verbose");

        AssertNoErrors(result);
        var status = Assert.Single(result.Output);
        Assert.Equal("Succeeded", Prop(status, "Status"));
        var resource = Assert.IsAssignableFrom<IDictionary>(Prop(status, "Resource"));
        Assert.Equal(name, resource["name"]);
        Assert.Equal(name + ".westus.redis.azure.net", ((IDictionary)resource["properties"]!)["hostName"]);
        // The start, then the read of the resource once the operation ended.
        var seen = RequestsFor(name).Select(r => r.Method).ToArray();
        Assert.Equal(new[] { "PUT", "GET" }, seen);
        Assert.Contains(result.Verbose, v => v.StartsWith("Read the resource of operation ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_result_of_Invoke_AzRestMethod_names_its_method_and_URL_and_the_resource_is_read()
    {
        var url = Cluster(out var name);

        using var session = NewSession();
        // What Invoke-AzRestMethod returns (Az.Accounts' PSHttpResponse): StatusCode, Headers, Content, Method, RequestUri.
        var result = session.Run(
            SendRequest + """
            $r = Send-Request PUT $args[1] $args[2]
            [pscustomobject]@{ StatusCode = 201; Headers = $r.Headers; Content = $r.Content.ReadAsStringAsync().Result; Method = 'PUT'; RequestUri = "$($args[1])?api-version=2024-10-01" } |
                Wait-OperationStatus -ResourceManagerEndpoint $args[0]
            """,
            Url, url, Emulator.IssueToken(Emulator.ResourceManagerAudience));

        AssertNoErrors(result);
        var resource = Assert.IsAssignableFrom<IDictionary>(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Equal(name, resource["name"]);
    }

    [Fact]
    public void After_a_PATCH_the_resource_is_read_from_the_request_s_own_URL()
    {
        var url = Cluster(out _);

        using var session = NewSession();
        var result = StartAndWait(session, "PATCH", url);

        AssertNoErrors(result);
        var resource = Assert.IsAssignableFrom<IDictionary>(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Equal(true, ((IDictionary)resource["properties"]!)["patched"]);
    }

    [Fact]
    public void After_a_POST_the_result_is_read_from_Location()
    {
        var url = Cluster(out var name) + "/listKeys";

        using var session = NewSession();
        var result = StartAndWait(session, "POST", url);

        AssertNoErrors(result);
        var resource = Assert.IsAssignableFrom<IDictionary>(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Equal("result-of-" + name, resource["primaryKey"]);
    }

    [Fact]
    public void After_a_DELETE_nothing_is_read()
    {
        var url = Cluster(out var name);

        using var session = NewSession();
        var result = StartAndWait(session, "DELETE", url, "-Verbose");

        AssertNoErrors(result);
        Assert.Null(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Equal(new[] { "DELETE" }, RequestsFor(name).Select(r => r.Method).ToArray());
        Assert.Contains(result.Verbose, v => v == "The resource will not be read once the operation ends: a DELETE leaves no resource.");
    }

    [Fact]
    public void NoResource_turns_the_read_off()
    {
        var url = Cluster(out var name);

        using var session = NewSession();
        var result = StartAndWait(session, "PUT", url, "-NoResource");

        AssertNoErrors(result);
        Assert.Null(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Equal(new[] { "PUT" }, RequestsFor(name).Select(r => r.Method).ToArray());
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_resource_that_cannot_be_read_is_a_warning_and_the_status_is_still_written()
    {
        // The resource is gone by the time the operation ends (another client deleted it).
        var url = Cluster(out var name);

        using var session = NewSession();
        var result = session.Run(
            SendRequest + """
            $r = Send-Request PUT $args[1] $args[2]
            $null = Send-Request DELETE $args[1] $args[2]
            $r | Wait-OperationStatus -ResourceManagerEndpoint $args[0]
            """,
            Url, url, Emulator.IssueToken(Emulator.ResourceManagerAudience));

        AssertNoErrors(result);
        Assert.Equal("Succeeded", Prop(Assert.Single(result.Output), "Status"));
        Assert.Contains(result.Warning, w => w.Contains("succeeded, but its resource could not be read from", StringComparison.Ordinal) && w.Contains("404", StringComparison.Ordinal));
        Assert.Contains(RequestsFor(name), r => r.Method == "GET" && r.ResponseStatus == 404);
    }

    [Fact]
    [Trait("Reliability", "HostileInput")]
    public void A_resource_on_a_host_that_may_not_receive_tokens_is_not_read()
    {
        // A response whose request went to another host: the operation is followed at the emulator, the resource is not read.
        var id = NewId();
        Emulator.Script(id, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run(
            """
            $m = [System.Net.Http.HttpResponseMessage]::new(201)
            $m.RequestMessage = [System.Net.Http.HttpRequestMessage]::new('PUT', 'https://evil.example.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redisEnterprise/c')
            $null = $m.Headers.TryAddWithoutValidation('Azure-AsyncOperation', $args[1])
            $m | Wait-OperationStatus -ResourceManagerEndpoint $args[0] -Verbose
            """,
            Url, CacheStatusUrl(id));

        AssertNoErrors(result);
        Assert.Null(Prop(Assert.Single(result.Output), "Resource"));
        Assert.Contains(result.Verbose, v => v.StartsWith("The resource at https://evil.example.com/", StringComparison.Ordinal) && v.Contains("will not be read", StringComparison.Ordinal));
    }
}
