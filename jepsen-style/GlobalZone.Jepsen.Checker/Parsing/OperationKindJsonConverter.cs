using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Writes <see cref="OperationKind"/> with Jepsen's short names (read, write, cas, append) and also reads the
/// key/value spellings get and put, so a harness may log either vocabulary.
/// </summary>
internal sealed class OperationKindJsonConverter : JsonConverter<OperationKind>
{
    public override OperationKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() switch
        {
            "read" or "get" => OperationKind.Read,
            "write" or "put" => OperationKind.Write,
            "cas" or "compareAndSet" => OperationKind.CompareAndSet,
            "append" => OperationKind.Append,
            var other => throw new JsonException($"Unknown operation kind \"{other}\"."),
        };

    public override void Write(Utf8JsonWriter writer, OperationKind value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value switch
        {
            OperationKind.Read => "read",
            OperationKind.Write => "write",
            OperationKind.CompareAndSet => "cas",
            _ => "append",
        });
}
