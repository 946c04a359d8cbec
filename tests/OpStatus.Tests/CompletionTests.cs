using OpStatus.Tests.Infrastructure;
using Xunit;

namespace OpStatus.Tests;

/// <summary>Tab completion, through the engine's own completion (TabExpansion2), as a user presses Tab.</summary>
public sealed class CompletionTests
{
    [Theory]
    [InlineData("Get-CacheOperationStatus -Location westu", "westus,westus2,westus3")]
    [InlineData("Get-LogAnalyticsOperationStatus -Location 'West U", "westus,westus2,westus3")]
    [InlineData("Get-CacheOperationStatus -Location usgov", "usgovarizona,usgovtexas,usgovvirginia")]
    [InlineData("Get-CacheOperationStatus -Location 'West Central", "westcentralus")]
    [InlineData("Get-LogAnalyticsOperationStatus -ApiVersion ", "2025-07-01,2025-02-01,2023-09-01,2020-08-01")]
    [InlineData("Get-CacheOperationStatus -ApiVersion 2025", "2025-07-01,2025-04-01")]
    [InlineData("Get-DevCenterOperationStatus -ApiVersion ", "2025-02-01,2024-02-01,2023-04-01")]
    [InlineData("Get-CacheOperationStatus -Environment Azure", "AzureChinaCloud,AzureCloud,AzureUSGovernment")]
    [InlineData("Get-LogAnalyticsOperationStatus -Environment azureu", "AzureUSGovernment")]
    public void Tab_completes_values(string input, string expected)
    {
        using var session = new PowerShellSession();
        var result = session.Run("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches | ForEach-Object { $_.CompletionText }", input);

        Assert.Null(result.Terminating);
        Assert.Equal(expected.Split(','), result.Output.Select(o => o.BaseObject.ToString()!.Trim('\'')).ToArray());
    }

    [Fact]
    public void Region_completions_show_the_display_name_as_tooltip()
    {
        using var session = new PowerShellSession();
        var result = session.Run("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches | ForEach-Object { $_.ToolTip }", "Get-CacheOperationStatus -Location westus3");

        Assert.Equal("West US 3", Assert.Single(result.Output).BaseObject);
    }
}
