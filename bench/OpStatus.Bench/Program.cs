using System.Globalization;
using OpStatus.Bench;

// bash bench/run.sh [all|import|calls|pipeline|tokens|wait|deadline|bulk|limit] [wait: T,T,... N,N,...]
// Every table compares OpStatus with a baseline measured in the same run.
var which = args.Length > 0 ? args[0] : "all";
if (which == "import-probe")
{
    return CallBenches.ProbeImport(args[1]);
}

Console.WriteLine($"OpStatus benchmarks, {DateTime.UtcNow:yyyy-MM-dd}: .NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine();
if (which is "all" or "import")
{
    CallBenches.Import(runs: 7);
}

// The rows below measure OpStatus's own speed, not Azure's limits: the session's read limit is lifted for them
// (the bulk rows set it for each child pwsh themselves).
Environment.SetEnvironmentVariable("OPSTATUS_READ_BURST", "1000000");
Environment.SetEnvironmentVariable("OPSTATUS_READS_PER_SECOND", "1000000");
await using (var harness = await Harness.StartAsync())
{

    if (which is "all" or "calls")
    {
        CallBenches.Calls(harness, n: 1000);
    }

    if (which is "all" or "pipeline")
    {
        CallBenches.Pipeline(harness, (which == "pipeline" && args.Length > 1 ? args[1] : "1000,10000,30000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray());
    }

    if (which is "all" or "tokens")
    {
        CallBenches.Tokens(harness, n: 1000);
    }

    if (which is "all" or "wait")
    {
        var durations = (args.Length > 1 ? args[1] : "3,20").Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var counts = (args.Length > 2 ? args[2] : "1,100,1000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        WaitBench.Run(harness, durations, counts);
    }

    if (which is "all" or "deadline")
    {
        WaitBench.RunDeadline(harness, seconds: 3, counts: new[] { 1, 100 });
    }

    if (which is "all" or "bulk")
    {
        BulkBench.Run(harness, n: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000);
    }

    if (which is "all" or "limit")
    {
        BulkBench.ReadLimits(harness);
    }
}

return 0;
