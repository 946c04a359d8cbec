using System;
using System.IO;
using System.Reflection;

namespace OpStatus.Loading;

/// <summary>
/// Windows PowerShell: serves an assembly from dependencies/ when .NET Framework could not find it, and only
/// when OpStatus asked for it (the requester is one of the module's own assemblies) and the file is the one
/// asked for (<see cref="DependencyMatch"/>). .NET Framework names no requester for some loads; those get
/// the file only when it is exactly the version asked for. A version another module loaded first still wins there; the
/// README says so.
/// </summary>
internal static class FrameworkResolver
{
    private static string moduleFolder = string.Empty;
    private static string dependencyFolder = string.Empty;

    public static void Register(string module, string dependencies)
    {
        moduleFolder = module;
        dependencyFolder = dependencies;
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    public static void Unregister() => AppDomain.CurrentDomain.AssemblyResolve -= Resolve;

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var requested = new AssemblyName(args.Name);
        var path = Path.Combine(dependencyFolder, requested.Name + ".dll");
        if (requested.Name is null || !File.Exists(path))
        {
            return null;
        }

        var file = AssemblyName.GetAssemblyName(path);
        var requester = args.RequestingAssembly?.Location;
        return string.IsNullOrEmpty(requester)
            ? (DependencyMatch.IsExactly(requested, file) ? Assembly.LoadFrom(path) : null)
            : (DependencyMatch.IsOwnRequester(requester, moduleFolder) && DependencyMatch.Serves(requested, file) ? Assembly.LoadFrom(path) : null);
    }
}

/// <summary>The rules both resolvers serve by: the requester and the file must be OpStatus's own.</summary>
internal static class DependencyMatch
{
    /// <summary>True when a request comes from an assembly of the module's folder (OpStatus, OpStatus.Engine, a dependency).</summary>
    public static bool IsOwnRequester(string? requesterLocation, string moduleFolder)
    {
        if (string.IsNullOrEmpty(requesterLocation))
        {
            return false;
        }

        var folder = Path.GetFullPath(moduleFolder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(requesterLocation).StartsWith(folder, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when the file is the assembly asked for by full name: the same name and public key token, and a
    /// version of the same major at least the one asked for (what a binding redirect would allow).
    /// </summary>
    public static bool Serves(AssemblyName requested, AssemblyName file)
    {
        if (!string.Equals(requested.Name, file.Name, StringComparison.OrdinalIgnoreCase)
            || !TokenOf(requested).Equals(TokenOf(file), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return requested.Version is null
            || (file.Version is { } version && version.Major == requested.Version.Major && version >= requested.Version);
    }

    /// <summary>True when the file is exactly the assembly asked for: name, public key token and version.</summary>
    public static bool IsExactly(AssemblyName requested, AssemblyName file) =>
        Serves(requested, file) && requested.Version is not null && requested.Version == file.Version;

    private static string TokenOf(AssemblyName name) => BitConverter.ToString(name.GetPublicKeyToken() ?? Array.Empty<byte>());
}
