using System.Text;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <see cref="KeyValue"/> records as <c>--json</c> prints them: byte for byte what the server answers (its field
/// order, <c>"value":null</c> for a stored JSON null, no <c>lease</c> when there is none), so scripts see the same
/// lines now that gz reads through GlobalZone.Client instead of copying the response body.
/// </summary>
internal static class KeyValueJson
{
    /// <param name="kv">The record.</param>
    /// <param name="includeValue">False for records without a value (keys-only listings, delete events).</param>
    public static string Format(KeyValue kv, bool includeValue = true)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, kv, includeValue);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A watch revision as the <c>revision</c> event's data: <c>{"revision":N,"events":[{"type":...,"kv":{...}}]}</c>.</summary>
    public static string Format(WatchRevision revision)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("revision"u8, revision.Revision);
            writer.WriteStartArray("events"u8);
            foreach (var change in revision.Events)
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, change.Type);
                writer.WritePropertyName("kv"u8);
                Write(writer, change.Kv, includeValue: change.Type == "put");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, KeyValue kv, bool includeValue)
    {
        writer.WriteStartObject();
        writer.WriteString("key"u8, kv.Key);
        if (includeValue)
        {
            writer.WritePropertyName("value"u8);
            // A JSON null reads back as no value at all; it was stored as null.
            if (kv.Value is { } value)
                writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
            else
                writer.WriteNullValue();
            if (kv.Encoding is { } encoding)
                writer.WriteString("encoding"u8, encoding);
        }

        writer.WriteNumber("createRevision"u8, kv.CreateRevision);
        writer.WriteNumber("modRevision"u8, kv.ModRevision);
        writer.WriteNumber("version"u8, kv.Version);
        if (kv.Lease is { } lease and not 0)
            writer.WriteNumber("lease"u8, lease);
        writer.WriteEndObject();
    }
}
