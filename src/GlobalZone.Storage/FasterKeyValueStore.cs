using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Numerics;
using System.Text;
using FASTER.core;
using GlobalZone.Storage.Compaction;
using GlobalZone.Storage.Integrity;
using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, GlobalZone.Storage.StoredValue, FASTER.core.Empty, GlobalZone.Storage.StoredRecordFunctions>;

namespace GlobalZone.Storage;

/// <summary>
/// A durable string → bytes map on FASTER's hybrid log (FasterKV of SpanByte keys and values, see
/// <see cref="RecordLayout"/>), with fold-over checkpoints for recovery. It knows nothing of what the bytes mean.
/// </summary>
/// <remarks>
/// Records live in the log itself, not on the managed heap: the log's in-memory region holds at most
/// <see cref="StorageOptions.KeyValueMemoryBytes"/> bytes of records and the rest is read back from the log file on
/// disk, so memory is bounded by bytes whatever the state's size.
/// Writes come from one caller at a time (the state machine's applier) through one session; reads may come
/// from many threads, each borrowing a session from a pool, because a FASTER session must not be used
/// concurrently. Nothing here fsyncs per write: durability of committed commands comes from the Raft log,
/// and a checkpoint marks how far the Raft log may be cut.
/// <para>Every checkpoint is recorded in a manifest with the SHA-256 of each file it relies on
/// (<see cref="KeyValueCheckpoints"/>). At open the manifest's checkpoint is verified and then recovered exactly, with
/// an API that throws; any damage refuses the open (<see cref="StorageIntegrityException"/>) rather than open an empty
/// store over a damaged one, which FASTER's <c>TryRecoverLatest</c> would do.</para>
/// <para>A record too large for one log page is stored in parts (<see cref="RecordLayout"/>): the parts of a new
/// generation first, then the head naming them, then the previous generation's parts are deleted, so a reader that
/// finds a head's parts gone knows the record changed meanwhile and reads it again. The number of such heads is kept in
/// a record of the store's own: while it is zero (the usual case) a write need not look at what it replaces.</para>
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit] // the stack buffers for keys are written before they are read
public sealed class FasterKeyValueStore : IDisposable
{
    /// <summary>
    /// Size of one hybrid log file (part of the data format: the manifest maps addresses to files by it). Disk is given
    /// back a whole file at a time after compaction, so smaller than FASTER's 1 GiB default.
    /// </summary>
    internal const long SegmentBytes = 1L << 28;

    /// <summary>Fewest pages the in-memory region holds (FASTER needs at least one; flushing while the tail moves on needs more).</summary>
    private const int MinimumMemoryPages = 8;

    /// <summary>Keys whose UTF-8 form may take up to this many bytes are encoded on the stack.</summary>
    private const int StackKeyBytes = 512;

    private static readonly byte[] ChunkedHeadsKey = [RecordLayout.StoreTag, .. "chunked-heads"u8];

    private readonly FasterKVSettings<SpanByte, SpanByte> settings;
    private readonly FasterKV<SpanByte, SpanByte> store;
    private readonly Session writer;
    private readonly ConcurrentBag<Session> readers = new();
    private readonly HeldRemovalDevice logDevice;
    private readonly KeyValueLogCompaction compaction;
    private readonly KeyValueCheckpoints checkpoints;
    private readonly long pageBytes;
    private readonly int maxKeyBytes;
    private readonly string? failWritesContaining;
    private readonly Func<bool>? stopBeforeManifest;
    private readonly Lock captureLock = new();
    private volatile WriteCapture[] captures = [];

    /// <summary>The writer's buffer for a value with its form byte (single writer: never shared).</summary>
    private byte[] valueScratch = new byte[4096];

    /// <summary>Records stored in parts (the writer's copy of the count kept under <see cref="ChunkedHeadsKey"/>).</summary>
    private long chunkedHeads;

    private int disposed;

    /// <summary>The last checkpoint's time in FASTER (flush and index) and in hashing its files for the manifest.</summary>
    public (TimeSpan Faster, TimeSpan Manifest) LastCheckpointTimes { get; private set; }

    /// <summary>The store was recovered from a checkpoint (false: it was new).</summary>
    public bool OpenedFromCheckpoint { get; }

    /// <exception cref="StorageIntegrityException">The checkpoint to recover, or its manifest, is missing or damaged.</exception>
    public FasterKeyValueStore(StorageOptions options)
    {
        pageBytes = options.KeyValuePageBytes > 0 ? options.KeyValuePageBytes : RecordLayout.PageBytesFor(options.MaxValueBytes);
        if (!BitOperations.IsPow2(pageBytes) || pageBytes < 4096)
            throw new ArgumentOutOfRangeException(nameof(options), $"KeyValuePageBytes must be a power of two of at least 4 KiB (was {pageBytes}).");
        maxKeyBytes = RecordLayout.MaxKeyBytes(pageBytes);
        var root = Path.Combine(options.Directory, "kv");
        if (options.ExpectExistingState && !System.IO.Directory.Exists(root))
            throw new StorageIntegrityException(root, "The key/value store's folder is missing", OperatorRemedy.ReplaceMember);
        System.IO.Directory.CreateDirectory(root);
        checkpoints = new KeyValueCheckpoints(root, SegmentBytes);
        try
        {
            var phases = options.Startup ?? new StartupPhases();
            var token = phases.Measure("checkpoint verified", () => checkpoints.Verify(options.ExpectExistingState), _ => FormatBytes(checkpoints.VerifiedBytes));
            logDevice = new HeldRemovalDevice(Devices.CreateLogDevice(checkpoints.LogPath, recoverDevice: true), options.TestingRemoveLogFilesAtOnce);
            settings = new FasterKVSettings<SpanByte, SpanByte>
            {
                IndexSize = options.KeyValueIndexBytes,
                // FASTER rounds the memory size down to a power of two; never fewer than a few pages.
                MemorySize = Math.Max(options.KeyValueMemoryBytes, MinimumMemoryPages * pageBytes),
                PageSize = pageBytes,
                SegmentSize = SegmentBytes,
                LogDevice = logDevice,
                CheckpointManager = checkpoints.Manager,
                TryRecoverLatest = false,
            };
            store = new FasterKV<SpanByte, SpanByte>(settings);
            if (token is { } recovered)
            {
                try
                {
                    phases.Measure("FASTER recovery", () => store.Recover(recovered));
                }
                catch (Exception e)
                {
                    throw new StorageIntegrityException(
                        checkpoints.MetadataFolder(recovered), $"FASTER could not recover key/value checkpoint {recovered} ({e.GetType().Name}: {e.Message})", OperatorRemedy.ReplaceMember, e);
                }
            }

            if (token is { } verified)
            {
                checkpoints.ForgetDigestsRecoveryMayRewrite(verified);
                OpenedFromCheckpoint = true;
            }

            // A checkpoint newer than the manifest (a crash before its manifest was written) is not trusted.
            checkpoints.RemoveAllBut(token);
            // Log files below the recovered start that a crash left before their removal was released.
            logDevice.RemoveHeldBelow(SegmentOf(store.Log.BeginAddress));
            writer = NewSession();
            chunkedHeads = ReadWith(writer, ChunkedHeadsKey, headOnly: false, out var count) && count.Bytes is { Length: 8 } bytes
                ? BinaryPrimitives.ReadInt64LittleEndian(bytes)
                : 0;
        }
        catch
        {
            writer?.Dispose();
            store?.Dispose();
            settings?.Dispose();
            logDevice?.Dispose();
            checkpoints.Dispose();
            throw;
        }

        failWritesContaining = options.TestingFailWritesContaining;
        stopBeforeManifest = options.TestingStopBeforeManifest;
        compaction = new KeyValueLogCompaction(store, SegmentBytes, options.KeyValueCompactionMinimumBytes);
        // How much of the log was live is not kept across a restart; counting it all as live lets the next run come
        // when the log has doubled. Counting none (the minimum) made the first checkpoint after every restart of a
        // 1.2 GB store copy the whole state forward: 13 s of that checkpoint, with applies held.
        if (OpenedFromCheckpoint)
            compaction.TreatAllAsLive();
    }

    /// <summary>
    /// The file a store writes first when it is created in <paramref name="storageDirectory"/> (its first checkpoint
    /// manifest): a data folder that has it holds this format's state.
    /// </summary>
    public static string CreationMarker(string storageDirectory) => CheckpointManifest.PathIn(Path.Combine(storageDirectory, "kv"));

    /// <summary>Number of distinct live FASTER records, the store's own bookkeeping included (approximate while writes run).</summary>
    public long EntryCount => store.EntryCount;

    /// <summary>What compaction of the log has done since the store opened.</summary>
    public KeyValueCompactionStats CompactionStats => compaction.Stats;

    /// <summary>The log's start (logical address): compaction moves it on.</summary>
    public long LogBeginAddress => store.Log.BeginAddress;

    /// <summary>Size of one log file: disk is given back a whole file at a time.</summary>
    public static long LogFileBytes => SegmentBytes;

    /// <summary>Bytes from the log's start to its tail (live records, and garbage compaction has not reclaimed yet).</summary>
    public long LogSpanBytes => store.Log.TailAddress - store.Log.BeginAddress;

    /// <summary>Size of a log page: a record no larger than a page less a little is stored whole.</summary>
    public long PageBytes => pageBytes;

    /// <summary>True when a value of <paramref name="valueBytes"/> under <paramref name="key"/> is stored as one record (not in parts).</summary>
    public bool StoresWhole(string key, int valueBytes) => RecordLayout.Fits(pageBytes, 1 + Encoding.UTF8.GetByteCount(key), 1L + valueBytes);

    /// <summary>Reads one record, or null when absent. Safe from any thread.</summary>
    public byte[]? Read(string key)
    {
        var session = RentReader();
        try
        {
            return ReadValue(session, key);
        }
        finally
        {
            readers.Add(session);
        }
    }

    /// <summary>Reads one record through the writer's session; only for the single writer.</summary>
    public byte[]? ReadForWrite(string key)
    {
        try
        {
            return ReadValue(writer, key);
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Reading '{key}' from the key/value store failed: {e.Message}", e);
        }
    }

    /// <summary>Inserts or replaces a record. Single writer only.</summary>
    /// <exception cref="ArgumentException">The key is longer than this store's records take (a bug of the caller, not a storage fault).</exception>
    public void Upsert(string key, byte[] value)
    {
        var keyBytes = Encoding.UTF8.GetByteCount(key);
        if (keyBytes > maxKeyBytes)
        {
            throw new ArgumentException(
                $"The storage key '{Shorten(key)}' is {keyBytes} bytes (its value {value.Length} bytes); the key/value store takes keys of up to {maxKeyBytes} bytes with its {pageBytes}-byte log pages.",
                nameof(key));
        }

        InjectFault(key);
        try
        {
            var previous = chunkedHeads > 0 ? PeekHead(key) : null;
            var whole = RecordLayout.Fits(pageBytes, 1 + keyBytes, 1L + value.Length);
            if (whole)
            {
                var buffer = Scratch(1 + value.Length);
                buffer[0] = RecordLayout.Inline;
                value.CopyTo(buffer.AsSpan(1));
                WriteRecord(key, buffer.AsSpan(0, 1 + value.Length));
            }
            else
            {
                WriteInParts(key, keyBytes, value, previous?.Generation);
            }

            if (previous is { } replaced)
                DeleteParts(key, replaced);
            AdjustChunkedHeads((whole ? 0 : 1) - (previous is null ? 0 : 1));
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Writing '{key}' ({value.Length} bytes) to the key/value store failed: {e.Message}", e);
        }

        foreach (var capture in captures)
            capture.Record(key, value);
    }

    /// <summary>Removes a record if present. Single writer only.</summary>
    public void Delete(string key)
    {
        InjectFault(key);
        try
        {
            var previous = chunkedHeads > 0 ? PeekHead(key) : null;
            var length = 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
            byte[]? rented = null;
            var buffer = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
            try
            {
                DeleteRaw(buffer[..RecordLayout.RecordKey(key, buffer)], key);
            }
            finally
            {
                if (rented is not null)
                    ArrayPool<byte>.Shared.Return(rented);
            }

            if (previous is { } removed)
            {
                DeleteParts(key, removed);
                AdjustChunkedHeads(-1);
            }
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Deleting '{key}' from the key/value store failed: {e.Message}", e);
        }

        foreach (var capture in captures)
            capture.Record(key, null);
    }

    /// <summary>Test-only: a write to a key containing <see cref="StorageOptions.TestingFailWritesContaining"/> fails as a disk would.</summary>
    private void InjectFault(string key)
    {
        if (failWritesContaining is { Length: > 0 } marker && key.Contains(marker, StringComparison.Ordinal))
            throw new StorageFaultException($"Injected storage fault writing '{key}' (GlobalZone:Testing:FailStorageWritesContaining).");
    }

    /// <summary>
    /// Starts recording every write from now on (see <see cref="WriteCapture"/>). Call while the writer is held off,
    /// so that no write straddles the start.
    /// </summary>
    public WriteCapture BeginCapture()
    {
        var capture = new WriteCapture();
        lock (captureLock)
            captures = [.. captures, capture];
        return capture;
    }

    /// <summary>Stops recording into <paramref name="capture"/>. Call while the writer is held off.</summary>
    public void EndCapture(WriteCapture capture)
    {
        lock (captureLock)
            captures = Array.FindAll(captures, c => !ReferenceEquals(c, capture));
    }

    /// <summary>
    /// Every live record, through a session of its own. With writes running meanwhile the scan is fuzzy (each key as
    /// of some moment during the scan; a key written meanwhile may come twice): hold writes off for one consistent
    /// view, or record the writes made meanwhile (<see cref="BeginCapture"/>) and replay them after.
    /// </summary>
    /// <remarks>
    /// <para>A walk of the whole log (on disk and in memory, up to its tail when the scan starts) that keeps each
    /// record only if a read of its key finds that very record (<see cref="StoredValue.Address"/>): older versions
    /// and deleted keys are skipped, and memory stays bounded whatever the log holds. The key and value are copied out
    /// at each step, since the iterator's memory is reused by the next. A record read from disk is read again by the
    /// check (a random read): the price of not holding a map of every key.</para>
    /// <para>Not FASTER's session iterator (<c>ClientSession.Iterate</c>): in 2.6.5 it copies a SpanByte key by value
    /// into its temporary store of older versions (<c>FasterKVIterator.ProcessNonTailmostMainKvRecord</c>), keeping
    /// only the first 8 bytes of a serialized key, so after a restart every older version came back as a live record
    /// under a garbled key.</para>
    /// </remarks>
    public IEnumerable<KeyValuePair<string, byte[]>> ScanAll() => ScanAll(null);

    /// <summary>
    /// As <see cref="ScanAll()"/>, but a stored value is copied out only up to the length
    /// <paramref name="valueBytesWanted"/> names for its key (rebuilding indexes at start needs a key's header, not
    /// its 100 KiB value: copying a 1 GiB state's values only to drop them cost seconds of a restart).
    /// </summary>
    public IEnumerable<KeyValuePair<string, byte[]>> ScanAll(Func<string, int>? valueBytesWanted)
    {
        using var hold = compaction.EnterScan();
        using var session = NewSession();
        using var iterator = store.Log.Scan(store.Log.BeginAddress, store.Log.TailAddress);
        while (iterator.GetNext(out var info))
        {
            if (info.Tombstone || !TakeLiveRecord(session, iterator, valueBytesWanted, out var key, out var found))
                continue;
            var value = found.Form == RecordLayout.Head
                ? ReadParts(session, key, found.Head) ?? ReadValue(session, key)
                : found.Bytes;
            // Null: a record in parts deleted while the scan ran.
            if (value is not null)
                yield return new(key, value);
        }
    }

    /// <summary>
    /// Every record of a key in log order, superseded versions included, and each delete as a null value: applied in
    /// order ("the last one wins") they give the store's current content. Values are copied only up to the length
    /// <paramref name="valueBytesWanted"/> names for their key. Writes may go on meanwhile: a record updated in place
    /// while it is copied may then be read torn, so a caller scanning a live store must also take the writes made
    /// during the scan (a snapshot dump does, with a <see cref="WriteCapture"/>, and ends with them).
    /// </summary>
    /// <remarks>
    /// Unlike <see cref="ScanAll()"/> it does not read each key again to ask whether a record is the newest one: on a
    /// store larger than its memory that check is a random read from disk per key (a 1 GiB state of a million keys:
    /// 5–7 s of every restart), while this is one sequential pass. It relies on FASTER's log being in write order: an
    /// update in place changes the record where it is, a copy-update or delete (a tombstone) goes to the tail, and
    /// compaction copies only a key's newest record, to the tail; records FASTER invalidated are skipped by the
    /// iterator (<c>RecordInfo.SkipOnScan</c>, read in FASTER 2.6.5's VarLenBlittableScanIterator).
    /// </remarks>
    public IEnumerable<KeyValuePair<string, byte[]?>> ScanInLogOrder(Func<string, int> valueBytesWanted)
    {
        using var hold = compaction.EnterScan();
        using var session = NewSession();
        using var iterator = store.Log.Scan(store.Log.BeginAddress, store.Log.TailAddress);
        while (iterator.GetNext(out var info))
        {
            var bytes = iterator.GetKey().AsReadOnlySpan();
            if (bytes.Length == 0 || bytes[0] != RecordLayout.RecordTag)
                continue;
            var key = Encoding.UTF8.GetString(bytes[1..]);
            if (info.Tombstone)
            {
                yield return new(key, null);
                continue;
            }

            var found = default(StoredValue);
            StoredRecordFunctions.Decode(iterator.GetValue().AsReadOnlySpan(), ref found, valueBytesWanted(key));
            // A value in parts (rare: larger than a page) is read whole; null when it was replaced or deleted since,
            // which a later record in the log then says.
            var value = found.Form == RecordLayout.Head ? ReadParts(session, key, found.Head) ?? ReadValue(session, key) : found.Bytes;
            yield return new(key, value);
        }
    }

    /// <summary>
    /// The store was just filled in bulk (a snapshot installed after <see cref="Clear"/>): compaction counts what it
    /// holds as live instead of copying it all forward at the next checkpoint. Single writer only.
    /// </summary>
    public void NoteBulkLoaded() => compaction.TreatAllAsLive();

    /// <summary>Removes every record (used before installing a snapshot). Single writer only.</summary>
    public void Clear()
    {
        // The live keys from one pass in write order (no value copied), not a read per key.
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in ScanInLogOrder(_ => 0))
        {
            if (value is null)
                keys.Remove(key);
            else
                keys.Add(key);
        }

        foreach (var key in keys)
            Delete(key);
    }

    /// <summary>
    /// Takes a fold-over checkpoint of everything written so far. The writer must not write until it
    /// completes, so that the checkpoint holds exactly the state the caller has in mind.
    /// </summary>
    /// <remarks>
    /// Not cancellable once started: FASTER finishes a checkpoint only while someone drives it, and an abandoned
    /// one would refuse every later checkpoint. A checkpoint left running by an earlier caller is completed first.
    /// </remarks>
    public async Task CheckpointAsync(CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (success, checkpoint) = await store.TakeFullCheckpointAsync(CheckpointType.FoldOver, CancellationToken.None).ConfigureAwait(false);
            if (success)
            {
                if (stopBeforeManifest?.Invoke() == true)
                    throw new IOException($"Stopped before writing the manifest of checkpoint {checkpoint} (GlobalZone test switch).");
                var written = System.Diagnostics.Stopwatch.GetTimestamp();
                var begin = checkpoints.Record(checkpoint);
                LastCheckpointTimes = (System.Diagnostics.Stopwatch.GetElapsedTime(started, written), System.Diagnostics.Stopwatch.GetElapsedTime(written));
                // The manifest now names a checkpoint that starts at `begin`: the files before it may go.
                logDevice.RemoveHeldBelow(SegmentOf(begin));
                break;
            }

            await store.CompleteCheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            if (attempt == 2)
                throw new IOException("FASTER refused to start a checkpoint three times (another one kept running).");
        }

        // Compaction in the writer's own time, while it writes nothing (see KeyValueLogCompaction).
        try
        {
            compaction.RunSteps();
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Compacting the key/value log failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// The key and decoded value at the iterator, when it is a record of a key (not a part or bookkeeping) and the
    /// newest record of that key.
    /// </summary>
    private bool TakeLiveRecord(Session session, IFasterScanIterator<SpanByte, SpanByte> iterator, Func<string, int>? valueBytesWanted, out string key, out StoredValue found)
    {
        var bytes = iterator.GetKey().AsReadOnlySpan();
        found = default;
        key = string.Empty;
        if (bytes.Length == 0 || bytes[0] != RecordLayout.RecordTag)
            return false;
        if (!ReadWith(session, bytes, headOnly: true, out var newest) || newest.Address != iterator.CurrentAddress)
            return false;
        key = Encoding.UTF8.GetString(bytes[1..]);
        StoredRecordFunctions.Decode(iterator.GetValue().AsReadOnlySpan(), ref found, valueBytesWanted?.Invoke(key) ?? int.MaxValue);
        return true;
    }

    /// <summary>A key's value, joining its parts when it has them.</summary>
    private byte[]? ReadValue(Session session, string key)
    {
        var length = 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var recordKey = buffer[..RecordLayout.RecordKey(key, buffer)];
            ChunkedHead? lastHead = null;
            while (true)
            {
                if (!ReadWith(session, recordKey, headOnly: false, out var found))
                    return null;
                switch (found.Form)
                {
                    case RecordLayout.Inline:
                        return found.Bytes;
                    case RecordLayout.Head when ReadParts(session, key, found.Head) is { } joined:
                        return joined;
                    case RecordLayout.Head when found.Head == lastHead:
                        // The same head twice with its parts missing: not a write racing this read, but lost parts.
                        throw new StorageFaultException($"The key/value store's record '{Shorten(key)}' names {found.Head.Parts} parts of generation {found.Head.Generation} that are not all there.");
                    case RecordLayout.Head:
                        lastHead = found.Head;
                        continue;
                    default:
                        throw new StorageFaultException($"The key/value store's record '{Shorten(key)}' has an unknown form {found.Form}.");
                }
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The value a head names, or null when a part is gone (the record was replaced or deleted meanwhile).</summary>
    private byte[]? ReadParts(Session session, string key, ChunkedHead head)
    {
        var value = new byte[head.Length];
        var keyBuffer = ArrayPool<byte>.Shared.Rent(RecordLayout.PartKeyExtraBytes + Encoding.UTF8.GetByteCount(key));
        try
        {
            var offset = 0;
            for (var index = 0; index < head.Parts; index++)
            {
                var partKey = keyBuffer.AsSpan(0, RecordLayout.PartKey(key, head.Generation, index, keyBuffer));
                if (!ReadWith(session, partKey, headOnly: false, out var part) || part is not { Form: RecordLayout.Part, Bytes: { } bytes } || bytes.Length > value.Length - offset)
                    return null;
                bytes.CopyTo(value, offset);
                offset += bytes.Length;
            }

            return offset == value.Length ? value : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBuffer);
        }
    }

    /// <summary>The head of the record a write replaces, when that record is in parts.</summary>
    private ChunkedHead? PeekHead(string key)
    {
        var length = 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            return ReadWith(writer, buffer[..RecordLayout.RecordKey(key, buffer)], headOnly: true, out var found) && found.Form == RecordLayout.Head
                ? found.Head
                : null;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes a value too large for a page: its parts (a new generation), then the head that names them.</summary>
    private void WriteInParts(string key, int keyBytes, byte[] value, long? replacedGeneration)
    {
        var partBytes = RecordLayout.PartPayloadBytes(pageBytes, keyBytes);
        var parts = (int)(((long)value.Length + partBytes - 1) / partBytes);
        long generation;
        do
        {
            generation = Random.Shared.NextInt64();
        }
        while (generation == replacedGeneration);

        var keyBuffer = ArrayPool<byte>.Shared.Rent(RecordLayout.PartKeyExtraBytes + keyBytes);
        try
        {
            var buffer = Scratch(1 + partBytes);
            for (var index = 0; index < parts; index++)
            {
                var slice = value.AsSpan(index * partBytes, Math.Min(partBytes, value.Length - (index * partBytes)));
                buffer[0] = RecordLayout.Part;
                slice.CopyTo(buffer.AsSpan(1));
                WriteRaw(keyBuffer.AsSpan(0, RecordLayout.PartKey(key, generation, index, keyBuffer)), buffer.AsSpan(0, 1 + slice.Length), key);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBuffer);
        }

        Span<byte> head = stackalloc byte[RecordLayout.HeadBytes];
        RecordLayout.WriteHead(head, new ChunkedHead(generation, value.Length, parts));
        WriteRecord(key, head);
    }

    private void DeleteParts(string key, ChunkedHead head)
    {
        var keyBuffer = ArrayPool<byte>.Shared.Rent(RecordLayout.PartKeyExtraBytes + Encoding.UTF8.GetByteCount(key));
        try
        {
            for (var index = 0; index < head.Parts; index++)
                DeleteRaw(keyBuffer.AsSpan(0, RecordLayout.PartKey(key, head.Generation, index, keyBuffer)), key);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBuffer);
        }
    }

    private void AdjustChunkedHeads(long delta)
    {
        if (delta == 0)
            return;
        chunkedHeads += delta;
        Span<byte> value = stackalloc byte[9];
        value[0] = RecordLayout.Inline;
        BinaryPrimitives.WriteInt64LittleEndian(value[1..], chunkedHeads);
        WriteRaw(ChunkedHeadsKey, value, "(the store's count of records in parts)");
    }

    private void WriteRecord(string key, ReadOnlySpan<byte> value)
    {
        var length = 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            WriteRaw(buffer[..RecordLayout.RecordKey(key, buffer)], value, key);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private unsafe void WriteRaw(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, string name)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* valueBytes = value)
        {
            var keySpan = new SpanByte(key.Length, (IntPtr)keyBytes);
            var valueSpan = new SpanByte(value.Length, (IntPtr)valueBytes);
            var status = writer.Upsert(ref keySpan, ref valueSpan);
            // A pending write copied key and value into its own context; completing it here keeps writes in order.
            if (status.IsPending)
                writer.CompletePending(wait: true);
            else if (status.IsFaulted)
                throw new StorageFaultException($"FASTER refused to write '{Shorten(name)}'.");
        }
    }

    private unsafe void DeleteRaw(ReadOnlySpan<byte> key, string name)
    {
        fixed (byte* keyBytes = key)
        {
            var keySpan = new SpanByte(key.Length, (IntPtr)keyBytes);
            var status = writer.Delete(ref keySpan);
            if (status.IsPending)
                writer.CompletePending(wait: true);
            else if (status.IsFaulted)
                throw new StorageFaultException($"FASTER refused to delete '{Shorten(name)}'.");
        }
    }

    /// <summary>
    /// Reads one FASTER record. A record no longer in memory makes the read pending (FASTER reads the log file); it
    /// is completed here, on the same session, before the session is used again.
    /// </summary>
    /// <remarks>
    /// A read that finds nothing while compaction moved the log's start is read again: a pending read of a record
    /// below the new start completes as not found in FASTER 2.6.5 (<c>ContinuePendingRead</c> compares the address
    /// with <c>BeginAddress</c>), though compaction copied the record to the tail before moving the start. The second
    /// read, started after the move, finds the copy.
    /// </remarks>
    private bool ReadWith(Session session, ReadOnlySpan<byte> key, bool headOnly, out StoredValue found)
    {
        while (true)
        {
            var begin = store.Log.BeginAddress;
            if (ReadOnce(session, key, headOnly, out found))
                return true;
            if (store.Log.BeginAddress == begin)
                return false;
        }
    }

    private static unsafe bool ReadOnce(Session session, ReadOnlySpan<byte> key, bool headOnly, out StoredValue found)
    {
        found = new StoredValue { HeadOnly = headOnly };
        Status status;
        fixed (byte* keyBytes = key)
        {
            var keySpan = new SpanByte(key.Length, (IntPtr)keyBytes);
            var input = default(SpanByte);
            status = session.Read(ref keySpan, ref input, ref found);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        ref var completed = ref outputs.Current;
                        status = completed.Status;
                        found = completed.Output;
                    }
                }
            }
        }

        if (status.IsFaulted)
            throw new StorageFaultException("FASTER could not read a key/value record (the log file could not be read).");
        return status.Found;
    }

    private static int SegmentOf(long address) => (int)(address / SegmentBytes);

    private static string FormatBytes(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1e6:F0} MB");

    private byte[] Scratch(int length)
    {
        if (valueScratch.Length < length)
            valueScratch = new byte[(int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)length), Array.MaxLength)];
        return valueScratch;
    }

    private static string Shorten(string key) => key.Length <= 80 ? key : string.Concat(key.AsSpan(0, 80), "…");

    private Session RentReader() => readers.TryTake(out var session) ? session : NewSession();

    private Session NewSession() => store.For(new StoredRecordFunctions()).NewSession<StoredRecordFunctions>();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        writer.Dispose();
        while (readers.TryTake(out var session))
            session.Dispose();
        store.Dispose();
        settings.Dispose();
        logDevice.Dispose();
        checkpoints.Dispose();
    }
}
