namespace GlobalZone.Storage;

/// <summary>
/// The last write to each key made through <see cref="FasterKeyValueStore"/> while the capture was open: a value,
/// or null for a delete. A scan that runs without holding writers off sees each key at some moment of its own;
/// replaying a capture that covered the whole scan on top of it gives exactly the state at the capture's end.
/// </summary>
/// <remarks>Only the store's single writer records into it; the owner reads it after <see cref="FasterKeyValueStore.EndCapture"/>.</remarks>
public sealed class WriteCapture
{
    private readonly Dictionary<string, byte[]?> lastWrites = new(StringComparer.Ordinal);

    /// <summary>Keys written meanwhile, each with its newest value (null: deleted).</summary>
    public IReadOnlyDictionary<string, byte[]?> LastWrites => lastWrites;

    /// <summary>Bytes of the values held (what the capture costs in memory).</summary>
    public long ValueBytes { get; private set; }

    internal void Record(string key, byte[]? value)
    {
        if (lastWrites.TryGetValue(key, out var previous) && previous is not null)
            ValueBytes -= previous.Length;
        lastWrites[key] = value;
        if (value is not null)
            ValueBytes += value.Length;
    }
}
