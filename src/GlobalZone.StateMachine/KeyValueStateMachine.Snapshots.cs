using System.Buffers.Binary;
using System.Text;

namespace GlobalZone.StateMachine;

// Checkpoints (local durability) and snapshot streams (catching up another member).
public sealed partial class KeyValueStateMachine
{
    private static ReadOnlySpan<byte> SnapshotMagic => "GZS1"u8;

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
    /// Writes the whole state as a snapshot stream: <c>GZS1 [index][term][revision]</c> then records
    /// <c>[1][keyLength:4][key][valueLength:4][value]</c>, ended by <c>[0]</c>. Holds off applies while it
    /// dumps, so the stream is one revision. Returns the index the stream reflects.
    /// </summary>
    public long WriteSnapshot(Stream destination)
    {
        gate.EnterReadLock();
        try
        {
            Span<byte> header = stackalloc byte[4 + 24];
            SnapshotMagic.CopyTo(header);
            BinaryPrimitives.WriteInt64LittleEndian(header[4..], appliedIndex);
            BinaryPrimitives.WriteInt64LittleEndian(header[12..], appliedTerm);
            BinaryPrimitives.WriteInt64LittleEndian(header[20..], revision);
            destination.Write(header);
            Span<byte> length = stackalloc byte[4];
            foreach (var record in store.ScanAll())
            {
                if (record.Key == StateMeta.StorageKey)
                    continue;
                destination.WriteByte(1);
                var key = Encoding.UTF8.GetBytes(record.Key);
                BinaryPrimitives.WriteInt32LittleEndian(length, key.Length);
                destination.Write(length);
                destination.Write(key);
                BinaryPrimitives.WriteInt32LittleEndian(length, record.Value.Length);
                destination.Write(length);
                destination.Write(record.Value);
            }

            destination.WriteByte(0);
            return appliedIndex;
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Replaces the whole state with a snapshot stream written by <see cref="WriteSnapshot"/>, then checkpoints.
    /// The sender dumps its live state, which may reflect entries after the index the Raft layer sent the snapshot
    /// as (<paramref name="labelIndex"/>); those entries are committed, so they will arrive again and be skipped.
    /// Returns the index the installed state reflects.
    /// </summary>
    public async Task<long> InstallSnapshotAsync(Stream source, long labelIndex, long labelTerm, CancellationToken token)
    {
        var header = new byte[28];
        await source.ReadExactlyAsync(header, token).ConfigureAwait(false);
        if (!header.AsSpan(0, 4).SequenceEqual(SnapshotMagic))
            throw new InvalidDataException("Not a GlobalZone snapshot stream.");
        var index = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(4));
        var term = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
        var newRevision = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(20));
        if (index < labelIndex)
            throw new InvalidDataException($"Snapshot holds index {index}, older than the index {labelIndex} it was sent as.");
        gate.EnterWriteLock();
        try
        {
            store.Clear();
            ClearIndexes();
            var length = new byte[4];
            while (source.ReadByte() == 1)
            {
                source.ReadExactly(length);
                var key = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
                source.ReadExactly(key);
                source.ReadExactly(length);
                var value = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
                source.ReadExactly(value);
                var storageKey = Encoding.UTF8.GetString(key);
                store.Upsert(storageKey, value);
                IndexStoredRecord(storageKey, value);
            }

            CompleteLockIndex();

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
        await CheckpointAsync((labelIndex, labelTerm), token).ConfigureAwait(false);
        return index;
    }
}
