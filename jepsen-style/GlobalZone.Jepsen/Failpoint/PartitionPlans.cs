using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>The partition shapes Jepsen uses, planned over a member list (pure functions, so tests can check them).</summary>
internal static class PartitionPlans
{
    /// <summary>The members shuffled and split in two, the smaller half first.</summary>
    public static PartitionPlan RandomHalves(IReadOnlyList<MemberSpec> members, Random random)
    {
        var shuffled = members.OrderBy(_ => random.Next()).ToList();
        var half = shuffled.Count / 2;
        return PartitionPlan.FromGroups(shuffled.Take(half).ToList(), shuffled.Skip(half).ToList());
    }

    /// <summary>One member cut off from all the others.</summary>
    public static PartitionPlan Isolate(MemberSpec member, IReadOnlyList<MemberSpec> members)
        => PartitionPlan.FromGroups([member], members.Where(m => m.Id != member.Id).ToList());

    /// <summary>
    /// Every member can reach a majority (itself and its nearest neighbours on a ring of the shuffled members), but no
    /// two neighbours see the same majority: each has a different idea of who is in charge (Jepsen's majorities ring).
    /// </summary>
    public static PartitionPlan MajoritiesRing(IReadOnlyList<MemberSpec> members, Random random)
    {
        var ring = members.OrderBy(_ => random.Next()).ToList();
        var n = ring.Count;
        var majority = n / 2 + 1;
        // Keep links to neighbours within this ring distance: 2*reach others + itself is at least a majority
        // (reach = ceil((majority - 1) / 2)), and fewer than everyone once there are more than three members.
        var reach = majority / 2;
        var cuts = new List<(MemberSpec, MemberSpec)>();
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var distance = Math.Min(j - i, n - (j - i));
                if (distance > reach)
                    cuts.Add((ring[i], ring[j]));
            }
        }

        return new PartitionPlan("ring " + string.Join("-", ring.Select(m => m.Id)) + $" (each sees {2 * reach + 1} of {n})", cuts);
    }

    /// <summary>The two data-center sites cut from each other; the witness site still reaches both (the bridge).</summary>
    public static PartitionPlan SitesApartWitnessBridging(IReadOnlyList<MemberSpec> members)
    {
        var plan = PartitionPlan.FromGroups(members.Where(m => m.Site == "dc1").ToList(), members.Where(m => m.Site == "dc2").ToList());
        return plan with { Description = plan.Description + ", witness reaches both" };
    }

    /// <summary>One site cut off from the rest.</summary>
    public static PartitionPlan IsolateSite(string site, IReadOnlyList<MemberSpec> members)
        => PartitionPlan.FromGroups(members.Where(m => m.Site == site).ToList(), members.Where(m => m.Site != site).ToList());
}
