using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>Which member a process-level or isolation fault picks.</summary>
internal enum Victim
{
    /// <summary>The current leader (found through <c>GET /v1/cluster</c>); a random voter if nobody knows one.</summary>
    Leader,

    /// <summary>Any running member, the witness included.</summary>
    Random,

    /// <summary>A running voter that does not lead.</summary>
    Follower,

    /// <summary>The member the scenario reads from (the stale-read proof), else a follower.</summary>
    ReadTarget,
}

/// <summary>Picks the member a <see cref="Victim"/> names, right now.</summary>
internal static class VictimChoice
{
    public static async Task<MemberSpec> ChooseAsync(Victim victim, NemesisContext context, CancellationToken token)
    {
        var cluster = context.Cluster;
        var running = cluster.Members.Where(m => cluster.Process(m) is { IsRunning: true, IsPaused: false }).ToList();
        if (running.Count == 0)
            throw new InvalidOperationException("No member is running.");
        switch (victim)
        {
            case Victim.Leader:
                if (await cluster.FindLeaderAsync(token).ConfigureAwait(false) is { } leader && running.Contains(leader))
                    return leader;
                var voter = Pick(running.Where(m => !m.IsWitness).DefaultIfEmpty(running[0]).ToList(), context.Random);
                context.Log.Info($"no leader known; picking {voter.Id} instead");
                return voter;
            case Victim.Follower:
            case Victim.ReadTarget when cluster.ReadTarget is null:
                var current = await cluster.FindLeaderAsync(token).ConfigureAwait(false);
                var followers = running.Where(m => !m.IsWitness && m.Id != current?.Id).ToList();
                return Pick(followers.Count > 0 ? followers : running, context.Random);
            case Victim.ReadTarget:
                return cluster.ReadTarget!;
            default:
                return Pick(running, context.Random);
        }
    }

    private static MemberSpec Pick(IReadOnlyList<MemberSpec> members, Random random) => members[random.Next(members.Count)];
}
