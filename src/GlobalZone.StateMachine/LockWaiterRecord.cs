using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace GlobalZone.StateMachine;

/// <summary>
/// One waiter of a lock as stored: a record of its own per waiter, keyed by lock name and queue position (the Raft
/// index it queued at), so queueing or leaving writes one small record, not the whole queue again. A queue of
/// 10,000 waiters used to be re-encoded whole on every change.
/// </summary>
internal static class LockWaiterRecord
{
    private const char Separator = '\0';

    /// <summary>Lock names never hold control characters (the API refuses them), so NUL ends the name.</summary>
    public static string StorageKey(string lockName, long queuedIndex)
        => string.Concat(StorageKeys.LockWaiterPrefix.ToString(), lockName, Separator.ToString(), queuedIndex.ToString("D19", CultureInfo.InvariantCulture));

    /// <summary><c>[lease:8][queuedIndex:8][owner UTF-8]</c>.</summary>
    public static byte[] Encode(LockWaiter waiter)
    {
        var owner = Encoding.UTF8.GetBytes(waiter.Owner);
        var bytes = new byte[16 + owner.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, waiter.Lease);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), waiter.QueuedIndex);
        owner.CopyTo(bytes, 16);
        return bytes;
    }

    public static (string LockName, LockWaiter Waiter) Decode(string storageKey, byte[] bytes)
    {
        var name = storageKey[1..storageKey.LastIndexOf(Separator)];
        var waiter = new LockWaiter(BinaryPrimitives.ReadInt64LittleEndian(bytes), Encoding.UTF8.GetString(bytes.AsSpan(16)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
        return (name, waiter);
    }
}
