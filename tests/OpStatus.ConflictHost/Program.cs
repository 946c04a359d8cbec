using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Azure.Core;
using Azure.Identity;

// OpStatus.ConflictHost <other-first|opstatus-first|reimport|two-runspaces> <OpStatus.psd1> <emulator url> <operation id>
// Prints one line per step and exits 0 when every step worked.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: OpStatus.ConflictHost <other-first|opstatus-first|reimport|two-runspaces> <manifest> <url> <operation id>");
    return 2;
}

var (scenario, manifest, url, operationId) = (args[0], args[1], args[2], args[3]);
try
{
    using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
    runspace.Open();
    switch (scenario)
    {
        case "other-first":
            UseOtherVersion(url);
            Import(runspace, manifest);
            UseOpStatus(runspace, url, operationId);
            UseOtherVersion(url);
            break;
        case "opstatus-first":
            Import(runspace, manifest);
            UseOpStatus(runspace, url, operationId);
            UseOtherVersion(url);
            UseOpStatus(runspace, url, operationId);
            break;
        case "reimport":
            Import(runspace, manifest);
            UseOpStatus(runspace, url, operationId);
            Run(runspace, "Remove-Module OpStatus -ErrorAction Stop");
            Console.WriteLine("removed");
            Import(runspace, manifest);
            UseOpStatus(runspace, url, operationId);
            break;
        case "two-runspaces":
            // Both runspaces import the module before either uses it; the first removes it; the second,
            // which has not loaded the engine yet, must still work.
            using (var second = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2()))
            {
                second.Open();
                Import(runspace, manifest);
                Import(second, manifest);
                Run(runspace, "Remove-Module OpStatus -ErrorAction Stop");
                Console.WriteLine("removed in the first");
                UseOpStatus(second, url, operationId);
            }

            break;
        default:
            Console.Error.WriteLine("unknown scenario " + scenario);
            return 2;
    }

    return 0;
}
catch (Exception ex)
{
    Console.WriteLine("FAILED: " + ex.GetType().FullName + ": " + ex.Message);
    return 1;
}

// The other module's Azure.Identity and Azure.Core, in PowerShell's own context, getting a real token.
static void UseOtherVersion(string url)
{
    var credential = new ManagedIdentityCredential();
    var token = credential.GetToken(new TokenRequestContext(new[] { url.TrimEnd('/') + "/.default" }), default);
    Console.WriteLine($"other: Azure.Core {typeof(AccessToken).Assembly.GetName().Version} Azure.Identity {typeof(ManagedIdentityCredential).Assembly.GetName().Version} token {(token.Token.Length > 0 ? "ok" : "empty")}");
}

static void Import(Runspace runspace, string manifest)
{
    Run(runspace, "Import-Module $args[0] -ErrorAction Stop", manifest);
    Console.WriteLine("imported");
}

static void UseOpStatus(Runspace runspace, string url, string operationId)
{
    var output = Run(
        runspace,
        "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId 11111111-1111-1111-1111-111111111111 -Location westus -OperationId $args[1] -ErrorAction Stop | Wait-OperationStatus -ErrorAction Stop",
        url,
        operationId);
    Console.WriteLine("opstatus: " + string.Join(",", output.Select(o => o.Properties["Status"].Value)));
}

static IReadOnlyList<PSObject> Run(Runspace runspace, string script, params object[] arguments)
{
    using var shell = PowerShell.Create();
    shell.Runspace = runspace;
    shell.AddScript(script);
    foreach (var argument in arguments)
    {
        shell.AddArgument(argument);
    }

    var output = shell.Invoke();
    if (shell.HadErrors)
    {
        throw new InvalidOperationException(string.Join("; ", shell.Streams.Error.Select(e => e.ToString())));
    }

    return output;
}
