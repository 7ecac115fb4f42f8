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
    public byte[] Encode()
    {
        using var stream = new MemoryStream(64);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            Write(writer);
        return stream.ToArray();
    }

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

        writer.Write(Waiters.Count);
        foreach (var waiter in Waiters)
        {
            writer.Write(waiter.Lease);
            writer.Write(waiter.Owner);
            writer.Write(waiter.QueuedIndex);
        }
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
        var waiters = new LockWaiter[count];
        for (var i = 0; i < count; i++)
            waiters[i] = new LockWaiter(reader.ReadInt64(), reader.ReadString(), reader.ReadInt64());
        return new LockRecord(name, holder, waiters);
    }
}
