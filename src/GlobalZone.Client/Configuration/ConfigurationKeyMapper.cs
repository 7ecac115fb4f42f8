using System.Globalization;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Client.Configuration;

/// <summary>
/// Stored keys and values as configuration entries: the prefix is cut, <c>/</c> becomes <c>:</c>, and a JSON object
/// or array value spreads into sub-keys the way <c>appsettings.json</c> does (<c>Servers:0:Host</c>).
/// </summary>
internal static class ConfigurationKeyMapper
{
    /// <summary>The configuration path of a stored key, or null when nothing is left after the prefix.</summary>
    public static string? ToConfigurationPath(string prefix, string key)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var rest = key[prefix.Length..].Trim('/');
        return rest.Length == 0 ? null : rest.Replace('/', ':');
    }

    /// <summary>Every configuration entry of the stored keys, case-insensitive like all configuration.</summary>
    public static Dictionary<string, string?> Flatten(string prefix, IEnumerable<KeyValue> entries)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        // Key order: a parent key's own scalar is overwritten by a deeper key's object, never the reverse by chance.
        foreach (var kv in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (ToConfigurationPath(prefix, kv.Key) is not { } path)
                continue;
            if (kv.IsRaw() || kv.Value is not { } value)
                data[path] = kv.GetString();
            else
                Add(data, path, value);
        }

        return data;
    }

    private static void Add(Dictionary<string, string?> data, string path, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                    Add(data, path + ConfigurationPathSeparator + property.Name, property.Value);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                    Add(data, path + ConfigurationPathSeparator + (index++).ToString(CultureInfo.InvariantCulture), item);
                break;
            case JsonValueKind.String:
                data[path] = value.GetString();
                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                data[path] = null;
                break;
            default:
                data[path] = value.GetRawText();
                break;
        }
    }

    private const string ConfigurationPathSeparator = ":";
}
