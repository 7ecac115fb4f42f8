using System.Text.Json;
using GlobalZone.StateMachine;

namespace GlobalZone.Server.Api;

/// <summary>
/// Writes stored records as JSON without re-parsing values: a JSON value is stored as its UTF-8 text and
/// written back raw; opaque bytes are written as base64 with <c>"encoding":"base64"</c>.
/// </summary>
internal static class KeyRecordJson
{
    public static void Write(Utf8JsonWriter writer, KeyRecord record, bool includeValue = true)
    {
        writer.WriteStartObject();
        writer.WriteString("key"u8, record.Key);
        if (includeValue)
        {
            if (record.Format == ValueFormat.Raw)
            {
                writer.WriteBase64String("value"u8, record.Value);
                writer.WriteString("encoding"u8, "base64"u8);
            }
            else
            {
                writer.WritePropertyName("value"u8);
                writer.WriteRawValue(record.Value, skipInputValidation: true);
            }
        }

        writer.WriteNumber("createRevision"u8, record.CreateRevision);
        writer.WriteNumber("modRevision"u8, record.ModRevision);
        writer.WriteNumber("version"u8, record.Version);
        if (record.Lease != 0)
            writer.WriteNumber("lease"u8, record.Lease);
        writer.WriteEndObject();
    }
}
