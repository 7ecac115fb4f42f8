using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Client;

/// <summary>What a call is for, so a route can send reads and updates to different members.</summary>
internal enum CallPurpose
{
    /// <summary>A plain read (linearizable or stale, as the run says).</summary>
    Read,

    /// <summary>A write, or any part of a compare-and-set.</summary>
    Update,
}

/// <summary>
/// Which member one client talks to. A client sticks to one member and moves on only when that member looks
/// unusable (connection refused or broken, timeout, no leader there), as a real client with a member list would.
/// </summary>
internal abstract class ClientRoute
{
    /// <summary>The member to send the next call of this purpose to.</summary>
    public abstract MemberSpec Current(CallPurpose purpose);

    /// <summary>The member used for <paramref name="purpose"/> looked unusable: pick another for next time.</summary>
    public abstract void FailOver(CallPurpose purpose);
}

/// <summary>Sticks to one member of a list, starting at a given one, and walks the list on failover.</summary>
internal sealed class StickyRoute : ClientRoute
{
    private readonly IReadOnlyList<MemberSpec> members;
    private int position;

    public StickyRoute(IReadOnlyList<MemberSpec> members, int start)
    {
        if (members.Count == 0)
            throw new ArgumentException("A route needs at least one member.", nameof(members));
        this.members = members;
        position = start % members.Count;
    }

    public override MemberSpec Current(CallPurpose purpose) => members[position];

    public override void FailOver(CallPurpose purpose) => position = (position + 1) % members.Count;
}

/// <summary>
/// Reads always go to one chosen member, whatever happens to it; updates stick to the others. Used to read from a
/// member the nemesis cuts off while writes go on through the majority (the stale-read proof).
/// </summary>
internal sealed class SplitRoute(MemberSpec reader, StickyRoute updates) : ClientRoute
{
    public override MemberSpec Current(CallPurpose purpose) => purpose == CallPurpose.Read ? reader : updates.Current(purpose);

    public override void FailOver(CallPurpose purpose)
    {
        if (purpose == CallPurpose.Update)
            updates.FailOver(purpose);
    }
}
