using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace OpStatus;

/// <summary>
/// A JSON object the service sent (Properties, AdditionalProperties and the objects inside them): a dictionary
/// whose keys ignore case, and whose text is compact JSON, so that Export-Csv and string expansion show the
/// content instead of a type name.
/// </summary>
public sealed class PropertyDictionary : Dictionary<string, object?>
{
    public PropertyDictionary()
        : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    /// <summary>The object as compact JSON.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        Write(builder, this);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case bool flag:
                builder.Append(flag ? "true" : "false");
                break;
            case string text:
                WriteString(builder, text);
                break;
            case long or int or double or float or decimal:
                builder.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case IDictionary<string, object?> dictionary:
                builder.Append('{');
                var first = true;
                foreach (var pair in dictionary)
                {
                    builder.Append(first ? string.Empty : ",");
                    first = false;
                    WriteString(builder, pair.Key);
                    builder.Append(':');
                    Write(builder, pair.Value);
                }

                builder.Append('}');
                break;
            case IEnumerable items:
                builder.Append('[');
                var firstItem = true;
                foreach (var item in items)
                {
                    builder.Append(firstItem ? string.Empty : ",");
                    firstItem = false;
                    Write(builder, item);
                }

                builder.Append(']');
                break;
            default:
                WriteString(builder, Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }

    private static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
