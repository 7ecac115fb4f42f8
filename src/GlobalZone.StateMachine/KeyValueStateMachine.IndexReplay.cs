namespace GlobalZone.StateMachine;

// Rebuilding the in-memory indexes from stored records met in write order (a snapshot stream, the store's log).
public sealed partial class KeyValueStateMachine
{
    /// <summary>
    /// Takes stored records in the order they were written — a key may be set, set again and deleted along the way —
    /// and leaves the indexes as the last record of each key says: user keys are indexed at once and un-indexed when
    /// deleted or re-attached to another lease; every other record (leases, locks, waiters, members, auth,
    /// idempotency: few) is kept until <see cref="Complete"/> and indexed then. A user key's value need only hold
    /// its header (<see cref="KeyRecord.IndexedBytes"/>).
    /// </summary>
    private sealed class IndexReplay(KeyValueStateMachine owner)
    {
        private readonly Dictionary<string, long> userKeyLeases = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]?> otherRecords = new(StringComparer.Ordinal);

        /// <summary>How many bytes of a stored value the replay needs.</summary>
        public static int ValueBytesWanted(string storageKey)
            => StorageKeys.KindOf(storageKey) == StorageKeys.UserKeyPrefix ? KeyRecord.IndexedBytes : int.MaxValue;

        /// <summary>The next record: <paramref name="value"/> null for a delete.</summary>
        public void Record(string storageKey, byte[]? value)
        {
            if (storageKey == StateMeta.StorageKey)
                return;
            if (StorageKeys.KindOf(storageKey) != StorageKeys.UserKeyPrefix)
            {
                otherRecords[storageKey] = value;
                return;
            }

            var key = StorageKeys.UserKeyOf(storageKey);
            if (userKeyLeases.Remove(key, out var previousLease))
                owner.DetachFromLease(previousLease, key);
            if (value is null)
            {
                owner.keyIndex.Remove(key);
                return;
            }

            owner.keyIndex.Add(key);
            var lease = KeyRecord.LeaseOf(value);
            if (lease != 0)
            {
                owner.AttachToLease(lease, key);
                userKeyLeases[key] = lease;
            }
        }

        /// <summary>Indexes the other records as they ended, then completes the lock index.</summary>
        public void Complete()
        {
            foreach (var (storageKey, value) in otherRecords)
            {
                if (value is not null)
                    owner.IndexStoredRecord(storageKey, value);
            }

            owner.CompleteLockIndex();
        }
    }
}
