using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.StateMachine;

/// <summary>
/// The replicated key/value state: applies committed commands to FASTER, counts revisions, records the history,
/// and answers local reads. Deterministic and total: the same entries give the same state on every member, and
/// no committed entry makes <see cref="Apply"/> throw.
/// </summary>
/// <remarks>
/// Keys live in FASTER (hash-indexed); a sorted set of key names in memory serves prefix listing, as etcd's
/// in-memory key index does over bbolt. It is rebuilt from FASTER on start. One writer (the Raft applier)
/// holds the write lock per command; range reads and snapshot dumps hold the read lock so they see whole
/// revisions. Single-key reads take no lock: FASTER swaps a record atomically.
/// </remarks>
public sealed partial class KeyValueStateMachine : IDisposable
{
    private readonly FasterKeyValueStore store;
    private readonly StagedWrites writes;
    private readonly RevisionHistory history;
    private readonly SortedSet<string> keyIndex = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private readonly long historyRetention;
    private long appliedIndex;
    private long appliedTerm;
    private long revision;
    private long snapshotIndex;
    private long snapshotTerm;

    /// <summary>Revisions of history kept for watches unless configured (<c>GlobalZone:HistoryRetention</c>).</summary>
    public const long DefaultHistoryRetention = 200_000;

    /// <summary>The store was recovered from a checkpoint when opened (false: a new, empty store).</summary>
    public bool OpenedFromCheckpoint => store.OpenedFromCheckpoint;

    public KeyValueStateMachine(StorageOptions options, long historyRetention = DefaultHistoryRetention)
    {
        this.historyRetention = historyRetention;
        store = new FasterKeyValueStore(options);
        writes = new StagedWrites(store);
        try
        {
            history = new RevisionHistory(options);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        try
        {
            var meta = store.ReadForWrite(StateMeta.StorageKey) is { } bytes ? StateMeta.Decode(bytes) : StateMeta.Empty;
            appliedIndex = meta.AppliedIndex;
            appliedTerm = meta.AppliedTerm;
            snapshotIndex = meta.SnapshotIndex;
            snapshotTerm = meta.SnapshotTerm;
            revision = meta.Revision;
            var phases = options.Startup ?? new StartupPhases();
            phases.Measure("key index rebuilt", () =>
            {
                // One pass over the log in write order (no read per key to find its newest record), copying only a
                // user key's header (its lease) and other records whole.
                var replay = new IndexReplay(this);
                foreach (var (storageKey, value) in store.ScanInLogOrder(IndexReplay.ValueBytesWanted))
                    replay.Record(storageKey, value);
                replay.Complete();
            });
            phases.Measure("revision history recovered", () => history.Recover(meta.HistoryStart, meta.Revision));
        }
        catch
        {
            // A damaged store or history refuses the open (StorageIntegrityException): release the files.
            history.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>Adds one stored record to the in-memory indexes (on start and after a snapshot install).</summary>
    private void IndexStoredRecord(string storageKey, byte[] value)
    {
        switch (StorageKeys.KindOf(storageKey))
        {
            case StorageKeys.UserKeyPrefix:
            {
                var key = StorageKeys.UserKeyOf(storageKey);
                keyIndex.Add(key);
                var lease = KeyRecord.LeaseOf(value);
                if (lease != 0)
                    AttachToLease(lease, key);
                break;
            }

            case StorageKeys.LeasePrefix:
                IndexLease(LeaseRecord.Decode(value));
                break;
            case StorageKeys.LockPrefix:
                IndexLock(LockRecord.Decode(value));
                break;
            case StorageKeys.LockWaiterPrefix:
                IndexLockWaiter(storageKey, value);
                break;
            case StorageKeys.IdempotencyPrefix:
                IndexIdempotencyRecord(storageKey, value);
                break;
            case StorageKeys.MemberPrefix:
                IndexMember(value);
                break;
            case StorageKeys.AuthUserPrefix:
            case StorageKeys.AuthRolePrefix:
                IndexAuthRecord(storageKey, value);
                break;
            default:
                if (storageKey == StorageKeys.Counters)
                    LoadCounters(value);
                else if (storageKey == StorageKeys.AuthSettings)
                    IndexAuthRecord(storageKey, value);
                break;
        }
    }

    private void ClearIndexes()
    {
        keyIndex.Clear();
        ClearLeaseAndLockIndexes();
        locksWithInlineWaiters.Clear();
        scannedWaiters.Clear();
        idempotencyByTime.Clear();
        memberDescriptions = memberDescriptions.Clear();
        auth = global::GlobalZone.StateMachine.Auth.AuthState.Empty;
    }

    /// <summary>Raised on the applier after each revision, outside the lock. Handlers must not block.</summary>
    public event Action<long, IReadOnlyList<HistoryEvent>>? RevisionApplied;

    /// <summary>
    /// Raised on the applier when the whole state was replaced by a snapshot (history restarts after it, lease
    /// countdowns must restart). Handlers must not block.
    /// </summary>
    public event Action? StateReplaced;

    /// <summary>Last Raft index folded into the state.</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The cluster revision: one per committed write or transaction that changed something.</summary>
    public long Revision => Volatile.Read(ref revision);

    /// <summary>
    /// Raft index the newest durable checkpoint is known by (what the WAL may be trimmed to). Never above
    /// <see cref="AppliedIndex"/>; after a snapshot install the state may already reflect later entries.
    /// </summary>
    public long SnapshotIndex => Volatile.Read(ref snapshotIndex);

    /// <summary>Term of the entry at <see cref="SnapshotIndex"/>.</summary>
    public long SnapshotTerm => Volatile.Read(ref snapshotTerm);

    /// <summary>Oldest revision still in the history.</summary>
    public long HistoryStart => history.FirstRevision;

    /// <summary>Bytes the key/value log spans on disk and in memory (live records and garbage not compacted yet).</summary>
    public long KeyValueLogBytes => store.LogSpanBytes;

    /// <summary>What compaction of the key/value log has done since this member started.</summary>
    public GlobalZone.Storage.Compaction.KeyValueCompactionStats KeyValueCompaction => store.CompactionStats;

    /// <summary>Number of live keys.</summary>
    public int KeyCount
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return keyIndex.Count;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// Applies the command at a Raft index. A <paramref name="command"/> of null (bytes no version understands)
    /// is recorded as rejected. Returns null when the index was already applied (replay after recovery).
    /// </summary>
    /// <remarks>
    /// All or nothing. The command's logic runs first with its store writes and its history record held back
    /// (<see cref="StagedWrites"/>); an exception there is the command's (every member meets it on the same
    /// state), so the in-memory indexes are rebuilt from the untouched store and the command is recorded as
    /// rejected. Only then are the history and the store written; a failure there is the storage's
    /// (<see cref="StorageFaultException"/>), escapes, and the member must stop applying and serving.
    /// </remarks>
    public CommandResult? Apply(long index, long term, Command? command)
    {
        CommandResult result;
        List<HistoryEvent>? events = null;
        Exception? refused = null;
        gate.EnterWriteLock();
        try
        {
            if (index <= appliedIndex)
                return null;
            var before = (revision, nextLeaseId, fencingSequence);
            try
            {
                result = command is { IdempotencyKey: { } idempotencyKey }
                    ? ApplyOnce(index, command, idempotencyKey, out events)
                    : ApplyCommand(index, command, out events);
            }
            catch (Exception e) when (e is not StorageFaultException)
            {
                refused = e;
                writes.Discard();
                pendingHistory.Clear();
                pendingNotifications.Clear();
                (revision, nextLeaseId, fencingSequence) = before;
                RebuildIndexes();
                (revision, nextLeaseId, fencingSequence) = before;
                events = null;
                result = CommandResult.Rejected(revision, $"The command could not be applied ({e.GetType().Name}: {e.Message}); nothing of it was written.");
            }

            if (result.Lock is { } lockRecord)
                result = result with { Lock = lockRecord.ForAnswer() };
            foreach (var (next, payload) in pendingHistory)
                history.Append(next, payload);
            pendingHistory.Clear();

            writes.Flush();
            Volatile.Write(ref appliedIndex, index);
            appliedTerm = term;
        }
        finally
        {
            gate.ExitWriteLock();
        }

        if (refused is not null)
            CommandRefused?.Invoke(index, refused);
        if (events is { Count: > 0 } && !result.Replayed)
            RevisionApplied?.Invoke(result.Revision, events);
        DispatchNotifications();
        return result;
    }

    /// <summary>
    /// Raised (on the applier, outside the lock) when a command's logic threw and it was recorded as rejected with
    /// nothing written: a defect to report, not a reason to stop.
    /// </summary>
    public event Action<long, Exception>? CommandRefused;

    /// <summary>Test-only: a command's Nth staged write throws, as a defect part-way through apply would (0: never).</summary>
    internal int ThrowAfterStagedWrites
    {
        get => writes.ThrowAfter;
        set => writes.ThrowAfter = value;
    }

    /// <summary>The history record of the command being applied, written after its logic succeeded.</summary>
    private readonly List<(long Revision, byte[] Payload)> pendingHistory = new();

    /// <summary>Rebuilds every in-memory index from the store (after a refused command, whose writes never reached it).</summary>
    private void RebuildIndexes()
    {
        ClearIndexes();
        foreach (var record in store.ScanAll())
        {
            if (record.Key != StateMeta.StorageKey)
                IndexStoredRecord(record.Key, record.Value);
        }

        CompleteLockIndex();
    }

    private CommandResult ApplyCommand(long index, Command? command, out List<HistoryEvent>? events)
    {
        events = null;
        return command switch
        {
            TxnCommand txn => ApplyTxn(index, txn, out events),
            LeaseGrantCommand grant => ApplyLeaseGrant(index, grant),
            LeaseKeepAliveCommand keepAlive => ApplyLeaseKeepAlive(index, keepAlive),
            LeaseRevokeCommand revoke => ApplyLeaseRevoke(index, revoke, out events),
            LeaseExpireCommand expire => ApplyLeaseExpire(index, expire, out events),
            LockAcquireCommand acquire => ApplyLockAcquire(index, acquire),
            LockReleaseCommand release => ApplyLockRelease(index, release),
            IdempotencyCompactCommand compact => ApplyIdempotencyCompact(compact),
            MemberDescribeCommand describe => ApplyMemberDescribe(describe),
            AuthCommand authCommand => ApplyAuth(authCommand),
            _ => CommandResult.Rejected(revision, "unknown or malformed command"),
        };
    }

    /// <summary>Makes the events of one command the next revision (nothing changes when there are none).</summary>
    private void CommitRevision(long next, List<HistoryEvent>? events)
    {
        if (events is not { Count: > 0 })
            return;
        revision = next;
        pendingHistory.Add((next, HistoryEvent.EncodeBatch(events)));
    }

    /// <summary>Records that an entry without a command (a no-op or configuration entry) was applied.</summary>
    public void MarkApplied(long index, long term)
    {
        gate.EnterWriteLock();
        try
        {
            if (index <= appliedIndex)
                return;
            Volatile.Write(ref appliedIndex, index);
            appliedTerm = term;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    private CommandResult ApplyTxn(long index, TxnCommand txn, out List<HistoryEvent>? events)
    {
        events = null;
        if (txn.Fence is { } fence && !FenceHolds(fence, out var fencedLock))
        {
            return CommandResult.Failed(CommandStatus.Fenced, revision,
                fencedLock?.AllHolders is { Count: > 0 } holders
                    ? $"Fencing token {fence.FencingToken} of lock '{fence.Lock}' is stale; the current {(holders.Count == 1 ? "grant is" : "grants are")} {string.Join(", ", holders.Take(5).Select(h => h.FencingToken))}."
                    : $"Lock '{fence.Lock}' is not held, so fencing token {fence.FencingToken} is not a current grant.",
                lockRecord: fencedLock);
        }

        var succeeded = true;
        foreach (var compare in txn.Compares)
        {
            if (!Evaluate(compare))
            {
                succeeded = false;
                break;
            }
        }

        var operations = succeeded ? txn.Success : txn.Failure;
        foreach (var op in operations)
        {
            if (op is { Kind: TxnOperationKind.Put, Lease: not 0 } && !leases.ContainsKey(op.Lease))
                return CommandResult.Failed(CommandStatus.NotFound, revision, $"Lease {op.Lease} does not exist (expired or revoked?).");
        }

        var next = revision + 1;
        var results = new OperationResult[operations.Count];
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i];
            switch (op.Kind)
            {
                case TxnOperationKind.Put:
                {
                    var previous = ReadRecord(op.Key);
                    var record = new KeyRecord(op.Key, previous?.CreateRevision ?? next, next, (previous?.Version ?? 0) + 1, op.Lease, op.Format, op.Value ?? []);
                    writes.Upsert(StorageKeys.ForUserKey(op.Key), record.Encode());
                    keyIndex.Add(op.Key);
                    if (previous is { Lease: not 0 } && previous.Lease != op.Lease)
                        DetachFromLease(previous.Lease, op.Key);
                    if (op.Lease != 0)
                        AttachToLease(op.Lease, op.Key);
                    (events ??= []).Add(new HistoryEvent(HistoryEventKind.Put, record));
                    results[i] = new OperationResult(op.Kind, Previous: previous);
                    break;
                }

                case TxnOperationKind.Delete:
                {
                    var previous = ReadRecord(op.Key);
                    if (previous is not null)
                        DeleteRecord(previous, next, ref events);
                    results[i] = new OperationResult(op.Kind, Deleted: previous is null ? 0 : 1, Previous: previous);
                    break;
                }

                case TxnOperationKind.DeletePrefix:
                {
                    var victims = new List<string>(KeysWithPrefix(op.Key, after: null));
                    foreach (var key in victims)
                    {
                        if (ReadRecord(key) is { } previous)
                            DeleteRecord(previous, next, ref events);
                    }

                    results[i] = new OperationResult(op.Kind, Deleted: victims.Count);
                    break;
                }

                case TxnOperationKind.Get:
                {
                    var record = ReadRecord(op.Key);
                    results[i] = new OperationResult(op.Kind, Records: record is null ? [] : [record]);
                    break;
                }

                default:
                    results[i] = new OperationResult(op.Kind);
                    break;
            }
        }

        CommitRevision(next, events);
        return new CommandResult(CommandStatus.Applied, revision, succeeded, results);
    }

    private void DeleteRecord(KeyRecord previous, long next, ref List<HistoryEvent>? events)
    {
        writes.Delete(StorageKeys.ForUserKey(previous.Key));
        keyIndex.Remove(previous.Key);
        if (previous.Lease != 0)
            DetachFromLease(previous.Lease, previous.Key);
        var tombstone = previous with { ModRevision = next, Version = 0, Value = [] };
        (events ??= []).Add(new HistoryEvent(HistoryEventKind.Delete, tombstone));
    }

    private bool Evaluate(Compare compare)
    {
        var record = ReadRecord(compare.Key);
        if (compare.Target == CompareTarget.Value)
        {
            if (record is null)
                return false;
            var order = record.Value.AsSpan().SequenceCompareTo(compare.Value ?? []);
            return Holds(compare.Operator, order);
        }

        var actual = compare.Target switch
        {
            CompareTarget.Version => record?.Version ?? 0,
            CompareTarget.CreateRevision => record?.CreateRevision ?? 0,
            CompareTarget.ModRevision => record?.ModRevision ?? 0,
            CompareTarget.Lease => record?.Lease ?? 0,
            _ => long.MinValue,
        };
        return actual != long.MinValue && Holds(compare.Operator, actual.CompareTo(compare.Number));
    }

    private static bool Holds(CompareOperator op, int order) => op switch
    {
        CompareOperator.Equal => order == 0,
        CompareOperator.NotEqual => order != 0,
        CompareOperator.Less => order < 0,
        CompareOperator.Greater => order > 0,
        _ => false,
    };

    private KeyRecord? ReadRecord(string key)
        => writes.Read(StorageKeys.ForUserKey(key)) is { } bytes ? KeyRecord.Decode(key, bytes) : null;

    /// <summary>Reads one key from local state. Safe from any thread.</summary>
    public KeyRecord? Get(string key)
        => store.Read(StorageKeys.ForUserKey(key)) is { } bytes ? KeyRecord.Decode(key, bytes) : null;

    /// <summary>Lists keys under a prefix in key order, after an exclusive cursor, at one revision.</summary>
    public RangeResult Range(string prefix, string? after, int limit, bool keysOnly)
    {
        gate.EnterReadLock();
        try
        {
            var records = new List<KeyRecord>(Math.Min(limit, 1024));
            var more = false;
            foreach (var key in KeysWithPrefix(prefix, after))
            {
                if (records.Count == limit)
                {
                    more = true;
                    break;
                }

                if (store.Read(StorageKeys.ForUserKey(key)) is { } bytes)
                {
                    var record = KeyRecord.Decode(key, bytes);
                    records.Add(keysOnly ? record with { Value = [] } : record);
                }
            }

            return new RangeResult(records, more, revision);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    private IEnumerable<string> KeysWithPrefix(string prefix, string? after)
    {
        if (keyIndex.Count == 0)
            yield break;
        var lower = after is not null && string.CompareOrdinal(after, prefix) >= 0 ? after : prefix;
        var upper = keyIndex.Max!;
        if (string.CompareOrdinal(lower, upper) > 0)
            yield break;
        foreach (var key in keyIndex.GetViewBetween(lower, upper))
        {
            if (after is not null && string.CompareOrdinal(key, after) <= 0)
                continue;
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (string.CompareOrdinal(key, prefix) > 0)
                    yield break;
                continue;
            }

            yield return key;
        }
    }

    /// <summary>Revisions from the history, oldest first, for watches that resume.</summary>
    public List<(long Revision, List<HistoryEvent> Events)> ReadHistory(long fromRevision, int maxCount)
    {
        var raw = history.ReadCommitted(fromRevision, long.MaxValue, maxCount);
        var result = new List<(long, List<HistoryEvent>)>(raw.Count);
        foreach (var (rev, payload) in raw)
            result.Add((rev, HistoryEvent.DecodeBatch(payload)));
        return result;
    }

    /// <summary>Makes the history appended so far readable by <see cref="ReadHistory"/> and durable.</summary>
    public ValueTask CommitHistoryAsync(CancellationToken token) => history.CommitAsync(token);

    public void Dispose()
    {
        history.Dispose();
        store.Dispose();
        gate.Dispose();
    }
}
