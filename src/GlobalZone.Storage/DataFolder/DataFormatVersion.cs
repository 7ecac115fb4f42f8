namespace GlobalZone.Storage.DataFolder;

/// <summary>
/// The on-disk format of a whole member data folder (the key/value checkpoints and their manifest, the revision
/// history, the Raft log, the membership file). Bump <see cref="Current"/> whenever any of them changes layout: a
/// folder of another version is then refused at start with how to move its data (backup and restore).
/// </summary>
public static class DataFormatVersion
{
    /// <summary>
    /// 1: the first versioned format (checksummed key/value checkpoints, history-v3 with per-entry checksums, the
    /// Raft log in FasterLog under raft-log).
    /// 2: the key/value store's records are SpanByte keys and values in the hybrid log itself (no object log, values
    /// larger than a log page stored in parts), so that its memory is bounded by bytes.
    /// 3: the key/value hybrid log in 256 MiB files (was 1 GiB), compacted, its manifest listing the files from the
    /// checkpoint's log start.
    /// </summary>
    public const int Current = 3;
}
