using OpStatus.Emulator;
using Xunit;

namespace OpStatus.Tests.Infrastructure;

/// <summary>
/// One emulator for the whole test run, with the process set up as Azure Automation sets up a runbook:
/// IDENTITY_ENDPOINT and IDENTITY_HEADER point at the emulator's managed-identity endpoint. Every test class gets
/// it as a class fixture, so that classes run in parallel; the emulator is started once and lives as long as the run.
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<AzureEmulator>> Shared = new(StartOnceAsync);

    private static readonly string[] CredentialVariables =
    {
        "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS",
        "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT",
    };

    private static readonly System.Collections.Concurrent.ConcurrentQueue<Exception> UnobservedExceptions = new();

    static EmulatorFixture() => TaskScheduler.UnobservedTaskException += (_, e) => UnobservedExceptions.Enqueue(e.Exception);

    public AzureEmulator Emulator { get; private set; } = null!;

    /// <summary>Task exceptions nobody observed, in this whole run.</summary>
    public static IReadOnlyCollection<Exception> Unobserved => UnobservedExceptions;

    /// <summary>The repository root: the folder that holds OpStatus.psd1.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The built module's manifest, as a user imports it.</summary>
    public static string ModuleManifest => Path.Combine(RepoRoot, "out", "OpStatus", "OpStatus.psd1");

    public async Task InitializeAsync() => Emulator = await Shared.Value;

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<AzureEmulator> StartOnceAsync()
    {
        var certificates = Environment.GetEnvironmentVariable("OPSTATUS_TEST_CERTS");
        var bundle = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
        if (string.IsNullOrEmpty(certificates) || string.IsNullOrEmpty(bundle)
            || !string.Equals(Path.GetFullPath(bundle), Path.GetFullPath(Path.Combine(certificates, TestCertificates.BundleFile)), StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                "OPSTATUS_TEST_CERTS and SSL_CERT_FILE must name the emulator's test certificates. .NET reads SSL_CERT_FILE only when a "
                + "process starts, so run the tests with tests/run.sh, which makes the certificates and sets both.");
        }

        if (!File.Exists(ModuleManifest))
        {
            throw new InvalidOperationException($"The module is not built: {ModuleManifest} is missing. Run 'dotnet build OpStatus.slnx' first.");
        }

        foreach (var name in CredentialVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        var emulator = await AzureEmulator.StartAsync(certificates);
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", emulator.IdentityEndpoint.ToString());
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", emulator.IdentityHeader);

        // Retries back off in milliseconds here, so fault tests run fast; the default is 800 ms.
        Environment.SetEnvironmentVariable("OPSTATUS_RETRY_DELAY_MS", "20");

        // A try that gets no answer is abandoned after 1.5 s here (100 s by default), so hang tests run fast.
        Environment.SetEnvironmentVariable("OPSTATUS_NETWORK_TIMEOUT_MS", "1500");
        return emulator;
    }

    private static string FindRepoRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "OpStatus.psd1")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (no OpStatus.psd1 above the test folder).");
    }
}

/// <summary>Tests that change what the whole process shares (the token endpoint's behaviour) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Isolated";
}
