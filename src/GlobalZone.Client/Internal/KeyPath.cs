using System.Globalization;
using System.Text;

namespace GlobalZone.Client.Internal;

/// <summary>Request paths and query strings: keys keep their <c>/</c> separators; every segment is percent-encoded.</summary>
internal static class KeyPath
{
    /// <exception cref="ArgumentException">A segment is <c>.</c> or <c>..</c>: URL normalization would address another key.</exception>
    public static string Encode(string key)
    {
        var segments = key.Split('/');
        if (segments.Any(s => s is "." or ".."))
            throw new ArgumentException($"Key '{key}' has a '.' or '..' segment, which URL paths normalize away (it would address another key); use TxnAsync for such keys.", nameof(key));
        return string.Join('/', segments.Select(Uri.EscapeDataString));
    }

    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is null)
                continue;
            builder.Append(builder.Length == 0 ? '?' : '&').Append(name);
            if (value.Length > 0)
                builder.Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    /// <summary>A duration as the API reads it: milliseconds (<c>1500ms</c>).</summary>
    public static string Duration(TimeSpan duration)
        => Math.Max(1, (long)Math.Ceiling(duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
