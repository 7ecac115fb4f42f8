using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>A network partition as the links to cut (both directions), with a description for the report.</summary>
/// <param name="Description">E.g. <c>{dc1-a,dc2-b} | {dc1-b,dc2-a,dc3-w}</c>.</param>
/// <param name="Cuts">Unordered member pairs that must not reach each other.</param>
internal sealed record PartitionPlan(string Description, IReadOnlyList<(MemberSpec A, MemberSpec B)> Cuts)
{
    /// <summary>Cuts every link between members of different groups.</summary>
    public static PartitionPlan FromGroups(params IReadOnlyList<MemberSpec>[] groups)
    {
        var cuts = new List<(MemberSpec, MemberSpec)>();
        for (var i = 0; i < groups.Length; i++)
        {
            for (var j = i + 1; j < groups.Length; j++)
            {
                foreach (var a in groups[i])
                {
                    foreach (var b in groups[j])
                        cuts.Add((a, b));
                }
            }
        }

        return new PartitionPlan(string.Join(" | ", groups.Select(Describe)), cuts);
    }

    /// <summary>Who each member can still reach (itself included) under this plan.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Reachability(IEnumerable<MemberSpec> members)
    {
        var everyone = members.ToList();
        var cut = new HashSet<(string, string)>(Cuts.SelectMany(c => new[] { (c.A.Id, c.B.Id), (c.B.Id, c.A.Id) }));
        return everyone.ToDictionary(m => m.Id, m => (IReadOnlySet<string>)everyone.Where(o => !cut.Contains((m.Id, o.Id))).Select(o => o.Id).ToHashSet());
    }

    private static string Describe(IEnumerable<MemberSpec> group) => "{" + string.Join(",", group.Select(m => m.Id)) + "}";
}
