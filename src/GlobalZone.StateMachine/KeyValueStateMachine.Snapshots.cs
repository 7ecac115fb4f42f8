using System.Buffers.Binary;
using System.Text;
using GlobalZone.Storage;

namespace GlobalZone.StateMachine;

// Checkpoints (local durability) and snapshot streams (catching up another member).
public sealed partial class KeyValueStateMachine
{
    private const int HeaderBytes = 4 + 24;

    /// <summary>Length of a snapshot stream's header (magic, index, term, revision), which the dump writes back at its end.</summary>
    public const int SnapshotHeaderBytes = HeaderBytes;

    /// <summary>Largest key or value block a snapshot stream may name (FASTER holds values as byte arrays).</summary>
    private const int MaxBlockBytes = 1 << 30;

    // GZS1: set records only, dumped with applies held off (backups of earlier versions). GZS2 adds deletes. GZS3 is
    // GZS2 with its label (index, term, revision) after the end marker instead of written back into the header, so
    // the stream is written strictly in order and can be read while it is written (snapshot files).
    private static ReadOnlySpan<byte> SnapshotMagic => "GZS1"u8;

    private static ReadOnlySpan<byte> SnapshotMagicV2 => "GZS2"u8;

    private static ReadOnlySpan<byte> SnapshotMagicV3 => "GZS3"u8;

    private const int MagicBytes = 4;

    private const int LabelBytes = 24;

    /// <summary>
    /// Makes the current state durable in FASTER and moves <see cref="SnapshotIndex"/> to the applied index.
    /// Call only from the applier, between commands: the checkpoint then holds exactly that index.
    /// </summary>
    public Task CheckpointAsync(CancellationToken token) => CheckpointAsync(null, token);

    /// <summary>Checkpoints again without moving <see cref="SnapshotIndex"/> (used to warm up at start).</summary>
    public Task RecheckpointAsync(CancellationToken token) => CheckpointAsync((SnapshotIndex, SnapshotTerm), token);

    private async Task CheckpointAsync((long Index, long Term)? label, CancellationToken token)
    {
        long index, term;
        gate.EnterWriteLock();
        try
        {
            (index, term) = label ?? (appliedIndex, appliedTerm);
            if (revision - history.FirstRevision + 1 > historyRetention)
                history.CompactBefore(revision - historyRetention + 1);
            var historyStart = history.LastRevision < history.FirstRevision ? revision + 1 : history.FirstRevision;
            store.Upsert(StateMeta.StorageKey, new StateMeta(appliedIndex, appliedTerm, index, term, revision, historyStart).Encode());
        }
        finally
        {
            gate.ExitWriteLock();
        }

        await history.CommitAsync(token).ConfigureAwait(false);
        await store.CheckpointAsync(token).ConfigureAwait(false);
        Volatile.Write(ref snapshotTerm, term);
        Volatile.Write(ref snapshotIndex, index);
    }

    /// <summary>
    /// Writes the whole state as a snapshot stream (see <see cref="DumpState(Stream, CancellationToken)"/>) and returns the index it reflects.
    /// </summary>
    public long WriteSnapshot(Stream destination) => DumpState(destination, CancellationToken.None).Index;

    /// <summary>
    /// Writes the whole state as a snapshot stream: <c>GZS2 [index][term][revision]</c>, then records
    /// <c>[1][keyLength:4][key][valueLength:4][value]</c> (set) or <c>[2][keyLength:4][key]</c> (delete), ended by
    /// <c>[0]</c>; applied in order they give the state at that index. <paramref name="destination"/> must be seekable:
    /// the label is known only at the end and is written back into the header.
    /// </summary>
    /// <remarks>
    /// Applies keep running while it dumps, which for a large state takes seconds: holding them off that long would
    /// stall every write of the group (the leader's applier is on the write path). Instead the store records the
    /// writes made during the scan (a <see cref="WriteCapture"/> opened and closed with applies held off for an
    /// instant) and the dump ends with them: a key the scan saw at some moment of its own is then set to its value
    /// at the end, so the stream reflects exactly the index read when the capture closed. The capture holds in
    /// memory the last value of each key written during the scan.
    /// </remarks>
    public StateLabel DumpState(Stream destination, CancellationToken token) => DumpState(destination, SnapshotStreamLayout.LabelInHeader, token);

    /// <summary>
    /// Writes the whole state as a snapshot stream in the given layout: <see cref="SnapshotStreamLayout.LabelInHeader"/>
    /// is described above (<c>GZS2</c>; the destination must be seekable); <see cref="SnapshotStreamLayout.LabelAtEnd"/>
    /// writes <c>GZS3</c>, the same records and end marker, then the label (<c>[index][term][revision]</c>), strictly in
    /// order, so a reader can follow the stream while it is written.
    /// </summary>
    public StateLabel DumpState(Stream destination, SnapshotStreamLayout layout, CancellationToken token)
    {
        var labelInHeader = layout == SnapshotStreamLayout.LabelInHeader;
        if (labelInHeader && !destination.CanSeek)
            throw new ArgumentException("The snapshot destination must be seekable.", nameof(destination));
        var headerPosition = labelInHeader ? destination.Position : 0;
        Span<byte> header = stackalloc byte[HeaderBytes];
        (labelInHeader ? SnapshotMagicV2 : SnapshotMagicV3).CopyTo(header);
        destination.Write(labelInHeader ? header : header[..MagicBytes]);

        WriteCapture capture;
        gate.EnterReadLock();
        try
        {
            capture = store.BeginCapture();
        }
        finally
        {
            gate.ExitReadLock();
        }

        StateLabel label;
        var captureOpen = true;
        try
        {
            var scanned = 0;
            // The log in write order, superseded versions and deletes included (the receiver applies them in order,
            // the last one wins): one sequential pass instead of a read per key to find its newest record, which on a
            // store larger than its memory was a random disk read per key (most of a 1 GiB dump's time under load).
            foreach (var (key, value) in store.ScanInLogOrder(_ => int.MaxValue))
            {
                if (key == StateMeta.StorageKey)
                    continue;
                if (value is null)
                    WriteDelete(destination, key);
                else
                    WriteSet(destination, key, value);
                if (++scanned % 4096 == 0)
                    token.ThrowIfCancellationRequested();
            }

            gate.EnterReadLock();
            try
            {
                store.EndCapture(capture);
                captureOpen = false;
                label = new StateLabel(appliedIndex, appliedTerm, revision);
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
        finally
        {
            if (captureOpen)
            {
                gate.EnterReadLock();
                try
                {
                    store.EndCapture(capture);
                }
                finally
                {
                    gate.ExitReadLock();
                }
            }
        }

        foreach (var (key, value) in capture.LastWrites)
        {
            if (key == StateMeta.StorageKey)
                continue;
            if (value is null)
                WriteDelete(destination, key);
            else
                WriteSet(destination, key, value);
        }

        destination.WriteByte(0);
        BinaryPrimitives.WriteInt64LittleEndian(header[4..], label.Index);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], label.Term);
        BinaryPrimitives.WriteInt64LittleEndian(header[20..], label.Revision);
        if (!labelInHeader)
        {
            destination.Write(header[MagicBytes..]);
            return label;
        }

        var end = destination.Position;
        destination.Position = headerPosition;
        destination.Write(header);
        destination.Position = end;
        return label;
    }

    private static void WriteSet(Stream destination, string storageKey, byte[] value)
    {
        destination.WriteByte(1);
        WriteKey(destination, storageKey);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
        destination.Write(length);
        destination.Write(value);
    }

    private static void WriteDelete(Stream destination, string storageKey)
    {
        destination.WriteByte(2);
        WriteKey(destination, storageKey);
    }

    /// <summary>
    /// Reads one length-prefixed block of a snapshot stream. The length is checked before anything is allocated: never
    /// negative, never more than the stream still holds (or than <see cref="MaxBlockBytes"/> for a stream of unknown
    /// length), so a damaged or hostile stream fails with a clear error instead of exhausting memory.
    /// </summary>
    private static byte[] ReadBlock(Stream input, byte[] lengthBuffer, string what)
    {
        input.ReadExactly(lengthBuffer);
        var length = BinaryPrimitives.ReadInt32LittleEndian(lengthBuffer);
        var remaining = input.CanSeek ? input.Length - input.Position : MaxBlockBytes;
        if (length < 0 || length > remaining || length > MaxBlockBytes)
            throw new InvalidDataException($"The snapshot stream names a {what} of {length} bytes, but {Math.Min(remaining, MaxBlockBytes)} at most can follow.");
        var block = new byte[length];
        input.ReadExactly(block);
        return block;
    }

    private static void WriteKey(Stream destination, string storageKey)
    {
        var key = Encoding.UTF8.GetBytes(storageKey);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, key.Length);
        destination.Write(length);
        destination.Write(key);
    }

    /// <summary>How long the checkpoint that ended the last snapshot install took (the rest of the install is the records).</summary>
    public TimeSpan LastInstallCheckpointTime { get; private set; }

    /// <summary>The last checkpoint's time in FASTER (flush and index) and in hashing its files for the manifest.</summary>
    public (TimeSpan Faster, TimeSpan Manifest) LastCheckpointTimes => store.LastCheckpointTimes;

    /// <summary>
    /// Replaces the whole state with a snapshot stream written by <see cref="DumpState(Stream, CancellationToken)"/>
    /// (either layout, or a <c>GZS1</c> stream of earlier versions, found in older backups), then checkpoints. The
    /// sender dumps its live state, which may reflect entries after the index the Raft layer knows the snapshot by
    /// (<paramref name="labelIndex"/>); those entries are committed, so they will arrive again and be skipped. Returns
    /// the index the installed state reflects.
    /// </summary>
    /// <remarks>Verify the stream (its checksum) before calling: a stream that turns out bad halfway leaves the state cleared.</remarks>
    public Task<long> InstallSnapshotAsync(Stream source, long labelIndex, long labelTerm, CancellationToken token)
        => InstallSnapshotAsync(source, labelIndex, labelTerm, verifyBeforeCommit: null, token);

    /// <summary>
    /// Installs a snapshot stream that is verified only once it has been read (a file still arriving):
    /// <paramref name="verifyBeforeCommit"/> runs after the last record is loaded and before anything says the state
    /// moved; if it (or reading) throws, the records loaded so far are removed again. Only for a state that is empty
    /// at index 0 (a member that never applied anything): removing them leaves it exactly that again, so a failed
    /// attempt costs nothing but time. A member with a state must verify first and use the other overload.
    /// </summary>
    /// <exception cref="InvalidOperationException">The state is not empty at index 0.</exception>
    public Task<long> InstallUnverifiedSnapshotAsync(Stream source, long labelIndex, long labelTerm, Action verifyBeforeCommit, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(verifyBeforeCommit);
        if (!IsPristine)
            throw new InvalidOperationException($"A snapshot still arriving can only be installed into a state that never applied anything (this one is at index {AppliedIndex}).");
        return InstallSnapshotAsync(source, labelIndex, labelTerm, verifyBeforeCommit, token);
    }

    /// <summary>Nothing was ever applied or installed here: the state is empty at index 0.</summary>
    public bool IsPristine => Volatile.Read(ref appliedIndex) == 0 && revision == 0;

    private async Task<long> InstallSnapshotAsync(Stream source, long labelIndex, long labelTerm, Action? verifyBeforeCommit, CancellationToken token)
    {
        var header = new byte[HeaderBytes];
        await source.ReadExactlyAsync(header.AsMemory(0, MagicBytes), token).ConfigureAwait(false);
        var magic = header.AsSpan(0, MagicBytes);
        var labelAtEnd = magic.SequenceEqual(SnapshotMagicV3);
        var allowsDeletes = labelAtEnd || magic.SequenceEqual(SnapshotMagicV2);
        if (!allowsDeletes && !magic.SequenceEqual(SnapshotMagic))
            throw new InvalidDataException("Not a GlobalZone snapshot stream.");
        if (!labelAtEnd)
            await source.ReadExactlyAsync(header.AsMemory(MagicBytes), token).ConfigureAwait(false);
        var input = source is BufferedStream or MemoryStream ? source : new BufferedStream(source, 1 << 16);
        var rollBack = verifyBeforeCommit is not null;
        long index;
        gate.EnterWriteLock();
        try
        {
            long term, newRevision;
            try
            {
                store.Clear();
                ClearIndexes();
                var length = new byte[4];
                // Indexes are built as the records arrive, not by reading the store again afterwards (for a 1 GiB state
                // that second pass took 2.5 s of a 10.7 s install). A record may be set, set again and deleted along the
                // stream (the writes made while the sender dumped come last): the replay keeps what the last one says.
                var replay = new IndexReplay(this);
                for (var kind = input.ReadByte(); kind != 0; kind = input.ReadByte())
                {
                    if (kind is not (1 or 2) || (kind == 2 && !allowsDeletes))
                        throw new InvalidDataException(kind < 0 ? "The snapshot stream is truncated." : $"Unknown record kind {kind} in the snapshot stream.");
                    var storageKey = Encoding.UTF8.GetString(ReadBlock(input, length, "key"));
                    var value = kind == 2 ? null : ReadBlock(input, length, "value");
                    if (value is null)
                        store.Delete(storageKey);
                    else
                        store.Upsert(storageKey, value);
                    replay.Record(storageKey, value);
                }

                if (labelAtEnd)
                    input.ReadExactly(header.AsSpan(MagicBytes));
                index = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(4));
                term = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
                newRevision = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(20));
                if (index < labelIndex)
                    throw new InvalidDataException($"Snapshot holds index {index}, older than the index {labelIndex} it was sent as.");
                verifyBeforeCommit?.Invoke();
                replay.Complete();
            }
            catch when (rollBack)
            {
                // Back to the empty state at index 0 this install started from (InstallUnverifiedSnapshotAsync): the
                // applied index, revision and history were not touched yet.
                store.Clear();
                ClearIndexes();
                throw;
            }

            store.NoteBulkLoaded();
            revision = newRevision;
            Volatile.Write(ref appliedIndex, index);
            appliedTerm = term;
            history.Reset(newRevision + 1);
        }
        finally
        {
            gate.ExitWriteLock();
        }

        StateReplaced?.Invoke();
        var checkpointStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        await CheckpointAsync((labelIndex, labelTerm), token).ConfigureAwait(false);
        LastInstallCheckpointTime = System.Diagnostics.Stopwatch.GetElapsedTime(checkpointStarted);
        return index;
    }
}

/// <summary>Where a snapshot stream carries its label (the index, term and revision the state reflects).</summary>
public enum SnapshotStreamLayout
{
    /// <summary><c>GZS2</c>: in the header, written back once the dump ends (needs a seekable destination; backups).</summary>
    LabelInHeader,

    /// <summary><c>GZS3</c>: after the end marker, so the stream is written strictly in order (snapshot files).</summary>
    LabelAtEnd,
}
