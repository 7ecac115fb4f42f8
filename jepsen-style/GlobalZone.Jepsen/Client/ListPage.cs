namespace GlobalZone.Jepsen.Client;

/// <summary>One page of a prefix listing.</summary>
/// <param name="Call">How the call ended.</param>
/// <param name="Entries">Keys and their raw JSON values, in key order.</param>
/// <param name="Next">The cursor for the following page when there is more, else null.</param>
internal readonly record struct ListPage(CallResult Call, IReadOnlyList<KeyValuePair<string, string>> Entries, string? Next);
