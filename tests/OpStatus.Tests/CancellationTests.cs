using System.Diagnostics;
using System.Management.Automation;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Ctrl+C (Stop) ends a command in the middle of a request or a retry backoff.</summary>
public sealed class CancellationTests : TestBase, IClassFixture<EmulatorFixture>
{
    public CancellationTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Theory]
    [Trait("Reliability", "Fault")]
    [InlineData("request")]
    [InlineData("backoff")]
    public void Stop_ends_the_command_without_waiting_for_the_service(string where)
    {
        var id = NewId();
        Emulator.Script(id, where == "request"
            ? new Step { Status = 200, Body = StatusBody("Running", id), DelayMs = 30_000 }
            : new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "Later."), Headers = new() { ["Retry-After"] = "30" } });

        using var session = NewSession();
        var (shell, pending) = session.Start(
            "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1]", Url, id);
        using (shell)
        {
            WaitForRequests(id, 1);
            Thread.Sleep(200);
            var stopping = Stopwatch.StartNew();
            shell.Stop();
            Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(pending));

            // The service would have kept the command for 30 s; Stop must not.
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"Stop took {stopping.Elapsed}");
            Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        }

        Assert.Single(RequestsFor(id));
    }
}
