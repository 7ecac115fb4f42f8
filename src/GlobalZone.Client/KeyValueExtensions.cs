using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>Reading the value of a <see cref="KeyValue"/> as a .NET type, text or bytes.</summary>
public static class KeyValueExtensions
{
    /// <summary>Whether the value was stored as raw bytes (octet-stream) rather than JSON.</summary>
    public static bool IsRaw(this KeyValue kv) => string.Equals(kv.Encoding, "base64", StringComparison.Ordinal);

    /// <summary>The JSON value deserialized as <typeparamref name="T"/> (default when the value is absent, as in keys-only listings).</summary>
    /// <exception cref="InvalidOperationException">The value is raw bytes, not JSON.</exception>
    public static T? GetValue<T>(this KeyValue kv, JsonSerializerOptions? options = null)
    {
        if (kv.Value is not { } value)
            return default;
        if (kv.IsRaw())
            throw new InvalidOperationException($"Key '{kv.Key}' holds raw bytes; read them with GetBytes().");
        return value.Deserialize<T>(options ?? WebJson.Options);
    }

    /// <summary>The JSON value deserialized with source-generated metadata.</summary>
    /// <exception cref="InvalidOperationException">The value is raw bytes, not JSON.</exception>
    public static T? GetValue<T>(this KeyValue kv, JsonTypeInfo<T> typeInfo)
    {
        if (kv.Value is not { } value)
            return default;
        if (kv.IsRaw())
            throw new InvalidOperationException($"Key '{kv.Key}' holds raw bytes; read them with GetBytes().");
        return value.Deserialize(typeInfo);
    }

    /// <summary>The value's bytes: the raw bytes, or the UTF-8 JSON text of a JSON value (empty when absent).</summary>
    public static byte[] GetBytes(this KeyValue kv)
    {
        if (kv.Value is not { } value)
            return [];
        return kv.IsRaw() ? value.GetBytesFromBase64() : Encoding.UTF8.GetBytes(value.GetRawText());
    }

    /// <summary>
    /// The value as configuration text: a JSON string's content, other JSON as its text (numbers, true/false, objects),
    /// raw bytes decoded as UTF-8; null when absent or JSON null.
    /// </summary>
    public static string? GetString(this KeyValue kv)
    {
        if (kv.Value is not { } value)
            return null;
        if (kv.IsRaw())
            return Encoding.UTF8.GetString(value.GetBytesFromBase64());
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        };
    }
}
