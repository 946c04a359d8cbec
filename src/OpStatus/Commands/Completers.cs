using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OpStatus.Engine;

namespace OpStatus.Commands;

/// <summary>Completes -Location with Azure region names ('West US' and 'westus' alike complete to 'westus').</summary>
public sealed class LocationCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        AzureRegions.Matching(Completion.Unquote(wordToComplete))
            .Select(r => new CompletionResult(r.Name, r.Name, CompletionResultType.ParameterValue, r.DisplayName));
}

/// <summary>Completes -ApiVersion with the known api-versions of the command's service, newest first.</summary>
public sealed class ApiVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var service = AzureService.ForCommand(commandName);

        var typed = Completion.Unquote(wordToComplete);
        return (service?.KnownApiVersions ?? Array.Empty<string>())
            .Where(v => v.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(
                v,
                v,
                CompletionResultType.ParameterValue,
                v == service!.DefaultApiVersion ? $"{v} (the default)" : v));
    }
}

internal static class Completion
{
    public static string Unquote(string? word) => (word ?? string.Empty).Trim('\'', '"');
}
