using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace OpStatus.Loading;

/// <summary>
/// PowerShell 7: one private AssemblyLoadContext for the engine and its dependencies, kept for the life of
/// the process so that Remove-Module and Import-Module again reuse it. Kept apart from ModuleInitializer so
/// that Windows PowerShell never loads System.Runtime.Loader. Only the engine is asked for from PowerShell's
/// context; the private context then serves what the engine needs.
/// </summary>
internal static class CoreLoader
{
    private static readonly object Gate = new();
    private static DependencyLoadContext? context;
    private static AssemblyName? engine;
    private static bool registered;

    public static void Register(string dependencyFolder)
    {
        lock (Gate)
        {
            context ??= new DependencyLoadContext(dependencyFolder);
            engine ??= AssemblyName.GetAssemblyName(Path.Combine(dependencyFolder, ModuleInitializer.EngineAssemblyName + ".dll"));
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

    /// <summary>
    /// PowerShell's context asks for the engine (the cmdlets use it): load it in the private context. Only
    /// OpStatus's own engine, by full name; every other request is left to other handlers.
    /// </summary>
    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        context is not null && engine is not null && DependencyMatch.Serves(name, engine)
            ? context.LoadFromAssemblyName(name)
            : null;

    /// <summary>
    /// Loads from dependencies/ whatever the engine needs, except framework assemblies the running .NET already
    /// has in a version at least as new (System.Memory and the like, whose netstandard copies must not shadow the
    /// framework's). OpStatus.Model is not in that folder (the build removes it), so the engine gets the copy
    /// PowerShell's context loaded beside the manifest: the output types are shared.
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
