namespace GlobalZone.Server.Capacity;

/// <summary>
/// A counted set of places (open watches, blocked reads). Taking one never blocks: it is there or it is not, so a
/// full member answers at once instead of queueing work it cannot hold.
/// </summary>
internal sealed class ConcurrencySlots(int limit)
{
    private int inUse;

    /// <summary>0: no cap.</summary>
    public int Limit { get; } = limit;

    public int InUse => Volatile.Read(ref inUse);

    /// <summary>A place, released by disposing it; null when all are taken.</summary>
    public Slot? TryTake()
    {
        if (Interlocked.Increment(ref inUse) > Limit && Limit > 0)
        {
            Interlocked.Decrement(ref inUse);
            return null;
        }

        return new Slot(this);
    }

    /// <summary>One place; disposing it more than once releases it once.</summary>
    public sealed class Slot(ConcurrencySlots owner) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                Interlocked.Decrement(ref owner.inUse);
        }
    }
}
