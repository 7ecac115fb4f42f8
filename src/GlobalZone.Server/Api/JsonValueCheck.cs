using System.Text.Json;

namespace GlobalZone.Server.Api;

/// <summary>Checks that a body is exactly one well-formed JSON value (any kind), without building a DOM.</summary>
internal static class JsonValueCheck
{
    public static string? Problem(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return "The body is empty; send a JSON value (or use ?raw for bytes).";
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (!reader.Read())
                return "The body holds no JSON value.";
            reader.Skip();
            if (reader.Read())
                return "The body holds more than one JSON value.";
            return null;
        }
        catch (JsonException e)
        {
            return "The body is not valid JSON: " + e.Message;
        }
    }
}
