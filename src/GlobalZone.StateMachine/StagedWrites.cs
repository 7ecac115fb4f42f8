using GlobalZone.Storage;

namespace GlobalZone.StateMachine;

/// <summary>
/// The store writes of the command being applied, held back until the command's logic has run to the end, so a
/// command either reaches the store whole or not at all. Reads during apply see the staged writes first.
/// </summary>
/// <remarks>
/// Only the final value of each storage key matters to the store (an upsert or delete replaces the whole record),
/// so a key staged twice keeps its last write. Single writer: the Raft applier, under the state's write lock.
/// </remarks>
internal sealed class StagedWrites(FasterKeyValueStore store)
{
    private readonly Dictionary<string, byte[]?> pending = new(StringComparer.Ordinal);

    private int staged;

    /// <summary>Test-only: the Nth write staged by one command throws, as a defect in apply would (0: never).</summary>
    public int ThrowAfter { get; set; }

    public void Upsert(string storageKey, byte[] value)
    {
        pending[storageKey] = value;
        Staged();
    }

    public void Delete(string storageKey)
    {
        pending[storageKey] = null;
        Staged();
    }

    private void Staged()
    {
        if (++staged == ThrowAfter)
            throw new InvalidOperationException($"Injected defect after {ThrowAfter} staged writes.");
    }

    /// <summary>The record as the command sees it so far: its own staged write, else the store's.</summary>
    public byte[]? Read(string storageKey)
        => pending.TryGetValue(storageKey, out var staged) ? staged : store.ReadForWrite(storageKey);

    /// <summary>
    /// Writes everything staged to the store. A failure here is the store's (I/O), not the command's: the caller
    /// must stop applying, because part of the command may have reached the store.
    /// </summary>
    public void Flush()
    {
        foreach (var (key, value) in pending)
        {
            if (value is null)
                store.Delete(key);
            else
                store.Upsert(key, value);
        }

        pending.Clear();
        staged = 0;
    }

    /// <summary>Forgets what was staged (the command is being recorded as rejected instead).</summary>
    public void Discard()
    {
        pending.Clear();
        staged = 0;
    }
}
