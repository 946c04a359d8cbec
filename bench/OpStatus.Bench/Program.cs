using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using OpStatus.Emulator;

// Waiting benchmark: N operations that all end T seconds after they start, waited on by
// Get-CacheOperationStatus | Wait-OperationStatus and, as the baseline measured in the same run, by the loop a
// user would otherwise write (foreach + Get-CacheOperationStatus + sleep). Run with bench/run.sh.
var durations = (args.Length > 0 ? args[0] : "3,20").Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
var counts = (args.Length > 1 ? args[1] : "1,100,1000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
const int NaiveSleepSeconds = 10;

var root = FindRoot();
var certificates = Environment.GetEnvironmentVariable("OPSTATUS_TEST_CERTS")
    ?? throw new InvalidOperationException("Run bench/run.sh: it makes the test certificates and sets SSL_CERT_FILE.");
await using var emulator = await AzureEmulator.StartAsync(certificates);
Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", emulator.IdentityEndpoint.ToString());
Environment.SetEnvironmentVariable("IDENTITY_HEADER", emulator.IdentityHeader);

using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
runspace.Open();
Invoke(runspace, "Import-Module $args[0] -ErrorAction Stop", Path.Combine(root, "out", "OpStatus", "OpStatus.psd1"));
var url = emulator.BaseUri.ToString();

// Warm up: credential, pipeline and JIT, outside the measurements.
emulator.ScriptUntil("warmup", DateTimeOffset.UtcNow);
Invoke(runspace, "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId warm -Location westus -OperationId warmup -ErrorAction Stop", url);

const string WaitScript = "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Wait-OperationStatus -ErrorAction Stop";
const string NaiveScript = """
    $url, $sub, $ids, $sleep = $args
    $pending = $ids
    while ($pending.Count -gt 0) {
        $pending = @(foreach ($id in $pending) {
            $s = Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId $sub -Location westus -OperationId $id -ErrorAction Stop
            if (-not $s.IsTerminal) { $id }
        })
        if ($pending.Count -gt 0) { [System.Threading.Thread]::Sleep($sleep * 1000) }
    }
    """;

var rows = new List<string[]>();
foreach (var seconds in durations)
foreach (var n in counts)
{
    var wait = Measure(n, seconds, subscription => Invoke(runspace, WaitScript, url, subscription, Ids(subscription, n)));
    var naive = Measure(n, seconds, subscription => Invoke(runspace, NaiveScript, url, subscription, Ids(subscription, n), NaiveSleepSeconds));
    rows.Add(new[]
    {
        F(seconds), n.ToString(CultureInfo.InvariantCulture),
        F(wait.Wall / seconds), F(naive.Wall / seconds), F(wait.Wall / naive.Wall),
        F(wait.RequestsPerOperation), F(naive.RequestsPerOperation), F(wait.RequestsPerOperation / naive.RequestsPerOperation),
        F(wait.PeakBytesPerOperation / 1024), F(naive.PeakBytesPerOperation / 1024),
    });
}

Console.WriteLine($"Waiting on N operations that all end T seconds after they start; baseline: foreach + Get-CacheOperationStatus + {NaiveSleepSeconds} s sleep, same process and emulator.");
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine();
var header = new[] { "T (s)", "N", "wall/T wait", "wall/T loop", "wall ratio", "req/op wait", "req/op loop", "req ratio", "peak KiB/op wait", "peak KiB/op loop" };
Console.WriteLine("| " + string.Join(" | ", header) + " |");
Console.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
foreach (var row in rows)
{
    Console.WriteLine("| " + string.Join(" | ", row) + " |");
}

return 0;

// Starts N operations that end T seconds from now, runs the waiting script, and measures it.
Result Measure(int n, double seconds, Action<string> run)
{
    var subscription = "bench-" + Guid.NewGuid().ToString("N")[..8];
    var ids = Ids(subscription, n);
    var start = DateTimeOffset.UtcNow;
    foreach (var id in ids)
    {
        emulator.ScriptUntil(id, start.AddSeconds(seconds));
    }

    var baseline = GC.GetTotalMemory(forceFullCollection: true);
    long peak = baseline;
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
            try
            {
                await Task.Delay(200, sampling.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    });

    var clock = Stopwatch.StartNew();
    run(subscription);
    var wall = (DateTimeOffset.UtcNow - start).TotalSeconds;
    sampling.Cancel();
    sampler.Wait();
    var requests = emulator.Requests.Count(r => r.RawTarget.Contains(subscription, StringComparison.Ordinal));
    return new Result(wall, (double)requests / n, (double)(peak - baseline) / n);
}

static string[] Ids(string subscription, int n) => Enumerable.Range(0, n).Select(i => $"{subscription}-op{i}").ToArray();

static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

static void Invoke(Runspace runspace, string script, params object[] arguments)
{
    using var shell = PowerShell.Create();
    shell.Runspace = runspace;
    shell.AddScript(script);
    foreach (var argument in arguments)
    {
        shell.AddArgument(argument);
    }

    shell.Invoke();
    if (shell.HadErrors)
    {
        throw new InvalidOperationException("The script failed: " + string.Join("; ", shell.Streams.Error.Select(e => e.ToString())));
    }
}

static string FindRoot()
{
    var folder = new DirectoryInfo(AppContext.BaseDirectory);
    while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "OpStatus.psd1")))
    {
        folder = folder.Parent;
    }

    return folder?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
}

internal sealed record Result(double Wall, double RequestsPerOperation, double PeakBytesPerOperation);
