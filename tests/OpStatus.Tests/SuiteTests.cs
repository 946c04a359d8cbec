using System.Reflection;
using System.Text.RegularExpressions;
using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>
/// Checks over the whole run. The isolated collection runs after the parallel ones, so these see what the
/// rest of the suite did. Under a filter (--filter), when the suite ran too little to check, they first run a
/// mixed session of their own, so that they never check nothing.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class SuiteTests : TestBase
{
    /// <summary>What a whole run captures at the least; below it, the run was filtered.</summary>
    private const int WholeRun = 100;

    public SuiteTests(EmulatorFixture fixture)
        : base(fixture)
    {
    }

    /// <summary>The least the checks demand: a whole run's worth, or, under a filter, what their own session gives.</summary>
    private int Enough()
    {
        if (PowerShellSession.Captured.Count >= WholeRun && PowerShellSession.Messages.Distinct().Count() >= WholeRun)
        {
            return WholeRun;
        }

        RunAMixedSession();
        return 10;
    }

    /// <summary>Reads, waits, failures, refusals and every sign-in, with -Verbose and -Debug shown.</summary>
    private void RunAMixedSession()
    {
        var running = NewId();
        var failed = NewId();
        Emulator.Script(running, Ok(StatusBody("Running", running)), Ok(StatusBody("Succeeded", running)));
        Emulator.Script(failed, Ok(StatusBody("Failed", failed, ("error", ErrorBody("QuotaExceeded", "No quota left")["error"]!.DeepClone()))));
        var token = Emulator.IssueToken(Emulator.ResourceManagerAudience);
        var arm = "-ResourceManagerEndpoint $args[0] -SubscriptionId $args[1] -Location westus";
        var scripts = new[]
        {
            $"$args[2] | Get-CacheOperationStatus {arm} | Wait-OperationStatus",
            $"Get-CacheOperationStatus {arm} -OperationId $args[3] | Wait-OperationStatus",
            $"Get-CacheOperationStatus {arm} -OperationId $args[4]",
            $"Get-CacheOperationStatus {arm} -OperationId $args[2] -AccessToken $args[5]",
            $"Get-CacheOperationStatus {arm} -OperationId $args[2] -Identity -ClientId {Guid.NewGuid()}",
            $"Get-CacheOperationStatus {arm} -OperationId $args[2] -AccessToken $args[5] -Identity",
            $"Get-CacheOperationStatus {arm} -OperationId ' x' -ApiVersion 'v1'",
            "Get-CacheOperationStatus -ResourceManagerEndpoint $args[0] -SubscriptionId '{x}' -Location 'west us!' -OperationId x",
            "Get-DevCenterOperationStatus -Endpoint $args[0] -ProjectName p -OperationId $args[4]",
            "Wait-OperationStatus -Uri 'https://management.example.com/subscriptions/s/providers/x/operations/y'",
            "'an-id' | Wait-OperationStatus",
            "@{ 'Location' = 'not a url' } | Wait-OperationStatus",
        };
        using var session = NewSession();
        foreach (var script in scripts)
        {
            session.Run(script, Url, NewSubscription(), running, failed, NewId(), token);
        }
    }

    [Fact]
    [Trait("Reliability", "Secrets")]
    public void No_token_appears_in_anything_the_suite_captured()
    {
        var enough = Enough();
        var texts = PowerShellSession.Captured.ToArray();
        var tokens = Emulator.IssuedTokens.ToHashSet(StringComparer.Ordinal);
        Assert.True(texts.Length >= enough, $"only {texts.Length} script results were captured");
        Assert.True(tokens.Count >= enough / 10, $"only {tokens.Count} tokens were issued");

        var leaks = new List<string>();
        foreach (var text in texts)
        {
            // Every issued token is "emu.{claims}.{random}"; look at each such place rather than for each token.
            foreach (Match candidate in Regex.Matches(text, @"emu\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"))
            {
                if (tokens.Contains(candidate.Value))
                {
                    leaks.Add(candidate.Value[..12] + "...");
                }
            }

            if (text.Contains(Emulator.IdentityHeader, StringComparison.Ordinal))
            {
                leaks.Add("IDENTITY_HEADER");
            }
        }

        Assert.Empty(leaks);
    }

    /// <summary>
    /// Messages are built from parts, some not OpStatus's own (an exception's text, a service's message): no
    /// sentence of any message the suite saw may run into the next without its full stop, and no "a" may
    /// stand before a vowel.
    /// </summary>
    [Fact]
    public void Every_message_the_suite_saw_ends_each_sentence_with_a_full_stop()
    {
        var enough = Enough();
        var messages = PowerShellSession.Messages.Distinct().ToArray();
        Assert.True(messages.Length >= enough, $"only {messages.Length} messages were captured");
        var runOn = new Regex(@"[a-z0-9)\]'""] (Check|Request id|Correlation id|Give|Remove|Use|Sign|Try|Run|Ask|Wait|Leave|Find|Pipe|Read|Install|Set|Quote|Make|Type) ");
        var article = new Regex(@"\b[Aa] (operation|api|endpoint|id|identity|access|error|Azure|OpStatus|absolute|https)\b");
        var bad = messages.Where(m => runOn.IsMatch(m) || article.IsMatch(m)).Select(m => m.Length > 300 ? m[..300] + "..." : m).ToArray();

        Assert.Empty(bad);
    }

    [Fact]
    [Trait("Reliability", "Fault")]
    public void No_task_exception_went_unobserved()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Empty(EmulatorFixture.Unobserved.Select(e => e.ToString()));
    }

    [Fact]
    public void The_reliability_figures_are_the_suite_s_own()
    {
        var counts = typeof(SuiteTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<TraitAttribute>().Select(_ => m))
            .Select(m => (Kind: TraitValue(m), Cases: m.GetCustomAttributes<InlineDataAttribute>().Count() is var n && n > 0 ? n : 1))
            .GroupBy(c => c.Kind)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Cases));

        var document = File.ReadAllText(Path.Combine(EmulatorFixture.RepoRoot, "tests", "RELIABILITY.md"));
        Assert.Equal(counts["Fault"], Figure(document, "Fault scenarios survived"));
        Assert.Equal(counts["HostileInput"], Figure(document, "Hostile or wrong inputs refused or escaped"));
        Assert.Equal(counts["Secrets"], Figure(document, "Secret checks"));
        Assert.Equal(ScriptResult.StreamsChecked.Length, Figure(document, "Streams and texts checked for secrets"));
    }

    private static string TraitValue(MethodInfo method)
    {
        var data = method.GetCustomAttributesData().First(a => a.AttributeType == typeof(TraitAttribute));
        return (string)data.ConstructorArguments[1].Value!;
    }

    private static int Figure(string document, string label)
    {
        var match = Regex.Match(document, @"^\|\s*" + Regex.Escape(label) + @"\s*\|\s*(\d+)\s*\|", RegexOptions.Multiline);
        Assert.True(match.Success, $"RELIABILITY.md has no row '{label}'");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
