using System.Management.Automation.Language;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>The built folder is a complete module that imports by its manifest alone.</summary>
public sealed class ModuleTests
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(EmulatorFixture.ModuleManifest)!;

    [Fact]
    public void The_manifest_exports_exactly_the_cmdlets_and_declares_both_editions()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            """
            $m = Get-Module OpStatus
            $m.ExportedCmdlets.Keys -join ','
            $m.ExportedFunctions.Count + $m.ExportedAliases.Count + $m.ExportedVariables.Count
            $m.Version.ToString()
            $m.CompatiblePSEditions -join ','
            $m.PowerShellVersion.ToString()
            """);

        Assert.Null(result.Terminating);
        var values = result.Output.Select(o => o.BaseObject.ToString()!).ToArray();
        Assert.Equal(
            new[] { "Get-CacheOperationStatus", "Get-DevCenterOperationStatus", "Get-LogAnalyticsOperationStatus", "Wait-OperationStatus" },
            values[0].Split(',').OrderBy(s => s, StringComparer.Ordinal).ToArray());
        Assert.Equal("0", values[1]);
        Assert.Equal(ManifestVersion(), values[2]);
        Assert.Equal(new[] { "Core", "Desktop" }, values[3].Split(',').OrderBy(s => s, StringComparer.Ordinal).ToArray());
        Assert.Equal("5.1", values[4]);
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type()
    {
        using var session = new PowerShellSession();
        var result = session.Run("Get-Command -Module OpStatus | ForEach-Object { '{0}={1}' -f $_.Name, ($_.OutputType.Name -join ',') }");

        Assert.Equal(ManifestCmdlets().Length, result.Output.Count);
        Assert.All(result.Output, o => Assert.EndsWith("=OpStatus.OperationStatus", o.BaseObject.ToString()!));
    }

    [Theory]
    [InlineData("dependencies")]
    [InlineData("dependencies/net8.0")]
    public void The_built_folder_holds_every_dependency_and_not_the_PowerShell_reference_assemblies(string dependencyFolder)
    {
        var framework = RuntimeEnvironment.GetRuntimeDirectory();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<string>(new[] { "OpStatus" });
        var provided = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "netstandard", "mscorlib", "System.Management.Automation", "System.Runtime.Loader" };
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            if (!seen.Add(name) || provided.Contains(name))
            {
                continue;
            }

            var local = new[] { ModuleFolder, Path.Combine(ModuleFolder, dependencyFolder) }
                .Select(folder => Path.Combine(folder, name + ".dll"))
                .FirstOrDefault(File.Exists) ?? string.Empty;
            if (local.Length == 0)
            {
                if (!File.Exists(Path.Combine(framework, name + ".dll")))
                {
                    missing.Add(name);
                }

                continue;
            }

            using var stream = File.OpenRead(local);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.AssemblyReferences)
            {
                queue.Enqueue(metadata.GetString(metadata.GetAssemblyReference(handle).Name));
            }
        }

        Assert.Empty(missing);

        // Azure.Identity's credentials live in Azure.Core since 1.53; Azure.Identity.dll forwards to it.
        Assert.Contains("Azure.Core", seen);
        Assert.Contains("Microsoft.Identity.Client", seen);
        foreach (var file in new[] { "OpStatus.dll", "OpStatus.Model.dll", "OpStatus.psd1", "OpStatus.Format.ps1xml", $"{dependencyFolder}/OpStatus.Engine.dll", $"{dependencyFolder}/Azure.Core.dll", $"{dependencyFolder}/Azure.Identity.dll", $"{dependencyFolder}/System.Text.Json.dll" })
        {
            Assert.True(File.Exists(Path.Combine(ModuleFolder, file)), file + " is missing from " + ModuleFolder);
        }

        // Only the cmdlets and the output types sit beside the manifest; every dependency is kept apart,
        // and the output types exist once.
        Assert.Equal(new[] { "OpStatus.Model.dll", "OpStatus.dll" }, Directory.GetFiles(ModuleFolder, "*.dll").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray());
        Assert.False(File.Exists(Path.Combine(ModuleFolder, dependencyFolder, "OpStatus.Model.dll")));
        Assert.False(File.Exists(Path.Combine(ModuleFolder, dependencyFolder, "System.Management.Automation.dll")), "the PowerShell reference assembly must not ship");
    }

    [Fact]
    public void The_engine_does_not_use_PowerShell_types()
    {
        var offenders = new[] { "OpStatus.Engine", "OpStatus.Model" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(EmulatorFixture.RepoRoot, "src", project), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("System.Management.Automation", StringComparison.Ordinal))
            .ToArray();

        Assert.Empty(offenders);
    }

    [Fact]
    public void Every_ps1_file_parses()
    {
        var files = Directory.EnumerateFiles(EmulatorFixture.RepoRoot, "*.ps1", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .ToArray();

        Assert.Contains(files, f => Path.GetFileName(f) == "build.ps1");
        Assert.Contains(files, f => f.EndsWith(".Tests.ps1", StringComparison.Ordinal));
        foreach (var file in files)
        {
            Parser.ParseFile(file, out _, out var errors);
            Assert.True(errors.Length == 0, $"{file}: {string.Join("; ", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}"))}");
        }
    }

    [Fact]
    public void Every_cmdlet_and_parameter_is_documented()
    {
        using var session = new PowerShellSession();
        var result = session.Run(
            """
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            Get-Command -Module OpStatus | ForEach-Object {
                $name = $_.Name
                $_.Parameters.Keys | Where-Object { $common -notcontains $_ } | ForEach-Object { "$name/$_" }
            }
            """);

        Assert.Null(result.Terminating);
        var expected = result.Output.Select(o => o.BaseObject.ToString()!).ToArray();
        Assert.NotEmpty(expected);
        var docs = Path.Combine(EmulatorFixture.RepoRoot, "docs", "en-US");
        foreach (var group in expected.GroupBy(e => e.Split('/')[0]))
        {
            var file = Path.Combine(docs, group.Key + ".md");
            Assert.True(File.Exists(file), $"{file} is missing");
            var text = File.ReadAllText(file);
            var documented = System.Text.RegularExpressions.Regex.Matches(text, @"^### -(\w+)", System.Text.RegularExpressions.RegexOptions.Multiline)
                .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var actual = group.Select(e => e.Split('/')[1]).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.Empty(actual.Except(documented));
            Assert.Empty(documented.Except(actual));
        }

        Assert.True(File.Exists(Path.Combine(docs, "about_OpStatus.md")));
    }

    /// <summary>
    /// platyPS 0.14 joins a list item's continuation lines into the next item, and cannot render a code
    /// span broken across lines: every bullet is one line, and every line closes its code spans.
    /// </summary>
    [Fact]
    public void Docs_keep_every_bullet_and_code_span_on_one_line()
    {
        var item = new System.Text.RegularExpressions.Regex(@"^\s*([-*+]|\d+\.)\s");
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(EmulatorFixture.RepoRoot, "docs", "en-US"), "*.md"))
        {
            var lines = File.ReadAllLines(file);
            var fenced = false;
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith("```", StringComparison.Ordinal))
                {
                    fenced = !fenced;
                    continue;
                }

                if (fenced)
                {
                    continue;
                }

                var where = $"{Path.GetFileName(file)}:{i + 1}";
                if (lines[i].Count(c => c == '`') % 2 != 0)
                {
                    problems.Add($"{where}: a code span continues on the next line");
                }

                var next = i + 1 < lines.Length ? lines[i + 1] : string.Empty;
                if (lines[i].TrimEnd().EndsWith('`') && next.TrimStart().StartsWith('`') && !next.StartsWith("```", StringComparison.Ordinal))
                {
                    problems.Add($"{where}: one code span is split in two across lines");
                }

                if (item.IsMatch(lines[i]) && next.Trim().Length > 0 && !item.IsMatch(next) && !next.StartsWith('#') && !next.StartsWith("```", StringComparison.Ordinal))
                {
                    problems.Add($"{where}: a list item continues on the next line");
                }
            }
        }

        Assert.Empty(problems);
    }

    /// <summary>Every cmdlet page's examples say whether they can be tried offline: they need a tenant, and NOTES says so.</summary>
    [Fact]
    public void Every_cmdlet_page_says_its_examples_need_an_Azure_tenant()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(EmulatorFixture.RepoRoot, "docs", "en-US"), "*-*.md"))
        {
            var text = File.ReadAllText(file);
            var notes = text.IndexOf("## NOTES", StringComparison.Ordinal);
            Assert.True(notes >= 0 && text.Contains("### Example 1", StringComparison.Ordinal), $"{file} has no NOTES or no examples");
            var next = text.IndexOf("\n## ", notes + 1, StringComparison.Ordinal);
            Assert.Contains("need a real Azure tenant", text[notes..(next < 0 ? text.Length : next)], StringComparison.Ordinal);
        }
    }

    private static bool IsBuildOutput(string path)
    {
        var relative = Path.GetRelativePath(EmulatorFixture.RepoRoot, path);
        var first = relative.Split(Path.DirectorySeparatorChar)[0];
        return first is "out" or ".git" || relative.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || relative.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}");
    }

    /// <summary>
    /// The places the docs list the Get cmdlets (CONTRIBUTING.md names them for a new service): each names every one the
    /// manifest exports, so that a new cmdlet cannot be left out of them.
    /// </summary>
    [Theory]
    [InlineData("README.md", "| Cmdlet |", "## Requirements")]
    [InlineData("docs/en-US/about_OpStatus.md", "### COMMANDS", "### SIGNING IN")]
    [InlineData("docs/en-US/about_OpStatus.md", "## SEE ALSO", "## KEYWORDS")]
    [InlineData("docs/en-US/Wait-OperationStatus.md", "## DESCRIPTION", "The cmdlet waits on all")]
    [InlineData("docs/en-US/Wait-OperationStatus.md", "## RELATED LINKS", "[Azure asynchronous operations]")]
    public void Every_list_of_the_Get_cmdlets_in_the_docs_names_each_one(string file, string from, string to)
    {
        var text = File.ReadAllText(Path.Combine(EmulatorFixture.RepoRoot, file)).Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{file} has no '{from}'");
        var end = text.IndexOf(to, start, StringComparison.Ordinal);
        Assert.True(end > start, $"{file} has no '{to}' after '{from}'");
        var section = System.Text.RegularExpressions.Regex.Replace(text[start..end], @"\s+", " ");
        var gets = ManifestCmdlets().Where(c => c.StartsWith("Get-", StringComparison.Ordinal)).ToArray();

        Assert.NotEmpty(gets);
        Assert.All(gets, get => Assert.Contains(get, section, StringComparison.Ordinal));
    }

    private static string ManifestVersion()
    {
        var text = File.ReadAllText(EmulatorFixture.ModuleManifest);
        return System.Text.RegularExpressions.Regex.Match(text, @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;
    }

    /// <summary>The cmdlets the manifest exports (CmdletsToExport), as written there.</summary>
    internal static string[] ManifestCmdlets()
    {
        var text = File.ReadAllText(EmulatorFixture.ModuleManifest);
        var list = System.Text.RegularExpressions.Regex.Match(text, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
        return System.Text.RegularExpressions.Regex.Matches(list, "'([^']+)'").Select(m => m.Groups[1].Value).ToArray();
    }
}
