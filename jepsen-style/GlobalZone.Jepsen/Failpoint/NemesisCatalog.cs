namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// Every nemesis by name, and the <c>--nemesis</c> syntax: <c>a,b</c> takes turns (one fault per window, round robin),
/// <c>a+b</c> strikes together, <c>all</c> takes turns through every single nemesis, <c>none</c> injects nothing.
/// </summary>
internal static class NemesisCatalog
{
    private static readonly (string Name, string Description, Func<INemesis> Create)[] Entries =
    [
        ("partition-random-halves", "cut the members into two random halves",
            () => new PartitionNemesis("partition-random-halves", (c, _) => Task.FromResult(PartitionPlans.RandomHalves(c.Cluster.Members, c.Random)))),
        ("partition-isolate-leader", "cut the current leader off from everyone",
            () => new PartitionNemesis("partition-isolate-leader", async (c, t) => PartitionPlans.Isolate(await VictimChoice.ChooseAsync(Victim.Leader, c, t).ConfigureAwait(false), c.Cluster.Members))),
        ("partition-isolate-follower", "cut one follower (the scenario's read target if it has one) off from everyone",
            () => new PartitionNemesis("partition-isolate-follower", async (c, t) => PartitionPlans.Isolate(await VictimChoice.ChooseAsync(Victim.ReadTarget, c, t).ConfigureAwait(false), c.Cluster.Members))),
        ("partition-majorities-ring", "each member sees a majority, no two the same one",
            () => new PartitionNemesis("partition-majorities-ring", (c, _) => Task.FromResult(PartitionPlans.MajoritiesRing(c.Cluster.Members, c.Random)))),
        ("partition-dc1-dc2", "cut dc1 from dc2; the witness (dc3) reaches both",
            () => new PartitionNemesis("partition-dc1-dc2", (c, _) => Task.FromResult(PartitionPlans.SitesApartWitnessBridging(c.Cluster.Members)))),
        ("partition-isolate-site", "cut one random site off from the others",
            () => new PartitionNemesis("partition-isolate-site", (c, _) =>
            {
                var sites = c.Cluster.Members.Select(m => m.Site).Distinct().ToList();
                return Task.FromResult(PartitionPlans.IsolateSite(sites[c.Random.Next(sites.Count)], c.Cluster.Members));
            })),
        ("kill-leader", "kill -9 the leader, restart it when the window ends", () => new KillNemesis("kill-leader", Victim.Leader)),
        ("kill-random", "kill -9 a random member, restart it when the window ends", () => new KillNemesis("kill-random", Victim.Random)),
        ("pause-leader", "SIGSTOP the leader, SIGCONT when the window ends", () => new PauseNemesis("pause-leader", Victim.Leader)),
        ("pause-random", "SIGSTOP a random member, SIGCONT when the window ends", () => new PauseNemesis("pause-random", Victim.Random)),
        ("kill-majority", "kill -9 two or three random members at once, restart them when the window ends", () => new KillMajorityNemesis()),
        ("kill-after-ack", "the leader stops sending commit notices to a follower (TEST-ONLY failpoints), writes are acknowledged, the follower dies (SIGKILL) right after acknowledging, kill -9 the leader; restart the follower, then the leader once the rest elected one",
            () => new KillAfterAckNemesis()),
        ("crash-cluster", "kill -9 every member, restart them all when the window ends", () => new ClusterCrashNemesis()),
        ("replace-member", "kill -9 a follower voter and wipe it, remove it from the group, add a fresh member in its site", () => new ReplaceMemberNemesis()),
        ("bitflip", "kill -9 a voter, flip random bytes in one of its data files, restart it; replace it if it refuses to start",
            () => new DataDamageNemesis("bitflip", DataDamage.BitFlip)),
        ("truncate", "kill -9 a voter, truncate one of its data files, restart it; replace it if it refuses to start",
            () => new DataDamageNemesis("truncate", DataDamage.Truncate)),
    ];

    /// <summary>Every single nemesis: name and what it does.</summary>
    public static IEnumerable<(string Name, string Description)> All => Entries.Select(e => (e.Name, e.Description));

    /// <summary>Parses a <c>--nemesis</c> value into the faults to take turns with (empty for <c>none</c>).</summary>
    /// <exception cref="ArgumentException">An unknown name, listing the known ones.</exception>
    public static IReadOnlyList<INemesis> Parse(string specification)
    {
        var text = specification.Trim();
        if (text is "" or "none")
            return [];
        if (text == "all")
            return Entries.Select(e => e.Create()).ToList();
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(turn =>
            {
                var parts = turn.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Create).ToList();
                return parts.Count == 1 ? parts[0] : new CombinedNemesis(parts);
            })
            .ToList();
    }

    private static INemesis Create(string name)
    {
        foreach (var entry in Entries)
        {
            if (entry.Name == name)
                return entry.Create();
        }

        throw new ArgumentException($"Unknown nemesis '{name}'. Known: none, all, {string.Join(", ", Entries.Select(e => e.Name))} (a,b takes turns; a+b strikes together).");
    }
}
