namespace GlobalZone.Jepsen.Client;

/// <summary>One page of a prefix listing.</summary>
/// <param name="Call">How the call ended.</param>
/// <param name="Entries">Keys with their raw JSON values and modRevisions, in key order.</param>
/// <param name="Next">The cursor for the following page when there is more, else null.</param>
internal readonly record struct ListPage(CallResult Call, IReadOnlyList<ListedKey> Entries, string? Next);

/// <summary>One key of a listing.</summary>
internal readonly record struct ListedKey(string Key, string Value, long ModRevision);
