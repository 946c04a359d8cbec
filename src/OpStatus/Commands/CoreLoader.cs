using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace OpStatus.Commands;

/// <summary>
/// PowerShell 7: one private AssemblyLoadContext for the engine and its dependencies, kept for the life of
/// the process so that Remove-Module and Import-Module again reuse it. Kept apart from ModuleInitializer so
/// that Windows PowerShell never loads System.Runtime.Loader.
/// </summary>
internal static class CoreLoader
{
    private static readonly object Gate = new();
    private static DependencyLoadContext? context;
    private static bool registered;

    public static void Register(string dependencyFolder)
    {
        lock (Gate)
        {
            context ??= new DependencyLoadContext(dependencyFolder);
            if (!registered)
            {
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
                registered = true;
            }
        }
    }

    public static void Unregister()
    {
        lock (Gate)
        {
            if (registered)
            {
                AssemblyLoadContext.Default.Resolving -= ResolveEngine;
                registered = false;
            }
        }
    }

    /// <summary>PowerShell's context asks for the engine (the cmdlets use it): load it in the private context.</summary>
    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        string.Equals(name.Name, ModuleInitializer.EngineAssemblyName, StringComparison.Ordinal) && context is not null
            ? context.LoadFromAssemblyName(name)
            : null;

    /// <summary>
    /// Loads from dependencies/ whatever the engine needs, except what PowerShell's own context must share
    /// (OpStatus.Model, the output types) and framework assemblies the running .NET already has in a version at
    /// least as new (System.Memory and the like, whose netstandard copies must not shadow the framework's).
    /// </summary>
    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string folder;
        private readonly Dictionary<string, string> platformPaths = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Version?> platformVersions = new(StringComparer.OrdinalIgnoreCase);

        public DependencyLoadContext(string folder)
        {
            this.folder = folder;
            var trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? string.Empty;
            foreach (var path in trusted.Split(Path.PathSeparator))
            {
                if (path.Length > 0)
                {
                    platformPaths[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name;
            if (name is null)
            {
                return null;
            }

            var path = Path.Combine(folder, name + ".dll");
            return !File.Exists(path) || PlatformHasAtLeast(name, assemblyName.Version) ? null : LoadFromAssemblyPath(path);
        }

        private bool PlatformHasAtLeast(string name, Version? wanted)
        {
            if (!platformPaths.TryGetValue(name, out var path))
            {
                return false;
            }

            Version? version;
            lock (platformVersions)
            {
                if (!platformVersions.TryGetValue(name, out version))
                {
                    version = AssemblyName.GetAssemblyName(path).Version;
                    platformVersions[name] = version;
                }
            }

            return version is not null && (wanted is null || version >= wanted);
        }
    }
}
