using System.Globalization;
using OpStatus.Bench;

// bash bench/run.sh [all|import|calls|pipeline|tokens|wait|deadline] [wait: T,T,... N,N,...]
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

await using (var harness = await Harness.StartAsync())
{

    if (which is "all" or "calls")
    {
        CallBenches.Calls(harness, n: 1000);
    }

    if (which is "all" or "pipeline")
    {
        CallBenches.Pipeline(harness, new[] { 1000, 10_000 });
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
}

return 0;
