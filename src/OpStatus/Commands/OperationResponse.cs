using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;

namespace OpStatus;

/// <summary>
/// The response of a request that started an operation, as Wait-OperationStatus -Response takes it. PowerShell
/// converts to it what scripts hold: an HttpResponseMessage, what Invoke-WebRequest returns, what
/// Invoke-AzRestMethod returns (matched by shape: StatusCode, Headers, Content), or a hashtable of headers
/// (Invoke-RestMethod -ResponseHeadersVariable). Strings, URLs and statuses are not converted, so that they
/// keep binding to -Uri and -InputObject.
/// </summary>
[TypeConverter(typeof(OperationResponseConverter))]
public sealed class OperationResponse
{
    internal OperationResponse(int? statusCode, IReadOnlyDictionary<string, string> headers, string? content, Uri? requestUri, object source, string? method = null)
    {
        StatusCode = statusCode;
        Headers = headers;
        Content = content;
        RequestUri = requestUri;
        Source = source;
        Method = method;
    }

    /// <summary>The HTTP status code, when the response said it (a hashtable of headers does not).</summary>
    public int? StatusCode { get; }

    /// <summary>The headers, the first value of each; names compared ignoring case.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The body, when the response held it.</summary>
    public string? Content { get; }

    /// <summary>The URL of the request, when the response knows it.</summary>
    public Uri? RequestUri { get; }

    /// <summary>The method of the request (PUT, PATCH, POST, DELETE), when the response knows it: it decides where the resource is read once the operation succeeds.</summary>
    public string? Method { get; }

    /// <summary>The object it was made from; never shown, since its request may hold the Authorization header.</summary>
    internal object Source { get; }

    /// <summary>
    /// True for an object that is no response at all, such as the body Invoke-RestMethod returns: it is taken, so that
    /// Wait-OperationStatus can say what it is under an error of its own rather than leave it to the binder.
    /// </summary>
    public bool IsBodyOnly { get; private set; }

    /// <summary>The property names -Uri binds by (its name and aliases): an object with one is left to it.</summary>
    private static readonly string[] UrlProperties = { "Uri", "AsyncOperationUri", "OperationLocation" };

    /// <summary>Reads a response object; null when the object is not a response this type understands.</summary>
    public static OperationResponse? From(object? value) => From(value, readContent: true);

    /// <param name="readContent">False for a shape check only: the body of an HttpResponseMessage is then not read.</param>
    internal static OperationResponse? From(object? value, bool readContent)
    {
        var baseObject = value is PSObject wrapped ? wrapped.BaseObject : value;
        switch (baseObject)
        {
            case null or string or Uri or OperationStatus or OperationResponse:
                return baseObject as OperationResponse;
            case HttpResponseMessage message:
                return FromMessage(message, baseObject, readContent);
            case IDictionary dictionary:
                return new OperationResponse(null, FromPairs(dictionary.Keys.Cast<object>().Select(k => (k?.ToString(), (object?)dictionary[k!]))), null, null, baseObject);
        }

        // Invoke-WebRequest's and Invoke-AzRestMethod's results, by shape: Headers with StatusCode.
        var shape = value as PSObject ?? PSObject.AsPSObject(baseObject);
        if (shape.Properties["Headers"]?.Value is not { } headerValue || shape.Properties["StatusCode"] is not { } statusProperty)
        {
            // A body (Invoke-RestMethod, ConvertFrom-Json): no status, no headers, and no URL that -Uri would take by
            // property name (a status saved as JSON or CSV has its Uri, and binds there).
            return baseObject is PSCustomObject && !UrlProperties.Any(name => shape.Properties[name] is not null)
                ? new OperationResponse(null, new Dictionary<string, string>(), null, null, baseObject) { IsBodyOnly = true }
                : null;
        }

        var headers = Unwrap(headerValue) switch
        {
            IDictionary dictionary => FromPairs(dictionary.Keys.Cast<object>().Select(k => (k?.ToString(), (object?)dictionary[k!]))),
            IEnumerable<KeyValuePair<string, IEnumerable<string>>> pairs => FromPairs(pairs.Select(p => ((string?)p.Key, (object?)p.Value))),
            _ => null,
        };
        if (headers is null)
        {
            return null;
        }

        var content = Unwrap(shape.Properties["Content"]?.Value) switch
        {
            string text => text,
            byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
            _ => null,
        };
        // Invoke-AzRestMethod's result says its Method and RequestUri; Invoke-WebRequest's keeps the request in BaseResponse:
        // an HttpResponseMessage in PowerShell 7, an HttpWebResponse in Windows PowerShell 5.1.
        var baseResponse = Unwrap(shape.Properties["BaseResponse"]?.Value);
        var request = (baseResponse as HttpResponseMessage)?.RequestMessage;
        var webResponse = baseResponse as System.Net.HttpWebResponse;
        var requestUri = Unwrap(shape.Properties["RequestUri"]?.Value) switch
        {
            Uri uri => uri,
            string text when Uri.TryCreate(text, UriKind.Absolute, out var parsed) => parsed,
            _ => request?.RequestUri ?? webResponse?.ResponseUri,
        };
        var method = Unwrap(shape.Properties["Method"]?.Value)?.ToString() ?? request?.Method.Method ?? webResponse?.Method;
        return new OperationResponse(StatusOf(Unwrap(statusProperty.Value)), headers, content, requestUri, baseObject, method);
    }

    private static OperationResponse FromMessage(HttpResponseMessage message, object source, bool readContent)
    {
        var pairs = message.Headers.Select(h => ((string?)h.Key, (object?)h.Value));
        if (message.Content is { } body)
        {
            pairs = pairs.Concat(body.Headers.Select(h => ((string?)h.Key, (object?)h.Value)));
        }

        // The body is read only on conversion, not by the shape check: it matters only for an operation that completed in this response.
        var content = readContent ? message.Content?.ReadAsStringAsync().GetAwaiter().GetResult() : null;
        return new OperationResponse((int)message.StatusCode, FromPairs(pairs), content, message.RequestMessage?.RequestUri, source, message.RequestMessage?.Method.Method);
    }

    private static IReadOnlyDictionary<string, string> FromPairs(IEnumerable<(string? Name, object? Value)> pairs)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in pairs)
        {
            var first = Unwrap(value) switch
            {
                string text => text,
                IEnumerable values => values.Cast<object?>().Select(v => Unwrap(v)?.ToString()).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)),
                { } other => other.ToString(),
                null => null,
            };
            if (!string.IsNullOrWhiteSpace(name) && first is not null && !headers.ContainsKey(name!))
            {
                headers[name!] = first;
            }
        }

        return headers;
    }

    private static int? StatusOf(object? value) => value switch
    {
        int code => code,
        System.Net.HttpStatusCode code => (int)code,
        IConvertible convertible when int.TryParse(convertible.ToString(System.Globalization.CultureInfo.InvariantCulture), out var code) => code,
        _ => null,
    };

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;
}

/// <summary>Lets PowerShell bind response objects to -Response (see <see cref="OperationResponse"/>).</summary>
public sealed class OperationResponseConverter : PSTypeConverter
{
    public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
        destinationType == typeof(OperationResponse) && OperationResponse.From(sourceValue, readContent: false) is not null;

    public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        OperationResponse.From(sourceValue) ?? throw new PSInvalidCastException(
            $"Wait-OperationStatus -Response takes an HttpResponseMessage, the result of Invoke-WebRequest or Invoke-AzRestMethod, or a hashtable of response headers; a {sourceValue?.GetType().FullName ?? "null"} was given.");

    public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

    public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        throw new PSInvalidCastException("An OperationResponse converts to nothing else.");
}
