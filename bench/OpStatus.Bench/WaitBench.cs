using System.Globalization;
using static OpStatus.Bench.Harness;

namespace OpStatus.Bench;

/// <summary>
/// N operations that all end T seconds after they start, waited on by Get-CacheOperationStatus |
/// Wait-OperationStatus and, as the baseline, by the loop a user would otherwise write
/// (foreach + Get-CacheOperationStatus + 10 s sleep).
/// </summary>
internal static class WaitBench
{
    private const int LoopSleepSeconds = 10;

    private const string WaitScript = "$args[2] | Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus | Wait-OperationStatus -ErrorAction Stop";

    private const string LoopScript = """
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

    public static void Run(Harness harness, double[] durations, int[] counts)
    {
        Console.WriteLine($"## Waiting: N operations that all end T seconds after they start (baseline: foreach + Get + {LoopSleepSeconds} s sleep)");
        var rows = new List<string[]>();
        foreach (var seconds in durations)
        {
            foreach (var n in counts)
            {
                var wait = Measure(harness, n, seconds, (subscription, ids) => harness.Invoke(WaitScript, harness.Url, subscription, ids));
                var loop = Measure(harness, n, seconds, (subscription, ids) => harness.Invoke(LoopScript, harness.Url, subscription, ids, LoopSleepSeconds));
                rows.Add(new[]
                {
                    F(seconds), n.ToString(CultureInfo.InvariantCulture),
                    F(wait.Wall / seconds), F(loop.Wall / seconds), F(wait.Wall / loop.Wall),
                    F(wait.RequestsPerOperation), F(loop.RequestsPerOperation), F(wait.RequestsPerOperation / loop.RequestsPerOperation),
                    F(wait.PeakBytesPerOperation / 1024), F(loop.PeakBytesPerOperation / 1024),
                });
            }
        }

        PrintTable(new[] { "T (s)", "N", "wall/T wait", "wall/T loop", "wall ratio", "req/op wait", "req/op loop", "req ratio", "peak KiB/op wait", "peak KiB/op loop" }, rows);
    }

    private static (double Wall, double RequestsPerOperation, double PeakBytesPerOperation) Measure(Harness harness, int n, double seconds, Action<string, string[]> run)
    {
        var subscription = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, n).Select(i => $"{subscription}-op{i}").ToArray();
        var start = DateTimeOffset.UtcNow;
        foreach (var id in ids)
        {
            harness.Emulator.ScriptUntil(id, start.AddSeconds(seconds));
        }

        var peak = PeakHeapGrowth(() => run(subscription, ids));
        var wall = (DateTimeOffset.UtcNow - start).TotalSeconds;
        var requests = harness.Emulator.Requests.Count(r => r.RawTarget.Contains(subscription, StringComparison.Ordinal));
        return (wall, (double)requests / n, (double)peak / n);
    }
}
