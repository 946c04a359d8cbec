using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace OpStatus.Loading;

/// <summary>
/// Loads OpStatus's dependencies from the module's dependencies/ folder so they never clash with other
/// modules' copies (Az.Accounts, Microsoft.Graph): on PowerShell 7 in a private AssemblyLoadContext; on
/// Windows PowerShell 5.1, where .NET Framework has no such thing, by serving OpStatus's own assemblies the
/// dependencies they ask for. The resolvers are process-wide and shared by every runspace that imports the
/// module: the last Remove-Module takes them away, not the first.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "OpStatus.Engine";

    private static readonly object Gate = new();
    private static int imports;

    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    private static readonly string DependencyFolder = Path.Combine(ModuleFolder, "dependencies");

    private static bool IsCore => !RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

    public void OnImport()
    {
        lock (Gate)
        {
            if (imports++ > 0)
            {
                return;
            }

            if (IsCore)
            {
                // PowerShell 7.4 and later run on .NET 8 or newer: the .NET 8 build of the engine and its
                // dependencies. Earlier releases take the netstandard2.0 build.
                var core = Path.Combine(DependencyFolder, "net8.0");
                CoreLoader.Register(Environment.Version.Major >= 8 && Directory.Exists(core) ? core : DependencyFolder);
            }
            else
            {
                FrameworkResolver.Register(ModuleFolder, DependencyFolder);
            }
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (imports == 0 || --imports > 0)
            {
                // Another runspace of this process still has the module imported.
                return;
            }

            if (IsCore)
            {
                CoreLoader.Unregister();
            }
            else
            {
                FrameworkResolver.Unregister();
            }
        }
    }
}
