using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace OpStatus.Engine;

/// <summary>Turns the JSON a service returns into OperationStatus and OperationError objects.</summary>
internal static class StatusParser
{
    private static readonly IReadOnlyDictionary<string, string> NoAliases = new Dictionary<string, string>();

    /// <summary>The deepest nesting read; an operation status is a few levels deep.</summary>
    private const int MaxDepth = 64;

    /// <summary>True when a body that failed to parse is valid JSON, only nested deeper than <see cref="MaxDepth"/>.</summary>
    private static bool IsDeeperThanMaxDepth(ReadOnlyMemory<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = int.MaxValue / 2 });
            var deepest = 0;
            while (reader.Read())
            {
                deepest = Math.Max(deepest, reader.CurrentDepth);
            }

            return deepest >= MaxDepth;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Fills a status from a response body; returns a reason when the body is not an operation status.
    /// <paramref name="aliases"/> maps a service's own field names to the common ones.
    /// </summary>
    public static string? TryFill(OperationStatus status, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string>? aliases = null)
    {
        aliases ??= NoAliases;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            return body.Length == 0 ? "the body is empty"
                : IsDeeperThanMaxDepth(body) ? $"the body is nested deeper than {MaxDepth} levels, deeper than any operation status"
                : "the body is not valid JSON";
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"the body is a JSON {KindName(root.ValueKind)}, not an object";
            }

            if (!TryGetStatus(root, aliases, out var statusElement))
            {
                return "the body has no 'status' field";
            }

            if (statusElement.ValueKind == JsonValueKind.Null)
            {
                return "its 'status' field is null";
            }

            if (statusElement.ValueKind != JsonValueKind.String)
            {
                return $"its 'status' field is {Sentences.Article(KindName(statusElement.ValueKind))} {KindName(statusElement.ValueKind)}, not a string";
            }

            if (string.IsNullOrWhiteSpace(statusElement.GetString()))
            {
                return "its 'status' field is empty";
            }

            foreach (var property in root.EnumerateObject())
            {
                Fill(status, aliases.TryGetValue(property.Name, out var common) ? common : property.Name, property.Value);
            }
        }

        return null;
    }

    /// <summary>Sets the property a top-level field belongs to; fields of no property of their own go to AdditionalProperties.</summary>
    private static void Fill(OperationStatus status, string name, JsonElement value)
    {
        switch (name.ToLowerInvariant())
        {
            case "id": status.Id = AsString(value); break;
            case "name": status.Name = AsString(value); break;
            case "status": status.Status = value.GetString(); break;
            case "starttime": status.StartTime = AsDate(value); break;
            case "endtime": status.EndTime = AsDate(value); break;
            case "percentcomplete": status.PercentComplete = AsDouble(value); break;
            case "resourceid": status.ResourceId = AsString(value); break;
            case "properties" when value.ValueKind == JsonValueKind.Object:
                status.Properties = ToValue(value) as IDictionary<string, object?>;
                break;
            case "error": status.Error = ParseError(value); break;
            default:
                status.AdditionalProperties[name] = ToValue(value);
                break;
        }
    }

    private static bool TryGetStatus(JsonElement root, IReadOnlyDictionary<string, string> aliases, out JsonElement status)
    {
        foreach (var alias in aliases)
        {
            if (string.Equals(alias.Value, "status", StringComparison.OrdinalIgnoreCase) && TryGetProperty(root, alias.Key, out status))
            {
                return true;
            }
        }

        return TryGetProperty(root, "status", out status);
    }

    /// <summary>
    /// Reads a response without a status field by the Location-header contract: 202 is InProgress; 200, 201
    /// and 204 are Succeeded, with the body (the resource) as Properties. Returns false for anything else.
    /// </summary>
    public static bool TryFillFromLocationContract(OperationStatus status, int httpStatus, ReadOnlyMemory<byte> body)
    {
        if (httpStatus != 202 && httpStatus != 200 && httpStatus != 201 && httpStatus != 204)
        {
            return false;
        }

        IDictionary<string, object?>? resource = null;
        if (body.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                resource = ToValue(document.RootElement) as IDictionary<string, object?>;
            }
            catch (JsonException)
            {
                return false;
            }

            if (resource is null)
            {
                return false;
            }
        }

        status.Status = httpStatus == 202 ? "InProgress" : "Succeeded";
        status.Properties = resource;
        if (httpStatus != 202)
        {
            // The Location contract's final answer is the resource itself.
            status.Resource = resource;
        }

        return true;
    }

    /// <summary>
    /// An error object in either shape Azure uses: {code, message, ...} or the ARM ErrorResponse {error: {code, ...}}.
    /// </summary>
    public static OperationError? ParseError(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (!TryGetProperty(element, "code", out _) && !TryGetProperty(element, "message", out _)
            && TryGetProperty(element, "error", out var inner) && inner.ValueKind == JsonValueKind.Object)
        {
            element = inner;
        }

        var error = new OperationError
        {
            Code = TryGetProperty(element, "code", out var code) ? AsString(code) : null,
            Message = TryGetProperty(element, "message", out var message) ? AsString(message) : null,
            Target = TryGetProperty(element, "target", out var target) ? AsString(target) : null,
        };

        if (TryGetProperty(element, "details", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            error.Details = ParseDetails(details);
        }

        if (TryGetProperty(element, "innererror", out var innerError) && innerError.ValueKind == JsonValueKind.Object)
        {
            error.InnerError = ToValue(innerError) as IDictionary<string, object?>;
        }

        if (TryGetProperty(element, "additionalInfo", out var additional) && additional.ValueKind == JsonValueKind.Array)
        {
            error.AdditionalInfo = ParseAdditionalInfo(additional);
        }

        return error.Code is null && error.Message is null && error.Details.Count == 0 ? null : error;
    }

    private static List<OperationError> ParseDetails(JsonElement details)
    {
        var list = new List<OperationError>();
        foreach (var item in details.EnumerateArray())
        {
            if (ParseError(item) is { } detail)
            {
                list.Add(detail);
            }
        }

        return list;
    }

    private static List<OperationErrorAdditionalInfo> ParseAdditionalInfo(JsonElement additional)
    {
        var list = new List<OperationErrorAdditionalInfo>();
        foreach (var item in additional.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object)
            {
                list.Add(new OperationErrorAdditionalInfo
                {
                    Type = TryGetProperty(item, "type", out var type) ? AsString(type) : null,
                    Info = TryGetProperty(item, "info", out var info) ? ToValue(info) : null,
                });
            }
        }

        return list;
    }

    /// <summary>The error object of an error response body, or null when the body has none.</summary>
    public static OperationError? ParseErrorBody(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && TryGetProperty(root, "error", out var error)
                ? ParseError(error)
                : ParseError(root);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON value as plain .NET values PowerShell handles well: dictionaries, arrays, strings, numbers.</summary>
    public static object? ToValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var dictionary = new PropertyDictionary();
                foreach (var property in element.EnumerateObject())
                {
                    dictionary[property.Name] = ToValue(property.Value);
                }

                return dictionary;
            case JsonValueKind.Array:
                var list = new List<object?>();
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(ToValue(item));
                }

                return list.ToArray();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return element.TryGetInt64(out var whole) ? (object)whole : element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        if (element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    private static double? AsDouble(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            return number;
        }

        return value.ValueKind == JsonValueKind.String
            && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number)
            ? number
            : null;
    }

    /// <summary>An RFC 3339 date-time in any of its valid spellings ('t' or 'T', 'z' or 'Z', any fraction).</summary>
    internal static DateTimeOffset? AsDate(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = value.GetString()?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // .NET reads at most seven fractional digits; RFC 3339 allows any number.
        var dot = text!.IndexOf('.');
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = text.Substring(0, dot + 8) + text.Substring(end);
            }
        }

        // "0001-01-01T00:00:00" is how some services write "no time yet".
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var parsed)
            && parsed.Year > 1
            ? parsed
            : null;
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
