using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using OpStatus.Emulator;
using static OpStatus.Bench.Harness;

namespace OpStatus.Bench;

/// <summary>
/// Many statuses at once, each way timed in a real pwsh 7.6.9 (bench/bulk.ps1): OpStatus piped, against
/// ForEach-Object -Parallel with Invoke-RestMethod, a plain Invoke-RestMethod loop and raw HttpClient; then
/// reads and waits under the emulator's model of Resource Manager's throttling.
/// </summary>
internal static class BulkBench
{
    private const int ArmBurst = 250;
    private const double ArmRate = 25;

    public static void Run(Harness harness, int n)
    {
        var pwsh = Environment.GetEnvironmentVariable("OPSTATUS_BENCH_PWSH")
            ?? throw new InvalidOperationException("Run bench/run.sh: it installs pwsh 7.6.9 and sets OPSTATUS_BENCH_PWSH.");
        var folder = Directory.CreateDirectory(Path.Combine(Root, "out", "bench")).FullName;
        var token = harness.Emulator.IssueToken(harness.Emulator.ResourceManagerAudience);
        var warmUp = Scripted(harness, 1, 0, folder, "warmup")[0];
        var lifted = new Dictionary<string, string?> { ["OPSTATUS_READ_BURST"] = "1000000", ["OPSTATUS_READS_PER_SECOND"] = "1000000" };

        // 1 and 2: a 50 ms round trip, as Azure's.
        var slow = IdsFile(Scripted(harness, n, 50, folder, "slow"), folder, "slow");
        var piped = Child(pwsh, harness, "opstatus-piped", slow, token, warmUp, lifted);
        var parallel = Child(pwsh, harness, "irm-parallel", slow, token, warmUp, lifted);
        var loop = Child(pwsh, harness, "irm-loop", slow, token, warmUp, lifted);
        Console.WriteLine($"## Bulk reads: {n} statuses, 50 ms server delay, each way in a real pwsh (read limit lifted; goals: at least 5x faster than -Parallel, 15x than a loop)");
        PrintTable(
            new[] { "way", "s", "errors", "OpStatus faster by" },
            new[]
            {
                new[] { "`$ids \\| Get-CacheOperationStatus`", F(piped.Seconds), Count(piped.Errors), "1.00x" },
                new[] { "`ForEach-Object -Parallel -ThrottleLimit 16 { Invoke-RestMethod }`", F(parallel.Seconds), Count(parallel.Errors), F(parallel.Seconds / piped.Seconds) + "x" },
                new[] { "`ForEach-Object { Invoke-RestMethod }`", F(loop.Seconds), Count(loop.Errors), F(loop.Seconds / piped.Seconds) + "x" },
            });

        // How the default -ThrottleLimit was chosen: the same reads at other limits.
        var limits = new[] { 4, 8, 16, 32, 64, 128 };
        var sweep = limits.Select(l => (Limit: l, Result: Child(pwsh, harness, "opstatus-piped", slow, token, warmUp, lifted, throttleLimit: l))).ToArray();
        Console.WriteLine($"## Choosing the default -ThrottleLimit: the same {n} reads of 50 ms");
        PrintTable(
            new[] { "-ThrottleLimit", "s", "errors", "x -Parallel 16" },
            sweep.Select(r => new[] { r.Limit.ToString(CultureInfo.InvariantCulture), F(r.Result.Seconds), Count(r.Result.Errors), F(parallel.Seconds / r.Result.Seconds) + "x" }));

        // 3 and 4: no delay: the cost of OpStatus itself.
        var fast = Scripted(harness, n, 0, folder, "fast");
        var fastFile = IdsFile(fast, folder, "fast");
        var pipedFast = Child(pwsh, harness, "opstatus-piped", fastFile, token, warmUp, lifted);
        var rawSeconds = RawHttpClient(harness, fast, token);
        var shaped = Child(pwsh, harness, "shaped-piped", fastFile, token, warmUp, lifted);
        var calls = IdsFile(fast.Take(300).ToArray(), folder, "calls");
        var opstatusCalls = Child(pwsh, harness, "opstatus-calls", calls, token, warmUp, lifted);
        var irmCalls = Child(pwsh, harness, "irm-calls", calls, token, warmUp, lifted);
        var syncCalls = Child(pwsh, harness, "opstatus-calls", calls, token, warmUp, lifted, throttleLimit: 1);
        Console.WriteLine($"## No server delay: {n} piped against {n} sequential raw HttpClient GETs (goal: at most 1.0); 300 single calls against Invoke-RestMethod (goal: at most 0.2)");
        PrintTable(
            new[] { "measure", "OpStatus", "baseline", "ratio" },
            new[]
            {
                new[] { $"{n} statuses, s", F(pipedFast.Seconds), F(rawSeconds) + " (HttpClient, C#)", F(pipedFast.Seconds / rawSeconds) },
                new[] { $"of which PowerShell alone: {n} ids piped into an empty cmdlet of the same parameters, s", F(shaped.Seconds), "-", F(shaped.Seconds / rawSeconds) },
                new[] { "one call, ms", F(opstatusCalls.Seconds * 1000 / 300), F(irmCalls.Seconds * 1000 / 300) + " (Invoke-RestMethod)", F(opstatusCalls.Seconds / irmCalls.Seconds) },
                new[] { "one call with -ThrottleLimit 1 (read on the pipeline thread), ms", F(syncCalls.Seconds * 1000 / 300), F(irmCalls.Seconds * 1000 / 300) + " (Invoke-RestMethod)", F(syncCalls.Seconds / irmCalls.Seconds) },
            });

        WaitMemory(harness, pwsh, folder, token, warmUp, lifted, operations: 2000);
        HeadOfLine(harness, pwsh, folder, token, warmUp, lifted);
        HugeAnswers(harness, pwsh, folder, token, warmUp, lifted);
        Throttled(harness, pwsh, n, folder, token, warmUp);
    }

    /// <summary>
    /// 5000 piped ids of which 50 answer 500 on every try (each ends after about 12 s of retries): spread one every 100
    /// ids, against the same 50 together (goal: at most 2x), with the working set of each.
    /// </summary>
    private static void HeadOfLine(Harness harness, string pwsh, string folder, string token, string warmUp, Dictionary<string, string?> lifted)
    {
        const int N = 5000;
        const int Failing = 50;
        Result Run(bool spread)
        {
            var ids = Enumerable.Range(0, N).Select(i => $"hol-{i}-{Guid.NewGuid():N}").ToArray();
            var failing = spread ? Enumerable.Range(0, Failing).Select(i => 50 + (i * (N / Failing))).ToHashSet() : Enumerable.Range(N / 2, Failing).ToHashSet();
            for (var i = 0; i < N; i++)
            {
                harness.Emulator.Script(ids[i], failing.Contains(i)
                    ? new Step { Status = 500, Body = new JsonObject { ["error"] = new JsonObject { ["code"] = "InternalServerError", ["message"] = "Down." } } }
                    : new Step { Body = new JsonObject { ["name"] = ids[i], ["status"] = "Succeeded" }, DelayMs = 50 });
            }

            return Child(pwsh, harness, "opstatus-piped", IdsFile(ids, folder, spread ? "hol-spread" : "hol-together"), token, warmUp, lifted);
        }

        var recording = harness.Emulator.RecordRequests;
        harness.Emulator.RecordRequests = false;
        try
        {
            var together = Run(spread: false);
            var spread = Run(spread: true);
            Console.WriteLine($"## No head-of-line stall: {N} piped ids, {Failing} of them answering 500 on every try (about 12 s of retries each), 50 ms for the others (goal: spread at most 2x together)");
            PrintTable(
                new[] { "the 50 failing ids", "s", "statuses, errors", "peak working set MB", "x together" },
                new[] { ("together", together), ("spread, one every 100", spread) }.Select(r => new[]
                {
                    r.Item1, F(r.Item2.Seconds), $"{r.Item2.Written}, {Count(r.Item2.Errors)}", F(Memory(r.Item2)["peak"]), F(r.Item2.Seconds / together.Seconds) + "x",
                }));
        }
        finally
        {
            harness.Emulator.RecordRequests = recording;
        }
    }

    /// <summary>Answers of 200 MB, with a Content-Length and chunked: the growth of a real pwsh that reads them (goal: under 100 MB).</summary>
    private static void HugeAnswers(Harness harness, string pwsh, string folder, string token, string warmUp, Dictionary<string, string?> lifted)
    {
        var rows = new List<string[]>();
        foreach (var chunked in new[] { false, true })
        {
            var id = $"huge-{Guid.NewGuid():N}";
            harness.Emulator.Script(id, new Step { Body = new JsonObject { ["name"] = id, ["status"] = "Running" }, PadBytes = 200L * 1024 * 1024, Chunked = chunked });
            var read = Child(pwsh, harness, "opstatus-piped", IdsFile(new[] { id }, folder, "huge"), token, warmUp, lifted);
            var memory = Memory(read);
            rows.Add(new[] { chunked ? "chunked" : "with Content-Length", F(read.Seconds), $"{read.Written}, {Count(read.Errors)}", F(memory["rest"]), F(memory["peak"]), F(memory["peak"] - memory["rest"]) });
        }

        Console.WriteLine("## An answer of 200 MB, in a real pwsh (goal: the process grows by at most 100 MB; the item ends with InvalidResponse)");
        PrintTable(new[] { "answer", "s", "statuses, errors", "at rest MB", "peak MB", "growth MB (upper bound)" }, rows);
    }

    private static Dictionary<string, double> Memory(Result result) =>
        result.Report.First(l => l.StartsWith("memory ", StringComparison.Ordinal)).Split(' ')
            .Skip(1).Select(p => p.Split('=')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture) / (1024 * 1024));

    /// <summary>A wait on many operations in a real pwsh: the working set at rest, and at its peak (goal: growth under 100 MB).</summary>
    private static void WaitMemory(Harness harness, string pwsh, string folder, string token, string warmUp, Dictionary<string, string?> lifted, int operations)
    {
        const double T = 25;
        var ends = DateTimeOffset.UtcNow.AddSeconds(T + 3);
        var ops = Enumerable.Range(0, operations).Select(_ => Guid.NewGuid().ToString()).ToArray();
        foreach (var id in ops)
        {
            harness.Emulator.ScriptUntil(id, ends);
        }

        var recording = harness.Emulator.RecordRequests;
        harness.Emulator.RecordRequests = false;
        try
        {
            var wait = Child(pwsh, harness, "opstatus-wait", IdsFile(ops, folder, "memory"), token, warmUp, lifted);
            var memory = Memory(wait);
            Console.WriteLine($"## Memory of a wait on {operations} operations of about {T:0} s, in a real pwsh (read limit lifted; goal: growth under 100 MB)");
            PrintTable(
                new[] { "measure", "result", "goal" },
                new[]
                {
                    new[] { "operations ended, errors", $"{wait.Written}, {Count(wait.Errors)}", $"{operations}, 0" },
                    new[] { "wait, s", F(wait.Seconds), "-" },
                    new[] { "working set at rest (module imported, one call made), MB", F(memory["rest"]), "-" },
                    new[] { "working set at its peak, MB", F(memory["peak"]), "-" },
                    new[] { "growth, MB (an upper bound: the peak counts the import too)", F(memory["peak"] - memory["rest"]), "under 100" },
                });
        }
        finally
        {
            harness.Emulator.RecordRequests = recording;
        }
    }

    /// <summary>5 and 6: ARM's bucket (250, 25 a second) in the emulator, and OpStatus with its default limit.</summary>
    private static void Throttled(Harness harness, string pwsh, int n, string folder, string token, string warmUp)
    {
        harness.Emulator.Throttle(ArmBurst, ArmRate);
        try
        {
            var reads = IdsFile(Scripted(harness, n, 0, folder, "bucket"), folder, "bucket");
            var subscription = Guid.NewGuid().ToString();
            var read = Child(pwsh, harness, "opstatus-piped", reads, token, warmUp, null, subscription);
            var readRequests = Requests(harness, subscription);
            var minimum = (n - ArmBurst) / ArmRate;

            const double T = 20;
            var waitSubscription = Guid.NewGuid().ToString();
            var ends = DateTimeOffset.UtcNow.AddSeconds(T + 3);
            var ops = Enumerable.Range(0, n).Select(_ => Guid.NewGuid().ToString()).ToArray();
            foreach (var id in ops)
            {
                harness.Emulator.ScriptUntil(id, ends);
            }

            var wait = Child(pwsh, harness, "opstatus-wait", IdsFile(ops, folder, "wait"), token, null, null, waitSubscription);
            var waitRequests = Requests(harness, waitSubscription);
            var tWait = (ends - wait.Started).TotalSeconds;
            var queueing = Math.Max(0, (waitRequests.Length - ArmBurst) / ArmRate);
            Console.WriteLine($"## Under Resource Manager's read limit: the emulator's bucket of {ArmBurst}, refilled at {ArmRate}/s; OpStatus with its default limit");
            PrintTable(
                new[] { "measure", "result", "goal" },
                new[]
                {
                    new[] { $"{n} piped reads: errors", Count(read.Errors), "0" },
                    new[] { $"{n} piped reads: s, and x the bucket's minimum ({minimum:0} s)", $"{F(read.Seconds)} s, {F(read.Seconds / minimum)}x", "at most 1.1x" },
                    new[] { $"{n} piped reads: requests, 429s", $"{readRequests.Length}, {readRequests.Count(r => r.Throttled)}", "-" },
                    new[] { $"Wait on {n} operations of T = {tWait:0.0} s: ended, errors", $"{wait.Written}, {Count(wait.Errors)}", $"{n}, 0" },
                    new[] { "Wait: s, against T + 16 s (the interval at T) + the bucket's queueing", $"{F(wait.Seconds)} s, bound {F(tWait + 16 + queueing)} s", "within the bound" },
                    new[] { "Wait: requests, per operation, 429s", $"{waitRequests.Length}, {F(waitRequests.Length / (double)n)}, {waitRequests.Count(r => r.Throttled)}", "-" },
                });
            Console.WriteLine("What the read limit did (OpStatus's own count, per subscription):");
            Console.WriteLine();
            foreach (var line in read.Report.Concat(wait.Report).Where(l => !l.StartsWith("memory ", StringComparison.Ordinal)))
            {
                Console.WriteLine("    " + line);
            }

            Console.WriteLine();
        }
        finally
        {
            harness.Emulator.StopThrottling();
        }
    }

    /// <summary>
    /// The read limit against buckets from a tenth of Resource Manager's up to its own, and its own with another client
    /// taking half the refill, in a real pwsh with OpStatus's default limit: 1000 piped reads, and 300 operations read
    /// and waited on (Get | Wait). Each against the least time the bucket allows; the share of 429s; errors.
    /// </summary>
    public static void ReadLimits(Harness harness)
    {
        var pwsh = Environment.GetEnvironmentVariable("OPSTATUS_BENCH_PWSH")
            ?? throw new InvalidOperationException("Run bench/run.sh: it installs pwsh 7.6.9 and sets OPSTATUS_BENCH_PWSH.");
        var folder = Directory.CreateDirectory(Path.Combine(Root, "out", "bench")).FullName;
        var token = harness.Emulator.IssueToken(harness.Emulator.ResourceManagerAudience);
        var buckets = new (int Size, double Refill, double Competitor)[] { (25, 2.5, 0), (50, 10, 0), (100, 20, 0), (250, 25, 0), (250, 25, 12.5) };
        const int Reads = 1000;
        const int Operations = 300;
        const double T = 10;
        var rows = new List<string[]>();
        var reports = new List<string>();
        var recording = harness.Emulator.RecordRequests;
        try
        {
            foreach (var (size, refill, competitor) in buckets)
            {
                harness.Emulator.Throttle(size, refill, competitor);
                var net = refill - competitor;
                var bucket = $"{size}, {refill.ToString(CultureInfo.InvariantCulture)}/s" + (competitor > 0 ? $", another client taking {competitor.ToString(CultureInfo.InvariantCulture)}/s" : string.Empty);

                var subscription = Guid.NewGuid().ToString();
                var warmUp = Scripted(harness, 1, 0, folder, "limit-warmup")[0];
                var reads = IdsFile(Scripted(harness, Reads, 0, folder, "limit"), folder, "limit");
                harness.Emulator.RecordRequests = true;
                harness.Emulator.ClearRequests();
                var read = Child(pwsh, harness, "opstatus-piped", reads, token, warmUp, null, subscription);
                var readRequests = Requests(harness, subscription).Where(r => r.OperationId != warmUp).ToArray();
                var readMinimum = (Reads - size) / net;
                rows.Add(new[]
                {
                    bucket, $"{Reads} piped reads", F(read.Seconds), F(readMinimum), F(read.Seconds / readMinimum) + "x",
                    Share(readRequests), Count(read.Errors),
                });
                reports.AddRange(read.Report.Where(l => !l.StartsWith("memory ", StringComparison.Ordinal)));

                // 300 operations that end about T seconds after the wait begins, polled every second (-PollingInterval 1, so
                // that the schedule adds at most a second). One read each by Get; one more after its end for each operation
                // that Get read before it ended. The least time is never less than T, nor than those reads take.
                var waitSubscription = Guid.NewGuid().ToString();
                var waitWarmUp = Scripted(harness, 1, 0, folder, "limit-warmup")[0];
                var ops = Enumerable.Range(0, Operations).Select(_ => Guid.NewGuid().ToString()).ToArray();
                var ends = DateTimeOffset.UtcNow.AddSeconds(T + 2);
                foreach (var id in ops)
                {
                    harness.Emulator.ScriptUntil(id, ends);
                }

                harness.Emulator.ClearRequests();
                var wait = Child(pwsh, harness, "opstatus-get-wait", IdsFile(ops, folder, "limit-wait"), token, waitWarmUp, null, waitSubscription);
                var waitRequests = Requests(harness, waitSubscription).Where(r => r.OperationId != waitWarmUp).ToArray();
                var readEarly = waitRequests.GroupBy(r => r.OperationId).Count(g => g.Min(r => r.Time) < ends);
                var waitMinimum = Math.Max((ends - wait.Started).TotalSeconds, (Operations + readEarly - size) / net);
                rows.Add(new[]
                {
                    bucket, $"Get \\| Wait -PollingInterval 1 on {Operations} operations", F(wait.Seconds), F(waitMinimum), F(wait.Seconds / waitMinimum) + "x",
                    Share(waitRequests) + $" ({F(waitRequests.Length / (double)Operations)} reads an operation)", Count(wait.Errors) + (wait.Written == Operations ? string.Empty : $" ({wait.Written} ended)"),
                });
                reports.AddRange(wait.Report.Where(l => !l.StartsWith("memory ", StringComparison.Ordinal)));
            }
        }
        finally
        {
            harness.Emulator.StopThrottling();
            harness.Emulator.RecordRequests = recording;
        }

        Console.WriteLine("## The read limit against buckets of other sizes, in a real pwsh with OpStatus's default limit (goals: at most 1.3x the minimum, at most 10 % 429s, no errors)");
        PrintTable(new[] { "bucket (reads, refill)", "run", "s", "minimum s", "x minimum", "429s", "errors" }, rows);
        Console.WriteLine("What the read limit learned (OpStatus's own report, per subscription and principal):");
        Console.WriteLine();
        foreach (var line in reports)
        {
            Console.WriteLine("    " + line);
        }

        Console.WriteLine();
    }

    private static string Share(SeenRequest[] requests)
    {
        var throttled = requests.Count(r => r.Throttled);
        return $"{throttled} of {requests.Length} ({(requests.Length == 0 ? 0 : 100.0 * throttled / requests.Length).ToString("0.0", CultureInfo.InvariantCulture)} %)";
    }

    private static SeenRequest[] Requests(Harness harness, string subscription) =>
        harness.Emulator.Requests.Where(r => r.RawTarget.Contains(subscription, StringComparison.OrdinalIgnoreCase)).ToArray();

    private static string[] Scripted(Harness harness, int n, int delayMs, string folder, string name)
    {
        var ids = Enumerable.Range(0, n).Select(i => $"{name}-{i}-{Guid.NewGuid():N}").ToArray();
        foreach (var id in ids)
        {
            harness.Emulator.Script(id, new Step { Body = new JsonObject { ["name"] = id, ["status"] = "Succeeded" }, DelayMs = delayMs });
        }

        return ids;
    }

    private static string IdsFile(string[] ids, string folder, string name)
    {
        var path = Path.Combine(folder, name + ".txt");
        File.WriteAllLines(path, ids);
        return path;
    }

    /// <summary>The same reads by hand, sequentially, on one HttpClient with a token fetched once.</summary>
    private static double RawHttpClient(Harness harness, string[] ids, string token)
    {
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        string Url(string id) => $"{harness.Url}subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Cache/locations/westus/operationsStatus/{id}?api-version=2024-10-01";
        for (var i = 0; i < 50; i++)
        {
            client.GetByteArrayAsync(Url(ids[i])).GetAwaiter().GetResult();
        }

        var clock = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            client.GetByteArrayAsync(Url(id)).GetAwaiter().GetResult();
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static Result Child(string pwsh, Harness harness, string way, string idsFile, string token, string? warmUp, Dictionary<string, string?>? environment, string? subscription = null, int throttleLimit = 0)
    {
        var start = new ProcessStartInfo(pwsh) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-NoProfile", "-NonInteractive", "-File", Path.Combine(Root, "bench", "bulk.ps1"), "-Way", way, "-Url", harness.Url, "-Subscription", subscription ?? Guid.NewGuid().ToString(), "-IdsFile", idsFile, "-Manifest", Manifest, "-Token", token, "-Report" })
        {
            start.ArgumentList.Add(argument);
        }

        if (throttleLimit > 0)
        {
            start.ArgumentList.Add("-ThrottleLimit");
            start.ArgumentList.Add(throttleLimit.ToString(CultureInfo.InvariantCulture));
        }

        if (warmUp is not null)
        {
            start.ArgumentList.Add("-WarmUpId");
            start.ArgumentList.Add(warmUp);
        }

        // Without settings of its own, a child reads with OpStatus's default limit, whatever this process set.
        start.Environment.Remove("OPSTATUS_READ_BURST");
        start.Environment.Remove("OPSTATUS_READS_PER_SECOND");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var launched = DateTimeOffset.UtcNow;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        var first = lines.FirstOrDefault(l => l.Split(' ').Length == 3 && double.TryParse(l.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            ?? throw new InvalidOperationException($"{way} printed no result: {string.Join(" / ", lines)} {errors.Result}");
        var parts = first.Split(' ');
        var seconds = double.Parse(parts[0], CultureInfo.InvariantCulture);
        return new Result(
            seconds,
            int.Parse(parts[1], CultureInfo.InvariantCulture),
            int.Parse(parts[2], CultureInfo.InvariantCulture),
            lines.SkipWhile(l => l != first).Skip(1).ToArray(),
            DateTimeOffset.UtcNow.AddSeconds(-seconds));
    }

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>What one way did: its time, what it wrote, its errors, the limiter's report, and when its timed part began.</summary>
    private sealed record Result(double Seconds, int Written, int Errors, string[] Report, DateTimeOffset Started);
}
