namespace GlobalZone.Client;

/// <summary>Per-call settings of a prefix listing: a page size, where to continue, keys only, and the read's consistency.</summary>
public sealed record ListOptions
{
    /// <summary>Most keys in one page (1 to 10,000; the server's default is 1,000).</summary>
    public int? Limit { get; init; }

    /// <summary>Continue after this key (a page's <see cref="KeyValuePage.Next"/>).</summary>
    public string? After { get; init; }

    /// <summary>Leave the values out.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Consistency of each page's read; null: the client's default.</summary>
    public ReadOptions? Read { get; init; }
}
