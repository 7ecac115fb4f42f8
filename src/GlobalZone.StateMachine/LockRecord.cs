using System.Text;

namespace GlobalZone.StateMachine;

/// <summary>The current grant of a lock: which lease holds it, its label, and the fencing token of this grant.</summary>
public sealed record LockHolder(long Lease, string Owner, long FencingToken, long GrantedIndex)
{
    /// <summary>How the lease holds the lock (read or write for a reader-writer lock, a permit of a semaphore).</summary>
    public LockMode Mode { get; init; }
}

/// <summary>A lease waiting for a lock, in arrival order.</summary>
public sealed record LockWaiter(long Lease, string Owner, long QueuedIndex)
{
    /// <summary>How the lease asked for the lock.</summary>
    public LockMode Mode { get; init; }
}

/// <summary>
/// A lock as a state-machine fact: the holder (null when free) and the first-in first-out queue of waiters.
/// The queue lives in the replicated state, so its order survives failover. A lock with neither holder nor
/// waiters is not stored.
/// </summary>
/// <remarks>
/// An exclusive lock keeps its one grant in <see cref="Holder"/>; a reader-writer lock or a semaphore (a "shared"
/// kind, see <see cref="LockKind"/>) keeps its grants in <see cref="Holders"/> and leaves <see cref="Holder"/> null.
/// All kinds share the queue, the lease index, the fencing counter and the waiter caps.
/// </remarks>
public sealed record LockRecord(string Name, LockHolder? Holder, IReadOnlyList<LockWaiter> Waiters)
{
    /// <summary>Marks the shared layout where the older layout has its has-holder flag (0 or 1).</summary>
    private const byte SharedLayout = 2;

    /// <summary>Version of the shared layout, written after its marker.</summary>
    private const byte SharedLayoutVersion = 1;

    /// <summary>What kind of lock this is; one name is one kind at a time.</summary>
    public LockKind Kind { get; init; }

    /// <summary>For a semaphore: how many leases may hold it at once; 0 for the other kinds.</summary>
    public int Limit { get; init; }

    /// <summary>The grants of a shared kind, in grant order; empty for an exclusive lock.</summary>
    public IReadOnlyList<LockHolder> Holders { get; init; } = [];

    /// <summary>Every current grant, whatever the kind.</summary>
    public IReadOnlyList<LockHolder> AllHolders => Kind == LockKind.Exclusive ? (Holder is { } h ? [h] : []) : Holders;

    /// <summary>True when nobody holds the lock and nobody waits: such a lock is not stored.</summary>
    public bool IsFree => AllHolders.Count == 0 && Waiters.Count == 0;

    /// <summary>The grant <paramref name="lease"/> holds, or null.</summary>
    public LockHolder? HolderOf(long lease) => AllHolders.FirstOrDefault(h => h.Lease == lease);

    /// <summary>Whether the grant with this fencing token is current.</summary>
    public LockHolder? HolderWithToken(long fencingToken) => AllHolders.FirstOrDefault(h => h.FencingToken == fencingToken);

    /// <summary>The lock's kind in words, for errors: "a semaphore of 3", "a reader-writer lock", "an exclusive lock".</summary>
    public static string DescribeKind(LockKind kind, int limit) => kind switch
    {
        LockKind.ReaderWriter => "a reader-writer lock",
        LockKind.Semaphore => $"a semaphore of {limit}",
        _ => "an exclusive lock",
    };

    /// <summary>The holders in words, for errors.</summary>
    public string DescribeHolders()
        => AllHolders.Count == 0
            ? "nobody"
            : string.Join(", ", AllHolders.Take(5).Select(h => $"lease {h.Lease}{(h.Owner.Length > 0 ? $" ({h.Owner})" : "")}{(h.Mode is LockMode.Read or LockMode.Write ? $" [{h.Mode.ToString().ToLowerInvariant()}]" : "")} with fencing token {h.FencingToken}"))
              + (AllHolders.Count > 5 ? $" and {AllHolders.Count - 5} more" : "");
    /// <summary>Most waiters an answer lists; a lock may have many more queued (see <see cref="WaiterCount"/>).</summary>
    public const int WaitersInAnswers = 100;

    /// <summary>
    /// How many leases wait, when <see cref="Waiters"/> lists only the first of them (an answer, see
    /// <see cref="ForAnswer"/>); null when it lists them all.
    /// </summary>
    public int? TotalWaiters { get; init; }

    /// <summary>How many leases wait for the lock.</summary>
    public int WaiterCount => TotalWaiters ?? Waiters.Count;

    /// <summary>
    /// The record as an answer carries it: the holder and the first <see cref="WaitersInAnswers"/> waiters with the
    /// total, so an answer (and a remembered idempotent outcome) stays small however long the queue is.
    /// </summary>
    public LockRecord ForAnswer()
        => Waiters.Count <= WaitersInAnswers ? this : this with { Waiters = Waiters.Take(WaitersInAnswers).ToArray(), TotalWaiters = WaiterCount };

    /// <summary>The stored lock record: name and holder only; each waiter is a record of its own (see <see cref="LockWaiterRecord"/>).</summary>
    public byte[] EncodeHeader()
        => (this with { Waiters = [], TotalWaiters = null }).Encode();

    public byte[] Encode()
    {
        using var stream = new MemoryStream(64);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            Write(writer);
        return stream.ToArray();
    }

    /// <remarks>
    /// Exclusive: <c>[name][hasHolder][holder?][count][waiters]</c>. Shared kinds:
    /// <c>[name][2][version][kind][limit][holderCount][holders with mode][count][waiters with mode]</c>. A list cut short for an answer writes its count as
    /// <c>-(count + 1)</c> followed by the total after the waiters, which readers of the older layout never meet
    /// (they only ever stored whole lists).
    /// </remarks>
    public void Write(BinaryWriter writer)
    {
        writer.Write(Name);
        if (Kind != LockKind.Exclusive)
        {
            WriteShared(writer);
            return;
        }

        writer.Write(Holder is not null);
        if (Holder is { } holder)
        {
            writer.Write(holder.Lease);
            writer.Write(holder.Owner);
            writer.Write(holder.FencingToken);
            writer.Write(holder.GrantedIndex);
        }

        writer.Write(TotalWaiters is null ? Waiters.Count : -(Waiters.Count + 1));
        foreach (var waiter in Waiters)
        {
            writer.Write(waiter.Lease);
            writer.Write(waiter.Owner);
            writer.Write(waiter.QueuedIndex);
        }

        if (TotalWaiters is { } total)
            writer.Write(total);
    }

    private void WriteShared(BinaryWriter writer)
    {
        writer.Write(SharedLayout);
        writer.Write(SharedLayoutVersion);
        writer.Write((byte)Kind);
        writer.Write(Limit);
        writer.Write(Holders.Count);
        foreach (var holder in Holders)
        {
            writer.Write(holder.Lease);
            writer.Write(holder.Owner);
            writer.Write(holder.FencingToken);
            writer.Write(holder.GrantedIndex);
            writer.Write((byte)holder.Mode);
        }

        writer.Write(TotalWaiters is null ? Waiters.Count : -(Waiters.Count + 1));
        foreach (var waiter in Waiters)
        {
            writer.Write(waiter.Lease);
            writer.Write(waiter.Owner);
            writer.Write(waiter.QueuedIndex);
            writer.Write((byte)waiter.Mode);
        }

        if (TotalWaiters is { } total)
            writer.Write(total);
    }

    private static LockRecord ReadShared(BinaryReader reader, string name)
    {
        var version = reader.ReadByte();
        if (version != SharedLayoutVersion)
            throw new InvalidDataException($"Lock '{name}' is stored in shared layout version {version}; this build reads version {SharedLayoutVersion}.");
        var kind = (LockKind)reader.ReadByte();
        var limit = reader.ReadInt32();
        var holders = new LockHolder[reader.ReadInt32()];
        for (var i = 0; i < holders.Length; i++)
            holders[i] = new LockHolder(reader.ReadInt64(), reader.ReadString(), reader.ReadInt64(), reader.ReadInt64()) { Mode = (LockMode)reader.ReadByte() };
        var count = reader.ReadInt32();
        var trimmed = count < 0;
        if (trimmed)
            count = -count - 1;
        var waiters = new LockWaiter[count];
        for (var i = 0; i < count; i++)
            waiters[i] = new LockWaiter(reader.ReadInt64(), reader.ReadString(), reader.ReadInt64()) { Mode = (LockMode)reader.ReadByte() };
        return new LockRecord(name, null, waiters) { Kind = kind, Limit = limit, Holders = holders, TotalWaiters = trimmed ? reader.ReadInt32() : null };
    }

    public static LockRecord Decode(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return Read(reader);
    }

    public static LockRecord Read(BinaryReader reader)
    {
        var name = reader.ReadString();
        var layout = reader.ReadByte();
        if (layout == SharedLayout)
            return ReadShared(reader, name);
        LockHolder? holder = null;
        if (layout != 0)
            holder = new LockHolder(reader.ReadInt64(), reader.ReadString(), reader.ReadInt64(), reader.ReadInt64());
        var count = reader.ReadInt32();
        var trimmed = count < 0;
        if (trimmed)
            count = -count - 1;
        var waiters = new LockWaiter[count];
        for (var i = 0; i < count; i++)
            waiters[i] = new LockWaiter(reader.ReadInt64(), reader.ReadString(), reader.ReadInt64());
        return new LockRecord(name, holder, waiters) { TotalWaiters = trimmed ? reader.ReadInt32() : null };
    }
}
