using System.Collections.Concurrent;
using FASTER.core;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Storage;

/// <summary>
/// A durable string → bytes map on FASTER's hybrid log (FasterKV with an object log), with fold-over
/// checkpoints for recovery. It knows nothing of what the bytes mean.
/// </summary>
/// <remarks>
/// Writes come from one caller at a time (the state machine's applier) through one session; reads may come
/// from many threads, each borrowing a session from a pool, because a FASTER session must not be used
/// concurrently. Nothing here fsyncs per write: durability of committed commands comes from the Raft log,
/// and a checkpoint marks how far the Raft log may be cut.
/// <para>Every checkpoint is recorded in a manifest with the SHA-256 of each file it relies on
/// (<see cref="KeyValueCheckpoints"/>). At open the manifest's checkpoint is verified and then recovered exactly, with
/// an API that throws; any damage refuses the open (<see cref="StorageIntegrityException"/>) rather than open an empty
/// store over a damaged one, which FASTER's <c>TryRecoverLatest</c> would do.</para>
/// </remarks>
public sealed class FasterKeyValueStore : IDisposable
{
    /// <summary>Size of one hybrid log file (FASTER's default, set explicitly: the manifest maps addresses to files by it).</summary>
    private const long SegmentBytes = 1L << 30;

    private readonly FasterKVSettings<string, byte[]> settings;
    private readonly FasterKV<string, byte[]> store;
    private readonly ClientSession<string, byte[], byte[], byte[], Empty, SimpleFunctions<string, byte[]>> writer;
    private readonly ConcurrentBag<ClientSession<string, byte[], byte[], byte[], Empty, SimpleFunctions<string, byte[]>>> readers = new();
    private readonly IDevice logDevice;
    private readonly IDevice objectLogDevice;
    private readonly KeyValueCheckpoints checkpoints;
    private readonly string? failWritesContaining;
    private readonly Lock captureLock = new();
    private volatile WriteCapture[] captures = [];
    private int disposed;

    /// <exception cref="StorageIntegrityException">The checkpoint to recover, or its manifest, is missing or damaged.</exception>
    public FasterKeyValueStore(StorageOptions options)
    {
        var root = Path.Combine(options.Directory, "kv");
        if (options.ExpectExistingState && !System.IO.Directory.Exists(root))
            throw new StorageIntegrityException(root, "The key/value store's folder is missing", OperatorRemedy.ReplaceMember);
        System.IO.Directory.CreateDirectory(root);
        checkpoints = new KeyValueCheckpoints(root, SegmentBytes);
        try
        {
            var token = checkpoints.Verify(options.ExpectExistingState);
            logDevice = Devices.CreateLogDevice(checkpoints.LogPath, recoverDevice: true);
            objectLogDevice = Devices.CreateLogDevice(checkpoints.ObjectLogPath, recoverDevice: true);
            settings = new FasterKVSettings<string, byte[]>
            {
                IndexSize = options.KeyValueIndexBytes,
                MemorySize = options.KeyValueMemoryBytes,
                PageSize = options.KeyValuePageBytes,
                SegmentSize = SegmentBytes,
                LogDevice = logDevice,
                ObjectLogDevice = objectLogDevice,
                CheckpointManager = checkpoints.Manager,
                TryRecoverLatest = false,
                KeySerializer = static () => new StringKeySerializer(),
                ValueSerializer = static () => new ByteArrayValueSerializer(),
            };
            store = new FasterKV<string, byte[]>(settings);
            if (token is { } recovered)
            {
                try
                {
                    store.Recover(recovered);
                }
                catch (Exception e)
                {
                    throw new StorageIntegrityException(
                        checkpoints.MetadataFolder(recovered), $"FASTER could not recover key/value checkpoint {recovered} ({e.GetType().Name}: {e.Message})", OperatorRemedy.ReplaceMember, e);
                }
            }

            // A checkpoint newer than the manifest (a crash before its manifest was written) is not trusted.
            checkpoints.RemoveAllBut(token);
        }
        catch
        {
            store?.Dispose();
            settings?.Dispose();
            logDevice?.Dispose();
            objectLogDevice?.Dispose();
            checkpoints.Dispose();
            throw;
        }

        failWritesContaining = options.TestingFailWritesContaining;
        writer = NewSession();
    }

    /// <summary>
    /// The file a store writes first when it is created in <paramref name="storageDirectory"/> (its first checkpoint
    /// manifest): a data folder that has it holds this format's state.
    /// </summary>
    public static string CreationMarker(string storageDirectory) => CheckpointManifest.PathIn(Path.Combine(storageDirectory, "kv"));

    /// <summary>Number of distinct live records (approximate while writes run).</summary>
    public long EntryCount => store.EntryCount;

    /// <summary>Reads one record, or null when absent. Safe from any thread.</summary>
    public byte[]? Read(string key)
    {
        var session = RentReader();
        try
        {
            return ReadWith(session, key);
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
            return ReadWith(writer, key);
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Reading '{key}' from the key/value store failed: {e.Message}", e);
        }
    }

    /// <summary>Inserts or replaces a record. Single writer only.</summary>
    public void Upsert(string key, byte[] value)
    {
        InjectFault(key);
        try
        {
            var status = writer.Upsert(key, value);
            if (status.IsPending)
                writer.CompletePending(wait: true);
            else if (status.IsFaulted)
                throw new StorageFaultException($"FASTER refused to write '{key}'.");
        }
        catch (Exception e) when (e is not StorageFaultException)
        {
            throw new StorageFaultException($"Writing '{key}' to the key/value store failed: {e.Message}", e);
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
            var status = writer.Delete(key);
            if (status.IsPending)
                writer.CompletePending(wait: true);
            else if (status.IsFaulted)
                throw new StorageFaultException($"FASTER refused to delete '{key}'.");
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
    public IEnumerable<KeyValuePair<string, byte[]>> ScanAll()
    {
        using var session = NewSession();
        using var iterator = session.Iterate();
        while (iterator.GetNext(out _))
        {
            yield return new(iterator.GetKey(), iterator.GetValue());
        }
    }

    /// <summary>Removes every record (used before installing a snapshot). Single writer only.</summary>
    public void Clear()
    {
        var keys = new List<string>();
        foreach (var record in ScanAll())
            keys.Add(record.Key);
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
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (success, checkpoint) = await store.TakeFullCheckpointAsync(CheckpointType.FoldOver, CancellationToken.None).ConfigureAwait(false);
            if (success)
            {
                checkpoints.Record(checkpoint);
                return;
            }

            await store.CompleteCheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        }

        throw new IOException("FASTER refused to start a checkpoint three times (another one kept running).");
    }

    private static byte[]? ReadWith(ClientSession<string, byte[], byte[], byte[], Empty, SimpleFunctions<string, byte[]>> session, string key)
    {
        var (status, output) = session.Read(key);
        if (status.IsPending)
        {
            session.CompletePendingWithOutputs(out var outputs, wait: true);
            using (outputs)
            {
                while (outputs.Next())
                {
                    ref var completed = ref outputs.Current;
                    status = completed.Status;
                    output = completed.Output;
                }
            }
        }

        return status.Found ? output : null;
    }

    private ClientSession<string, byte[], byte[], byte[], Empty, SimpleFunctions<string, byte[]>> RentReader()
        => readers.TryTake(out var session) ? session : NewSession();

    private ClientSession<string, byte[], byte[], byte[], Empty, SimpleFunctions<string, byte[]>> NewSession()
        => store.For(new SimpleFunctions<string, byte[]>()).NewSession<SimpleFunctions<string, byte[]>>();

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
        objectLogDevice.Dispose();
        checkpoints.Dispose();
    }
}
