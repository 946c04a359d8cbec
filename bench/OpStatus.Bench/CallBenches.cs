using System.Diagnostics;
using System.Globalization;
using System.Management.Automation.Runspaces;
using System.Net.Http.Headers;
using static OpStatus.Bench.Harness;

namespace OpStatus.Bench;

/// <summary>Import time, per-call cost, a 10,000-item pipeline, and token requests over many calls.</summary>
internal static class CallBenches
{
    /// <summary>Import-Module of OpStatus against a minimal binary module, each first in a fresh process.</summary>
    public static void Import(int runs)
    {
        var minimal = Path.Combine(Root, "bench", "MinimalModule", "bin", "Release", "netstandard2.0", "MinimalModule.psd1");
        var opstatus = new List<double>();
        var baseline = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            baseline.Add(Probe(minimal));
            opstatus.Add(Probe(Manifest));
        }

        var (o, b) = (Median(opstatus), Median(baseline));
        Console.WriteLine($"## Import: Import-Module in a fresh process and runspace, median of {runs} (goal: ratio at most 1.5)");
        PrintTable(new[] { "OpStatus ms", "minimal module ms", "ratio" }, new[] { new[] { F(o), F(b), F(o / b) } });
    }

    /// <summary>Runs in a child process: opens a runspace, then times Import-Module alone.</summary>
    public static int ProbeImport(string manifest)
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Harness.Invoke(runspace, "$null = 1");
        var clock = Stopwatch.StartNew();
        Harness.Invoke(runspace, "Import-Module $args[0] -ErrorAction Stop", manifest);
        Console.WriteLine(clock.Elapsed.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>N sequential Get calls against N GETs with a plain HttpClient and a fixed token, same process.</summary>
    public static void Calls(Harness harness, int n)
    {
        const string Id = "bench-calls";
        harness.Emulator.Script(Id, new Emulator.Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = Id, ["status"] = "Running" } });
        const string One = "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -ErrorAction Stop";

        // The first call of the session: credential, token and pipeline set-up, and JIT.
        var first = Stopwatch.StartNew();
        harness.Invoke(One, harness.Url, Id);
        var firstMs = first.Elapsed.TotalMilliseconds;

        const string Many = "$url, $id, $n = $args; for ($i = 0; $i -lt $n; $i++) { $null = Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $id -ErrorAction Stop }";
        var cmdletMs = MsPerIteration(harness, Many, Id, n);

        // The same calls as one command with the ids piped in: what one item costs without a command's set-up.
        const string Piped = "$url, $id, $n = $args; & { for ($i = 0; $i -lt $n; $i++) { $id } } | Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -ErrorAction Stop | Out-Null";
        var pipedMs = MsPerIteration(harness, Piped, Id, n);

        // The same GETs, by hand: one HttpClient, a token fetched once.
        var token = harness.Emulator.IssueToken(harness.Emulator.ResourceManagerAudience);
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var url = $"{harness.Url}subscriptions/s1/providers/Microsoft.Cache/locations/westus/operationsStatus/{Id}?api-version=2024-10-01";
        for (var i = 0; i < 50; i++)
        {
            Get(client, url);
        }

        var raw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            Get(client, url);
        }

        var rawMs = raw.Elapsed.TotalMilliseconds / n;

        // What any PowerShell command costs in the same loop: a cmdlet that does nothing.
        var minimal = Path.Combine(Root, "bench", "MinimalModule", "bin", "Release", "netstandard2.0", "MinimalModule.psd1");
        harness.Invoke("Import-Module $args[0] -ErrorAction Stop", minimal);
        var nothing = Stopwatch.StartNew();
        harness.Invoke("$n = $args[0]; for ($i = 0; $i -lt $n; $i++) { $null = Get-Nothing }", n);
        var nothingMs = nothing.Elapsed.TotalMilliseconds / n;
        const string ShapedLoop = "$url, $id, $n = $args; for ($i = 0; $i -lt $n; $i++) { $null = Get-ShapedNothing -ResourceManagerEndpoint $url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $id -ErrorAction Stop }";
        var shapedMs = MsPerIteration(harness, ShapedLoop, Id, n);

        Console.WriteLine($"## Per call: {n} sequential Get-CacheOperationStatus calls against the same GETs with HttpClient and a fixed token (goal: ratio at most 1.3)");
        PrintTable(
            new[] { "first call ms", "Get ms/call", "HttpClient ms/call", "ratio", "piped ms/item", "piped ratio", "empty cmdlet ms/call", "same-shaped empty cmdlet ms/call" },
            new[] { new[] { F(firstMs), F(cmdletMs), F(rawMs), F(cmdletMs / rawMs), F(pipedMs), F(pipedMs / rawMs), F(nothingMs), F(shapedMs) } });
    }

    /// <summary>Many ids piped into one Get: time per item and peak memory, at two sizes.</summary>
    public static void Pipeline(Harness harness, int[] sizes)
    {
        const string Id = "bench-pipeline";
        harness.Emulator.Script(Id, new Emulator.Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = Id, ["status"] = "Succeeded" } });
        const string Script = "$url, $id, $n = $args; & { for ($i = 0; $i -lt $n; $i++) { $id } } | Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -ErrorAction Stop | Out-Null";
        harness.Invoke(Script, harness.Url, Id, 100);

        // The emulator runs in this process: its request log would grow with the items and count as ours.
        harness.Emulator.RecordRequests = false;
        var rows = new List<string[]>();
        foreach (var n in sizes)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var clock = Stopwatch.StartNew();
            var peak = PeakHeapGrowth(() => harness.Invoke(Script, harness.Url, Id, n), sampleMs: 100);
            var elapsed = clock.Elapsed;
            var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
            rows.Add(new[] { n.ToString(CultureInfo.InvariantCulture), F(elapsed.TotalMilliseconds / n), F(peak / 1024.0), F(retained / 1024.0) });
        }

        harness.Emulator.RecordRequests = true;
        Console.WriteLine("## Pipeline: ids piped into one Get-CacheOperationStatus, results streamed on (goal: peak memory does not grow with the items written)");
        PrintTable(new[] { "items", "ms/item", "peak heap growth KiB", "retained after KiB" }, rows);
    }

    /// <summary>Token requests over many calls with a credential that has no token yet.</summary>
    public static void Tokens(Harness harness, int n)
    {
        const string Id = "bench-tokens";
        harness.Emulator.Script(Id, new Emulator.Step { Body = new System.Text.Json.Nodes.JsonObject { ["name"] = Id, ["status"] = "Running" } });
        var clientId = Guid.NewGuid().ToString();
        harness.Invoke(
            "$url, $id, $n, $client = $args; for ($i = 0; $i -lt $n; $i++) { $null = Get-CacheOperationStatus -ResourceManagerEndpoint $url -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $id -Identity -ClientId $client -ErrorAction Stop }",
            harness.Url, Id, n, clientId);
        var requests = harness.Emulator.TokenRequests.Count(t => t.ClientId == clientId);
        Console.WriteLine($"## Tokens: token requests over {n} calls (goal: 1)");
        PrintTable(new[] { "calls", "token requests" }, new[] { new[] { n.ToString(CultureInfo.InvariantCulture), requests.ToString(CultureInfo.InvariantCulture) } });
    }

    /// <summary>
    /// Runs a script that loops $n times over ($url, $id, $n) 50 times to warm up, then n times timed:
    /// milliseconds per iteration.
    /// </summary>
    private static double MsPerIteration(Harness harness, string script, string id, int n)
    {
        harness.Invoke(script, harness.Url, id, 50);
        var clock = Stopwatch.StartNew();
        harness.Invoke(script, harness.Url, id, n);
        return clock.Elapsed.TotalMilliseconds / n;
    }

    private static void Get(HttpClient client, string url)
    {
        using var response = client.GetAsync(url).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        _ = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
    }

    private static double Probe(string manifest)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
        start.ArgumentList.Add("import-probe");
        start.ArgumentList.Add(manifest);
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return double.Parse(text.Trim().Split('\n').Last(), CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
