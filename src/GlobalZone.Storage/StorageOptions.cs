namespace GlobalZone.Storage;

/// <summary>
/// Sizes for the FASTER structures. FASTER's own defaults reserve gigabytes (16 GB log memory, 64 MB index);
/// these suit a small server and can be raised by configuration.
/// </summary>
public sealed record StorageOptions
{
    /// <summary>Folder that holds the key/value log, its checkpoints and the revision history.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// In-memory part of the key/value hybrid log, in bytes of records (keys and values themselves: the rest of the
    /// state is read back from the log file on disk). FASTER rounds it down to a power of two, and it is never less
    /// than 8 log pages.
    /// </summary>
    public long KeyValueMemoryBytes { get; init; } = 256L << 20;

    /// <summary>Hash index size in bytes (number of buckets × 64).</summary>
    public long KeyValueIndexBytes { get; init; } = 8L << 20;

    /// <summary>
    /// Page size of the key/value hybrid log (a power of two); 0, the default, derives it from
    /// <see cref="MaxValueBytes"/> so that the largest key and value the limits allow fit one page (2 MiB at the
    /// default limit; at most 16 MiB, larger values are then stored in parts).
    /// </summary>
    public long KeyValuePageBytes { get; init; }

    /// <summary>Largest value the server accepts (its <c>MaxValueBytes</c>): sizes the key/value log's pages.</summary>
    public int MaxValueBytes { get; init; } = Contracts.Limits.DefaultMaxValueBytes;

    /// <summary>
    /// The key/value hybrid log is compacted (live records copied to its tail, the files before them removed at the
    /// next checkpoint) once it spans more than this many bytes and more than twice the live bytes the last compaction
    /// found: disk use stays near twice the live state, and the copying costs a bounded share of the writes.
    /// </summary>
    public long KeyValueCompactionMinimumBytes { get; init; } = 256L << 20;

    /// <summary>In-memory part of the revision history log, in bytes.</summary>
    public long HistoryMemoryBytes { get; init; } = 32L << 20;

    /// <summary>Page size of the revision history log.</summary>
    public long HistoryPageBytes { get; init; } = 1L << 20;

    /// <summary>
    /// The folder is known to hold state already (its data folder's format file was there before this start): storage
    /// found missing is then damage to refuse, not a first start to initialise.
    /// </summary>
    public bool ExpectExistingState { get; init; }

    /// <summary>Where the open records how long each of its steps took (logged at start); null records nothing.</summary>
    public StartupPhases? Startup { get; init; }

    /// <summary>
    /// Test-only fault injection: any write of a storage key containing this text fails as an I/O error would.
    /// Null (the default) injects nothing.
    /// </summary>
    public string? TestingFailWritesContaining { get; init; }

    /// <summary>
    /// Test-only: asked at each checkpoint; when it answers true the checkpoint stops after FASTER wrote it and before
    /// its manifest is written, as a crash there would (<c>FasterKeyValueStore.CheckpointAsync</c> then throws). Null by default.
    /// </summary>
    public Func<bool>? TestingStopBeforeManifest { get; init; }

    /// <summary>
    /// Test-only, reintroduces a bug: log files FASTER no longer needs are deleted at once, before the manifest stops
    /// naming them (see <see cref="Compaction.HeldRemovalDevice"/>). False by default.
    /// </summary>
    public bool TestingRemoveLogFilesAtOnce { get; init; }
}
