namespace GlobalZone.Jepsen.Client;

/// <summary>The answer to a raw single-key read (<c>?raw</c>): the stored bytes as they are.</summary>
/// <param name="Call">How the call ended.</param>
/// <param name="Value">The stored bytes; null when absent or not read.</param>
/// <param name="MediaType"><c>application/octet-stream</c> for a raw value, <c>application/json</c> for a JSON value.</param>
internal readonly record struct RawRead(CallResult Call, byte[]? Value, string? MediaType)
{
    /// <summary>The read succeeded: the key was found or is known to be absent.</summary>
    public bool Succeeded => Call.Outcome is CallOutcome.Ok or CallOutcome.NotFound;

    /// <summary>The value was stored as JSON (its bytes are JSON text, e.g. a quoted string).</summary>
    public bool IsJson => MediaType == "application/json";
}
