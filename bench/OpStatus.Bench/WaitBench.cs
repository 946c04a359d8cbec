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

    private const string DeadlineUriScript = "$url, $sub, $ids, $t = $args; $ids | ForEach-Object { \"${url}subscriptions/$sub/providers/Microsoft.Cache/locations/westus/operationsStatus/${_}?api-version=2024-10-01\" } | Wait-OperationStatus -ResourceManagerEndpoint $url -Timeout $t -ErrorAction Ignore";

    // What a script would write without OpStatus's deadline: check the clock between reads of a Get.
    private const string DeadlineLoopScript = """
        $url, $sub, $ids, $t = $args
        $deadline = [DateTime]::UtcNow.AddSeconds($t)
        $pending = $ids
        while ($pending.Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) {
            $pending = @(foreach ($id in $pending) {
                $s = Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId $sub -Location westus -OperationId $id -ErrorAction Ignore
                if (-not $s.IsTerminal) { $id }
            })
        }
        """;

    /// <summary>A service that answers only after 30 s, waited on with a deadline of T seconds.</summary>
    public static void RunDeadline(Harness harness, double seconds, int[] counts)
    {
        Console.WriteLine($"## Deadline: N operations whose service answers after 30 s, -Timeout {F(seconds)} (baseline, N = 1: a loop that checks the clock between Get calls)");
        var rows = new List<string[]>();
        foreach (var n in counts)
        {
            var wait = MeasureSlow(harness, n, (subscription, ids) => harness.Invoke(DeadlineUriScript, harness.Url, subscription, ids, (int)seconds));
            var loop = n == 1 ? MeasureSlow(harness, n, (subscription, ids) => harness.Invoke(DeadlineLoopScript, harness.Url, subscription, ids, (int)seconds)) : double.NaN;
            rows.Add(new[] { F(seconds), n.ToString(CultureInfo.InvariantCulture), F(wait / seconds), double.IsNaN(loop) ? "-" : F(loop / seconds), double.IsNaN(loop) ? "-" : F(wait / loop) });
        }

        PrintTable(new[] { "T (s)", "N", "wall/T wait", "wall/T loop", "wall ratio" }, rows);
    }

    private static double MeasureSlow(Harness harness, int n, Action<string, string[]> run)
    {
        var subscription = Guid.NewGuid().ToString();
        var ids = Enumerable.Range(0, n).Select(i => $"slow-{subscription[..8]}-op{i}").ToArray();
        foreach (var id in ids)
        {
            harness.Emulator.Script(id, new OpStatus.Emulator.Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = id, ["status"] = "Running" }, DelayMs = 30_000 });
        }

        var start = DateTimeOffset.UtcNow;
        run(subscription, ids);
        return (DateTimeOffset.UtcNow - start).TotalSeconds;
    }
}
