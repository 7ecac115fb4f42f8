namespace GlobalZone.Jepsen.Client;

/// <summary>The answer to a single-key read.</summary>
/// <param name="Call">How the call ended.</param>
/// <param name="Value">The value as raw JSON text (e.g. <c>3</c>), null when absent or not read.</param>
/// <param name="ModRevision">The key's modRevision, 0 when absent or not read.</param>
internal readonly record struct KeyRead(CallResult Call, string? Value, long ModRevision)
{
    /// <summary>The read succeeded: the key was found or is known to be absent.</summary>
    public bool Succeeded => Call.Outcome is CallOutcome.Ok or CallOutcome.NotFound;
}
