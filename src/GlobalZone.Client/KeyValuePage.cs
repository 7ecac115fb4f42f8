using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>One page of a prefix listing, read at one revision.</summary>
public sealed record KeyValuePage
{
    /// <summary>The cluster revision the page was read at.</summary>
    public required long Revision { get; init; }

    /// <summary>The keys, in key order.</summary>
    public required IReadOnlyList<KeyValue> Items { get; init; }

    /// <summary>Whether more keys follow; then pass <see cref="Next"/> as <see cref="ListOptions.After"/>.</summary>
    public bool More { get; init; }

    /// <summary>The cursor for the next page (the last key of this one) when <see cref="More"/>.</summary>
    public string? Next { get; init; }
}
