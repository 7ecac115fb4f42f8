namespace GlobalZone.Storage;

/// <summary>
/// Sizes for the FASTER structures. FASTER's own defaults reserve gigabytes (16 GB log memory, 64 MB index);
/// these suit a small server and can be raised by configuration.
/// </summary>
public sealed record StorageOptions
{
    /// <summary>Folder that holds the key/value log, its object log, checkpoints and the revision history.</summary>
    public required string Directory { get; init; }

    /// <summary>In-memory part of the key/value hybrid log, in bytes (records are references here, ~24 bytes each).</summary>
    public long KeyValueMemoryBytes { get; init; } = 64L << 20;

    /// <summary>Hash index size in bytes (number of buckets × 64).</summary>
    public long KeyValueIndexBytes { get; init; } = 8L << 20;

    /// <summary>Page size of the key/value hybrid log.</summary>
    public long KeyValuePageBytes { get; init; } = 1L << 20;

    /// <summary>In-memory part of the revision history log, in bytes.</summary>
    public long HistoryMemoryBytes { get; init; } = 32L << 20;

    /// <summary>Page size of the revision history log.</summary>
    public long HistoryPageBytes { get; init; } = 1L << 20;

    /// <summary>
    /// The folder is known to hold state already (its data folder's format file was there before this start): storage
    /// found missing is then damage to refuse, not a first start to initialise.
    /// </summary>
    public bool ExpectExistingState { get; init; }

    /// <summary>
    /// Test-only fault injection: any write of a storage key containing this text fails as an I/O error would.
    /// Null (the default) injects nothing.
    /// </summary>
    public string? TestingFailWritesContaining { get; init; }
}
