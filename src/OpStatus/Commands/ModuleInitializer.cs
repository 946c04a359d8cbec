using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OpStatus.Commands;

/// <summary>
/// Loads OpStatus's dependencies from the module's dependencies/ folder so they never clash with other
/// modules' copies (Az.Accounts, Microsoft.Graph): on PowerShell 7 in a private AssemblyLoadContext; on
/// Windows PowerShell 5.1, where .NET Framework has no such thing, by resolving the assemblies nothing else
/// has loaded. Only OpStatus.Engine is asked for by name from PowerShell's context; all the rest follows it.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "OpStatus.Engine";

    private static readonly string DependencyFolder =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "dependencies");

    private static bool IsCore => !RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

    public void OnImport()
    {
        if (IsCore)
        {
            // PowerShell 7.4 and later run on .NET 8 or newer: the .NET 8 build of the engine and its
            // dependencies. Earlier releases take the netstandard2.0 build.
            var core = Path.Combine(DependencyFolder, "net8.0");
            CoreLoader.Register(Environment.Version.Major >= 8 && Directory.Exists(core) ? core : DependencyFolder);
        }
        else
        {
            AppDomain.CurrentDomain.AssemblyResolve += ResolveOnFramework;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (IsCore)
        {
            CoreLoader.Unregister();
        }
        else
        {
            AppDomain.CurrentDomain.AssemblyResolve -= ResolveOnFramework;
        }
    }

    /// <summary>
    /// Windows PowerShell: serve an assembly from dependencies/ when .NET Framework could not find it. A
    /// version another module loaded first still wins there; the README says so.
    /// </summary>
    private static Assembly? ResolveOnFramework(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        var path = Path.Combine(DependencyFolder, name + ".dll");
        return name is not null && File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
}
