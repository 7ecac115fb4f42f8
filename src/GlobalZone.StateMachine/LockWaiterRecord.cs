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

    /// <summary>Starts the versioned layout; the older layout starts with a lease id, which is never negative.</summary>
    private const long VersionedMarker = -1;

    private const byte LayoutVersion = 1;

    /// <summary>
    /// <c>[lease:8][queuedIndex:8][owner UTF-8]</c> for an exclusive lock's waiter (the older layout, unchanged);
    /// <c>[-1:8][version:1][mode:1][lease:8][queuedIndex:8][owner UTF-8]</c> for a waiter of a shared kind.
    /// </summary>
    public static byte[] Encode(LockWaiter waiter)
    {
        if (waiter.Mode != LockMode.Exclusive)
            return EncodeVersioned(waiter);
        var owner = Encoding.UTF8.GetBytes(waiter.Owner);
        var bytes = new byte[16 + owner.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, waiter.Lease);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), waiter.QueuedIndex);
        owner.CopyTo(bytes, 16);
        return bytes;
    }

    private static byte[] EncodeVersioned(LockWaiter waiter)
    {
        var owner = Encoding.UTF8.GetBytes(waiter.Owner);
        var bytes = new byte[26 + owner.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, VersionedMarker);
        bytes[8] = LayoutVersion;
        bytes[9] = (byte)waiter.Mode;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(10), waiter.Lease);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(18), waiter.QueuedIndex);
        owner.CopyTo(bytes, 26);
        return bytes;
    }

    public static (string LockName, LockWaiter Waiter) Decode(string storageKey, byte[] bytes)
    {
        var name = storageKey[1..storageKey.LastIndexOf(Separator)];
        if (BinaryPrimitives.ReadInt64LittleEndian(bytes) == VersionedMarker)
        {
            if (bytes[8] != LayoutVersion)
                throw new InvalidDataException($"A waiter of lock '{name}' is stored in layout version {bytes[8]}; this build reads version {LayoutVersion}.");
            return (name, new LockWaiter(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(10)), Encoding.UTF8.GetString(bytes.AsSpan(26)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(18)))
            {
                Mode = (LockMode)bytes[9],
            });
        }

        var waiter = new LockWaiter(BinaryPrimitives.ReadInt64LittleEndian(bytes), Encoding.UTF8.GetString(bytes.AsSpan(16)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
        return (name, waiter);
    }
}
