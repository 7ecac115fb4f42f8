using System.Text.Json;

namespace GlobalZone.Contracts;

/// <summary>A key as the API returns it (GET, listings, transactions, watch events).</summary>
public sealed record KeyValue
{
    public required string Key { get; init; }

    /// <summary>The JSON value; for raw values a base64 string (then <see cref="Encoding"/> is "base64"). Absent with keysOnly.</summary>
    public JsonElement? Value { get; init; }

    /// <summary>"base64" for raw (octet-stream) values, absent for JSON values.</summary>
    public string? Encoding { get; init; }

    /// <summary>Revision that created the key (0 in a delete event's record when unknown).</summary>
    public long CreateRevision { get; init; }

    /// <summary>Revision of the key's last change; the key's ETag.</summary>
    public long ModRevision { get; init; }

    /// <summary>Number of puts since the key was created (0 after a delete).</summary>
    public long Version { get; init; }

    /// <summary>The lease the key is attached to, if any.</summary>
    public long? Lease { get; init; }
}
