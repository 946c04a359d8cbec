using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpStatus.Emulator;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>What a runbook bets on: -Timeout is a deadline, -Any writes one, and faults that cannot mend are not retried.</summary>
public sealed class WaitDeadlineTests : TestBase, IClassFixture<EmulatorFixture>
{
    public WaitDeadlineTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Timeout_cancels_a_read_in_flight_and_returns_within_a_second_of_the_deadline()
    {
        var id = NewId();
        Emulator.Script(id, new Step { Body = StatusBody("Running", id), DelayMs = 30_000 });

        using var session = NewSession();
        var clock = Stopwatch.StartNew();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1] -Timeout 2", CacheStatusUrl(id), Url);
        clock.Stop();

        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"Wait returned after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Timeout_counts_from_when_Wait_receives_the_operation()
    {
        var id = NewId();
        Emulator.Script(id, new Step { Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "100" } });

        using var session = NewSession();
        var clock = Stopwatch.StartNew();
        var result = session.Run("& { [System.Threading.Thread]::Sleep(2000); $args[0] } $args[0] | Wait-OperationStatus -ResourceManagerEndpoint $args[1] -Timeout 2", CacheStatusUrl(id), Url);
        clock.Stop();

        Assert.Equal("WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3.8), $"the operation was given up {clock.Elapsed.TotalSeconds - 2:0.0} s after it was received");
        Assert.True(RequestsFor(id).Count >= 5, $"only {RequestsFor(id).Count} polls in the 2 s after it was received");
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void The_timeout_error_says_why_the_last_poll_failed()
    {
        var id = NewId();
        Emulator.Script(id, new Step { Status = 503, Body = ErrorBody("ServiceUnavailable", "The front door is down."), Headers = new() { ["retry-after-ms"] = "200" } });

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1] -Timeout 2", CacheStatusUrl(id), Url);

        var error = Assert.Single(result.Errors);
        Assert.Equal("WaitOperationStatusCommandTimeout,OpStatus.Commands.WaitOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Contains("its last status was not read yet. The last poll failed: ", error.Exception.Message);
        Assert.Contains("503", error.Exception.Message);
        Assert.Contains("The front door is down.", error.Exception.Message);
    }

    [Fact]
    public void Any_writes_exactly_one_status_when_several_are_already_done()
    {
        var ids = new[] { NewId(), NewId(), NewId() };
        Emulator.Script(ids[0], Ok(StatusBody("Succeeded", ids[0])));
        Emulator.Script(ids[1], Ok(StatusBody("Succeeded", ids[1])));
        Emulator.Script(ids[2], Ok(StatusBody("Running", ids[2])));

        using var session = NewSession();
        var result = session.Run(
            "$ops = $args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus; Wait-OperationStatus -InputObject $ops -Any",
            Url, NewSubscription(), ids);

        AssertNoErrors(result);
        Assert.Equal(ids[0], Prop(Assert.Single(result.Output), "Name"));
        Assert.Single(RequestsFor(ids[2]));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void A_host_name_that_does_not_resolve_is_not_retried_and_says_so()
    {
        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint https://no-such-host.invalid/ -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x -AccessToken abc");

        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandNameNotResolved,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains("The host name 'no-such-host.invalid' of the Cache service could not be resolved", error.Exception.Message);
        Assert.DoesNotContain("tries", error.Exception.Message);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void An_untrusted_certificate_is_not_retried_and_names_SSL_CERT_FILE()
    {
        using var server = new UntrustedTlsServer();

        using var session = NewSession();
        var result = session.Run("Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId x -AccessToken abc; 'after'", server.Url);

        Assert.Equal("after", Assert.Single(result.Output).BaseObject);
        var error = Assert.Single(result.Errors);
        Assert.Equal("GetCacheOperationStatusCommandCertificateNotTrusted,OpStatus.Commands.GetCacheOperationStatusCommand", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.SecurityError, error.CategoryInfo.Category);
        Assert.Contains("SSL_CERT_FILE", error.Exception.Message);
        Assert.Equal(1, server.Handshakes);
    }

    [Fact]
    public void Progress_at_scale_keeps_the_parent_and_a_handful_of_operations()
    {
        var ids = Enumerable.Range(0, 40).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
        {
            Emulator.Script(id, new Step { Body = StatusBody("Running", id), Headers = new() { ["retry-after-ms"] = "100" } }, Ok(StatusBody("Succeeded", id)));
        }

        using var session = NewSession();
        var result = session.Run("$u = $args[1]; $args[0] | ForEach-Object { $u + 'subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/' + $_ + '?api-version=2024-10-01' } | Wait-OperationStatus -ResourceManagerEndpoint $args[1]", ids, Url);

        AssertNoErrors(result);
        Assert.Equal(40, result.Output.Count);
        var open = new HashSet<int>();
        var most = 0;
        foreach (var record in result.Progress.Where(p => p.ParentActivityId == 1))
        {
            if (record.RecordType == System.Management.Automation.ProgressRecordType.Completed)
            {
                open.Remove(record.ActivityId);
            }
            else
            {
                open.Add(record.ActivityId);
            }

            most = Math.Max(most, open.Count);
        }

        Assert.InRange(most, 1, 5);
        Assert.Contains(result.Progress, p => p.ActivityId == 1 && p.StatusDescription.StartsWith("40 of 40 done, 0 running", StringComparison.Ordinal));
    }

    [Fact]
    public void Time_waited_ticks_every_second_between_polls()
    {
        var id = NewId();
        // Four seconds between the polls: at least three distinct times waited even when a loaded machine delays a
        // tick (the exact one-second ticks are tested on the engine's manual clock).
        Emulator.Script(id, new Step { Body = StatusBody("Running", id), Headers = new() { ["Retry-After"] = "4" } }, Ok(StatusBody("Succeeded", id)));

        using var session = NewSession();
        var result = session.Run("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", CacheStatusUrl(id), Url);

        AssertNoErrors(result);
        var ticks = result.Progress.Where(p => p.ActivityId == 1 && p.StatusDescription.Contains("1 running, waited", StringComparison.Ordinal))
            .Select(p => p.StatusDescription).Distinct().ToArray();
        Assert.True(ticks.Length >= 3, string.Join(" | ", ticks));
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void Every_ending_many_times_leaves_no_exception_and_no_loop_behind()
    {
        var done = NewId();
        var running = NewId();
        var missing = NewId();
        Emulator.Script(done, Ok(StatusBody("Succeeded", done)));
        Emulator.Script(running, new Step { Body = StatusBody("Running", running), Headers = new() { ["retry-after-ms"] = "100" } });

        using var session = NewSession();
        var endings = new Dictionary<string, (string Script, int Outputs, int Errors)>
        {
            ["normal"] = ("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[3]", 1, 0),
            ["any"] = ("Wait-OperationStatus -Uri $args[1], $args[0] -ResourceManagerEndpoint $args[3] -Any", 1, 0),
            ["timeout"] = ("Wait-OperationStatus -Uri $args[1] -ResourceManagerEndpoint $args[3] -Timeout 0", 0, 1),
            ["error"] = ("Wait-OperationStatus -Uri $args[2] -ResourceManagerEndpoint $args[3]", 0, 1),
        };
        for (var i = 0; i < 15; i++)
        {
            foreach (var (name, (script, outputs, errors)) in endings)
            {
                var result = session.Run(script, CacheStatusUrl(done), CacheStatusUrl(running), CacheStatusUrl(missing), Url);
                Assert.True(result.Terminating is null, $"{name}: {result.Terminating}");
                Assert.True(result.Output.Count == outputs && result.Errors.Count == errors, $"{name} #{i}: {result.Output.Count} outputs, {result.Errors.Count} errors");
            }

            var (shell, pending) = session.Start("Wait-OperationStatus -Uri $args[0] -ResourceManagerEndpoint $args[1]", CacheStatusUrl(running), Url);
            using (shell)
            {
                Thread.Sleep(50);
                var stopping = Stopwatch.StartNew();
                shell.Stop();
                Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(1), $"Stop took {stopping.Elapsed.TotalMilliseconds:0} ms");
                Assert.True(pending.IsCompleted);
            }
        }

        // Nothing polls after the commands ended.
        var before = RequestsFor(running).Count;
        Thread.Sleep(400);
        Assert.Equal(before, RequestsFor(running).Count);
    }

    /// <summary>A TLS server on loopback whose self-signed certificate nobody trusts.</summary>
    private sealed class UntrustedTlsServer : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 certificate;
        private readonly CancellationTokenSource stop = new();
        private int handshakes;

        public UntrustedTlsServer()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
            listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public string Url => $"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";

        public int Handshakes => Volatile.Read(ref handshakes);

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    Interlocked.Increment(ref handshakes);
                    using var tls = new SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(certificate);
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    // The client refuses the certificate: that is the point.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            certificate.Dispose();
            stop.Dispose();
        }
    }
}
