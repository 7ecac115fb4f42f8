using System.Text;

namespace GlobalZone.StateMachine;

/// <summary>The current grant of a lock: which lease holds it, its label, and the fencing token of this grant.</summary>
public sealed record LockHolder(long Lease, string Owner, long FencingToken, long GrantedIndex);

/// <summary>A lease waiting for a lock, in arrival order.</summary>
public sealed record LockWaiter(long Lease, string Owner, long QueuedIndex);

/// <summary>
/// A lock as a state-machine fact: the holder (null when free) and the first-in first-out queue of waiters.
/// The queue lives in the replicated state, so its order survives failover. A lock with neither holder nor
/// waiters is not stored.
/// </summary>
public sealed record LockRecord(string Name, LockHolder? Holder, IReadOnlyList<LockWaiter> Waiters)
{
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
    /// <c>[name][hasHolder][holder?][count][waiters]</c>. A list cut short for an answer writes its count as
    /// <c>-(count + 1)</c> followed by the total after the waiters, which readers of the older layout never meet
    /// (they only ever stored whole lists).
    /// </remarks>
    public void Write(BinaryWriter writer)
    {
        writer.Write(Name);
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

    public static LockRecord Decode(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return Read(reader);
    }

    public static LockRecord Read(BinaryReader reader)
    {
        var name = reader.ReadString();
        LockHolder? holder = null;
        if (reader.ReadBoolean())
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
