using System;
using System.Linq;
using System.Text.RegularExpressions;

namespace OpStatus.Engine;

/// <summary>
/// The rules that identifiers must pass before any request is made. Each check returns null when the value
/// is good, or a sentence that tells the user what is wrong and what to type instead.
/// </summary>
internal static class InputValidation
{
    private const int MaxSegmentLength = 256;

    /// <summary>A Dev Center project's or dev center's name; \z, not $, so that a name with a line break after it does not pass.</summary>
    private static readonly Regex DevCenterProjectName = new("^[a-zA-Z0-9][a-zA-Z0-9-_.]{2,62}\\z", RegexOptions.CultureInvariant);
    private static readonly Regex DevCenterOperationId = new("^[a-zA-Z0-9]{8}-([a-zA-Z0-9]{4}-){3}[a-zA-Z0-9]{12}$", RegexOptions.CultureInvariant);
    private static readonly Regex TenantDomain = new("^(?=.{4,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$", RegexOptions.CultureInvariant);
    private static readonly Regex RegionName = new("^[a-zA-Z0-9]+( [a-zA-Z0-9]+)*$", RegexOptions.CultureInvariant);

    /// <summary>A status path's first word at the start of a value ("subscriptions/"), or another of its words as a segment anywhere ("/operationsStatus/").</summary>
    private static readonly Lazy<Regex> StatusPathWord = new(() => new Regex(
        "^/?(" + string.Join("|", AzureService.StatusPathRoots.Select(Regex.Escape)) + ")/|/(" + string.Join("|", AzureService.StatusPathWords.Select(Regex.Escape)) + ")/",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant));

    /// <summary>Dev Center project name: 3 to 63 characters, a letter or digit first, then letters, digits, '-', '_' or '.'.</summary>
    public static string? CheckDevCenterProjectName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "The project name is empty. Give the name of a Dev Center project, for example 'myProject'.";
        }

        if (CheckWhiteSpace(value!, "project name") is { } spaced)
        {
            return spaced;
        }

        if (value!.Length < 3 || value.Length > 63 || !DevCenterProjectName.IsMatch(value))
        {
            return $"The project name '{Printable(value)}' is not valid. A Dev Center project name has 3 to 63 characters: a letter or digit first, then letters, digits, '-', '_' or '.'.";
        }

        return null;
    }

    /// <summary>A dev center's name, as -DevCenterName takes it into a Resource Graph query: what Azure allows, nothing that could end a string there.</summary>
    public static string? CheckDevCenterName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "The dev center name is empty. Give the name of the dev center, as in the Azure portal, for example 'contoso-devcenter'.";
        }

        if (CheckWhiteSpace(value!, "dev center name") is { } spaced)
        {
            return spaced;
        }

        return value!.Length < 3 || value.Length > 63 || !DevCenterProjectName.IsMatch(value)
            ? $"The dev center name '{Printable(value)}' is not valid. A dev center name has 3 to 63 characters: a letter or digit first, then letters, digits, '-', '_' or '.'."
            : null;
    }

    /// <summary>Dev Center operation id: 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.</summary>
    public static string? CheckDevCenterOperationId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "The operation id is empty. Give the 36-character id of a Dev Center operation, for example 'fa067167-e49d-41bd-8dd8-de719b9de3b3'.";
        }

        if (CheckWhiteSpace(value!, "operation id") is { } spaced)
        {
            return spaced;
        }

        if (value!.Length != 36 || !DevCenterOperationId.IsMatch(value))
        {
            return $"The operation id '{Printable(value)}' is not valid. A Dev Center operation id has 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (letters and digits), for example 'fa067167-e49d-41bd-8dd8-de719b9de3b3', without braces.";
        }

        return null;
    }

    /// <summary>
    /// A Resource Manager path segment (subscription id, operation id): not empty, no surrounding or control
    /// characters, not a dot segment, at most 256 characters. Anything else is escaped when the path is built.
    /// </summary>
    public static string? CheckResourceManagerSegment(string? value, string what, string example)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"The {what} is empty. Give {Sentences.Article(what)} {what}, for example '{example}'.";
        }

        if (value!.Length > MaxSegmentLength)
        {
            return $"The {what} is {value.Length} characters long; at most {MaxSegmentLength} are accepted. Check that the whole value was not pasted twice or joined with another.";
        }

        if (CheckWhiteSpace(value, what) is { } spaced)
        {
            return spaced;
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return $"The {what} '{Printable(value)}' contains a control character. Type it again without it.";
            }
        }

        if (value == "." || value == "..")
        {
            return $"The {what} '{value}' is not valid. Give {Sentences.Article(what)} {what}, for example '{example}'.";
        }

        return null;
    }

    /// <summary>
    /// A subscription id: a GUID. Braces, a '/subscriptions/' prefix copied from a resource id and a trailing
    /// slash are named, with the value to give instead.
    /// </summary>
    public static string? CheckSubscriptionId(string? value)
    {
        if (CheckResourceManagerSegment(value, "subscription id", "00000000-0000-0000-0000-000000000000") is { } problem)
        {
            return problem;
        }

        if (Guid.TryParseExact(value, "D", out _))
        {
            return null;
        }

        var shown = Printable(value!);
        var fromResourceId = Regex.Match(value!, "^/?subscriptions/([^/]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (fromResourceId.Success && Guid.TryParseExact(fromResourceId.Groups[1].Value, "D", out var inResourceId))
        {
            return $"The subscription id '{shown}' is part of a resource id. Give the GUID alone: -SubscriptionId '{inResourceId:D}'.";
        }

        if (Guid.TryParseExact(value, "B", out var braced))
        {
            return $"The subscription id '{shown}' has braces. Give it without them: -SubscriptionId '{braced:D}'.";
        }

        if (Guid.TryParseExact(value!.TrimEnd('/'), "D", out var slashed))
        {
            return $"The subscription id '{shown}' ends with '/'. Give the GUID alone: -SubscriptionId '{slashed:D}'.";
        }

        return $"The subscription id '{shown}' is not a GUID. A subscription id looks like '00000000-0000-0000-0000-000000000000'; find it with 'Get-AzSubscription' or 'az account show --query id'.";
    }

    /// <summary>
    /// An operation id that is a whole status URL, or a piece of one: names the last segment, and Wait-OperationStatus -Uri
    /// for the whole URL. Null when the value does not look like a URL.
    /// </summary>
    public static string? CheckNotAUrl(string? value, string what)
    {
        if (value is null)
        {
            return null;
        }

        var isUrl = value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
        var hasStatusPath = StatusPathWord.Value.IsMatch(value);
        if (!isUrl && !hasStatusPath)
        {
            return null;
        }

        var path = value.Split('?', '#')[0].TrimEnd('/');
        var last = path.Substring(path.LastIndexOf('/') + 1);
        var lastAdvice = last.Length > 0 ? $"give only its last segment ('{Printable(last)}'), or " : string.Empty;
        return $"The {what} '{Printable(value)}' is a status URL, not an id. To read it, {lastAdvice}wait on the whole URL with: Wait-OperationStatus -Uri '<the URL>'.";
    }

    /// <summary>An Azure region, as a name ('westus') or a display name ('West US').</summary>
    public static string? CheckLocation(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "The location is empty. Give an Azure region, for example 'westus' or 'West US'.";
        }

        if (CheckWhiteSpace(value!, "location") is { } spaced)
        {
            return spaced;
        }

        if (value!.Length > 64 || !RegionName.IsMatch(value))
        {
            return $"The location '{Printable(value)}' is not an Azure region name. Use a region such as 'westus' or 'West US': letters and digits, with single spaces in a display name.";
        }

        return null;
    }

    /// <summary>A client id: a GUID.</summary>
    public static string? CheckClientId(string? value) =>
        value is not null && CheckWhiteSpace(value, "client id") is { } spaced ? spaced
        : value is null || Guid.TryParseExact(value, "D", out _)
            ? null
            : $"-ClientId '{Printable(value)}' is not a client id. Give the client (application) id of the user-assigned managed identity, a GUID such as '00000000-0000-0000-0000-000000000000'; find it with 'Get-AzUserAssignedIdentity' or on the identity's page in the Azure portal.";

    /// <summary>A tenant: a GUID or a domain name such as contoso.onmicrosoft.com.</summary>
    public static string? CheckTenantId(string? value) =>
        value is not null && CheckWhiteSpace(value, "tenant id") is { } spaced ? spaced
        : value is null || Guid.TryParseExact(value, "D", out _) || TenantDomain.IsMatch(value)
            ? null
            : $"-TenantId '{Printable(value)}' is not a tenant. Give the tenant id (a GUID) or one of its domain names, such as 'contoso.onmicrosoft.com'.";

    /// <summary>One rule for every value: white space before or after it is an error, with one message.</summary>
    public static string? CheckWhiteSpace(string value, string what) =>
        value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[value.Length - 1]))
            ? $"The {what} '{Printable(value)}' starts or ends with white space. Remove it and try again."
            : null;

    /// <summary>Turns 'West US' into 'westus', the form Resource Manager uses in paths.</summary>
    public static string NormalizeLocation(string value) => value.Replace(" ", string.Empty).ToLowerInvariant();

    /// <summary>An api-version: not empty, the form yyyy-mm-dd with an optional '-preview' style suffix.</summary>
    public static string? CheckApiVersion(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "The api-version is empty. Leave -ApiVersion out to use the default, or give one such as '2024-10-01'.";
        }

        if (CheckWhiteSpace(value!, "api-version") is { } spaced)
        {
            return spaced;
        }

        if (!Regex.IsMatch(value, "^[0-9]{4}-[0-9]{2}-[0-9]{2}(-[a-zA-Z0-9.]+)?$", RegexOptions.CultureInvariant))
        {
            return $"The api-version '{Printable(value!)}' is not valid. An api-version looks like '2024-10-01' or '2024-10-01-preview'.";
        }

        return null;
    }

    /// <summary>
    /// An HTTPS endpoint that tokens may be sent to: absolute, https, no user name or password, no query, no fragment.
    /// </summary>
    public static string? CheckEndpoint(Uri? value, string parameterName) =>
        CheckTokenUrl(value, parameterName, "Give the whole URL, starting with https://.", queryAllowed: false, "Give the endpoint alone.");

    /// <summary>
    /// An endpoint the request path is added to: as CheckEndpoint, and with no path of its own that the request
    /// would repeat. <paramref name="shape"/> shows the endpoint's expected form.
    /// </summary>
    public static string? CheckEndpointRoot(Uri? value, string parameterName, string shape, params string[] addedPaths)
    {
        if (CheckEndpoint(value, parameterName) is { } problem)
        {
            return problem;
        }

        var path = value!.AbsolutePath;
        foreach (var added in addedPaths)
        {
            if (added.Length == 0 ? path.Trim('/').Length > 0 : path.IndexOf(added, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return $"{parameterName} '{Printable(Display(value))}' has a path ('{Printable(path)}') that the request adds itself. Give the endpoint alone, in the form {shape}.";
            }
        }

        return null;
    }

    /// <summary>
    /// An async-operation URL that tokens may be sent to: as an endpoint, but with its query (the api-version
    /// the service chose) kept. Whether its host may have a token is for AsyncOperationUri to say.
    /// </summary>
    public static string? CheckOperationUrl(Uri? value) =>
        CheckTokenUrl(
            value,
            "The URL",
            "Give the whole URL from the Azure-AsyncOperation, Operation-Location or Location header.",
            queryAllowed: true,
            "Give the URL as the service returned it.");

    private static string? CheckTokenUrl(Uri? value, string parameterName, string wholeUrlAdvice, bool queryAllowed, string fragmentAdvice)
    {
        if (value is null)
        {
            return $"{parameterName} is empty. Give an https URL.";
        }

        if (!value.IsAbsoluteUri)
        {
            return $"{parameterName} '{Printable(value.OriginalString)}' is not an absolute URL. {wholeUrlAdvice}";
        }

        if (!string.Equals(value.Scheme, "https", StringComparison.OrdinalIgnoreCase))
        {
            return $"{parameterName} '{Printable(Display(value))}' does not use https. Access tokens are only sent over https; give the https:// form of the URL.";
        }

        if (!string.IsNullOrEmpty(value.UserInfo))
        {
            return $"{parameterName} contains a user name or password before the host. Remove the part before '@'; OpStatus signs in with Microsoft Entra ID, not with credentials in the URL.";
        }

        if (!queryAllowed && (!string.IsNullOrEmpty(value.Query) || value.OriginalString.Contains("?")))
        {
            return $"{parameterName} '{Printable(Display(value))}' has a query string. Give the endpoint alone; OpStatus adds api-version itself.";
        }

        if (!string.IsNullOrEmpty(value.Fragment) || value.OriginalString.Contains("#"))
        {
            return $"{parameterName} '{Printable(Display(value))}' has a fragment ('#...'). {fragmentAdvice}";
        }

        return null;
    }

    /// <summary>A URL as it is safe to show: never the user-info part.</summary>
    public static string Display(Uri uri) =>
        uri.IsAbsoluteUri && !string.IsNullOrEmpty(uri.UserInfo)
            ? uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped)
            : uri.OriginalString;

    /// <summary>A value as it is safe to echo in a message: control characters shown as escapes, long values cut.</summary>
    public static string Printable(string value)
    {
        var builder = new System.Text.StringBuilder(Math.Min(value.Length, 80));
        foreach (var c in value)
        {
            if (builder.Length >= 80)
            {
                builder.Append("...");
                break;
            }

            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.ToString();
    }
}
