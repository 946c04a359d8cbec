using System.Management.Automation;
using System.Management.Automation.Runspaces;
using OpStatus.Emulator;

namespace OpStatus.Bench;

/// <summary>The emulator, set up as Azure Automation sets up a runbook, and a runspace with the built module.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private Harness(AzureEmulator emulator, Runspace runspace)
    {
        Emulator = emulator;
        Runspace = runspace;
    }

    public AzureEmulator Emulator { get; }

    public Runspace Runspace { get; }

    public string Url => Emulator.BaseUri.ToString();

    public static string Root { get; } = FindRoot();

    public static string Manifest => Path.Combine(Root, "out", "OpStatus", "OpStatus.psd1");

    public static async Task<Harness> StartAsync()
    {
        var certificates = Environment.GetEnvironmentVariable("OPSTATUS_TEST_CERTS")
            ?? throw new InvalidOperationException("Run bench/run.sh: it makes the test certificates and sets SSL_CERT_FILE.");
        var emulator = await AzureEmulator.StartAsync(certificates);
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", emulator.IdentityEndpoint.ToString());
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", emulator.IdentityHeader);
        var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        var harness = new Harness(emulator, runspace);
        harness.Invoke("Import-Module $args[0] -ErrorAction Stop", Manifest);
        return harness;
    }

    public IReadOnlyList<PSObject> Invoke(string script, params object[] arguments) => Invoke(Runspace, script, arguments);

    public static IReadOnlyList<PSObject> Invoke(Runspace runspace, string script, params object[] arguments)
    {
        using var shell = PowerShell.Create();
        shell.Runspace = runspace;
        shell.AddScript(script);
        foreach (var argument in arguments)
        {
            shell.AddArgument(argument);
        }

        var output = shell.Invoke();
        if (shell.HadErrors && shell.Streams.Error.Count > 0)
        {
            throw new InvalidOperationException("The script failed: " + string.Join("; ", shell.Streams.Error.Select(e => e.ToString())));
        }

        return output;
    }

    /// <summary>Samples the managed heap (after a full collection) while work runs; returns the peak above the start.</summary>
    public static long PeakHeapGrowth(Action work, int sampleMs = 200)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var now = GC.GetTotalMemory(forceFullCollection: true);
                Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), now));
                try
                {
                    await Task.Delay(sampleMs, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        work();
        sampling.Cancel();
        sampler.Wait();
        return Math.Max(0, Interlocked.Read(ref peak) - baseline);
    }

    public static void PrintTable(string[] header, IEnumerable<string[]> rows)
    {
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }

        Console.WriteLine();
    }

    public static string F(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Runspace.Dispose();
        await Emulator.DisposeAsync();
    }

    private static string FindRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "OpStatus.psd1")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }
}
