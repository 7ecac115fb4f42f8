using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Testing;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// Issue 12 as a fault: the leader stops telling one follower (and any other follower it still replicates to) what is
/// committed, with TEST-ONLY peer failpoints, and stops replicating to the rest of the group beyond what a quorum needs,
/// so new writes are acknowledged by members that hold them but never learned they were committed. Once the leader has
/// applied writes past that point, the follower and then the leader are killed with <c>kill -9</c>; the follower keeps
/// exactly what its log had made durable by then. Healing restarts the follower first and lets the group elect a leader
/// without the old leader (which holds every acknowledged write) before restarting it too: an entry the follower
/// acknowledged but did not keep is then lost for good, and the checker sees it. Needs the members' peer failpoints
/// (the run starts them with <c>GlobalZone:Testing:EnablePeerFailpoints</c>).
/// </summary>
internal sealed class KillAfterAckNemesis : INemesis
{
    private static readonly TimeSpan AcknowledgementPatience = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ElectionWithoutTheLeader = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ClientAnswerGrace = TimeSpan.FromMilliseconds(200);

    private MemberSpec? follower;
    private MemberSpec? leader;

    public string Name => "kill-after-ack";

    public bool NeedsPartitioner => false;

    public bool NeedsPeerFailpoints => true;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var cluster = context.Cluster;
        var chosenLeader = await VictimChoice.ChooseAsync(Victim.Leader, context, token).ConfigureAwait(false);
        var chosenFollower = await VictimChoice.ChooseAsync(Victim.Follower, context, token).ConfigureAwait(false);
        if (chosenFollower.Id == chosenLeader.Id)
            return "kill-after-ack: no follower to pick";
        var before = await cluster.Local.TryGetStatusAsync(cluster.Process(chosenLeader), token).ConfigureAwait(false);
        if (before is null || before.LeaderId != chosenLeader.Id)
            return $"kill-after-ack: {chosenLeader.Id} does not lead right now; nothing injected";

        // The leader keeps replicating to just enough members for a quorum (itself, the follower, and as few others as
        // needed), and none of them hears of a commit from now on; the rest hear nothing at all.
        var others = cluster.Members.Where(m => m.Id != chosenLeader.Id && m.Id != chosenFollower.Id).OrderBy(_ => context.Random.Next()).ToList();
        var quorum = cluster.Members.Count / 2 + 1;
        var replicatedTo = others.Take(Math.Max(0, quorum - 2)).Prepend(chosenFollower).ToList();
        var cutOff = others.Skip(Math.Max(0, quorum - 2)).ToList();
        long cap = 0;
        try
        {
            foreach (var member in replicatedTo)
            {
                var state = await cluster.ArmFailpointAsync(chosenLeader, new PeerFailpointRequest { Member = member.Id, Action = PeerFailpointActions.HoldCommitIndex }, token)
                    .ConfigureAwait(false);
                cap = Math.Max(cap, state.Failpoints.Where(f => f.Member == member.Id).Select(f => f.CommitIndexCap ?? 0).DefaultIfEmpty().Max());
            }

            foreach (var member in cutOff)
                await cluster.ArmFailpointAsync(chosenLeader, new PeerFailpointRequest { Member = member.Id, Action = PeerFailpointActions.Drop }, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
        {
            // A member that just restarted may not listen yet: undo what was armed, and let the schedule report it.
            await DisarmQuietlyAsync(cluster, chosenLeader, [.. replicatedTo, .. cutOff]).ConfigureAwait(false);
            throw new InvalidOperationException($"could not arm the failpoints ({e.Message}); nothing injected", e);
        }

        // From here the heal restarts whichever of the two is down.
        follower = chosenFollower;
        leader = chosenLeader;

        // Let writes be acknowledged past what the followers know is committed (the run's clients keep writing), and
        // applied on the leader so their clients have the answer; then kill -9 the follower, then the leader. The
        // follower is killed from outside, once the leader has applied past the cap, rather than by itself right after
        // its acknowledgement: a self-kill can beat the acknowledgement out of the socket on a loaded machine (Kestrel
        // sends it on its own thread), and then nothing is committed past the cap and the fault tests nothing (seen in
        // CI). Waiting costs nothing: the follower never hears the commit (held back above), so a log that keeps
        // entries only once they are known committed (TEST-ONLY AcknowledgeBeforePersisting) still has not kept them.
        var acknowledged = await AcknowledgedPastAsync(cluster.Local, cluster.Process(chosenLeader), cap, token).ConfigureAwait(false);
        cluster.Process(chosenFollower).Kill();
        cluster.Process(chosenLeader).Kill();
        return $"{chosenLeader.Id} held back commit notices to {string.Join(",", replicatedTo.Select(m => m.Id))} (cap {cap})"
               + (cutOff.Count > 0 ? $" and cut off {string.Join(",", cutOff.Select(m => m.Id))}" : "")
               + (acknowledged is { } index ? $"; commit index reached {index} (applied)" : $"; no write acknowledged within {AcknowledgementPatience.TotalSeconds:0} s")
               + $"; kill -9 {chosenFollower.Id} then {chosenLeader.Id}";
    }

    public async Task HealAsync(NemesisContext context, CancellationToken token)
    {
        var cluster = context.Cluster;
        if (follower is { } f && !cluster.Process(f).IsRunning)
            cluster.Process(f).Start();
        if (leader is { } l && !cluster.Process(l).IsRunning)
        {
            // The old leader holds every acknowledged write: the group first gets the chance to elect a leader without it.
            var others = cluster.Members.Where(m => m.Id != l.Id).Select(cluster.Process).Where(p => p.IsRunning).ToList();
            try
            {
                var elected = await cluster.Local.WaitForLeaderAsync(ElectionWithoutTheLeader, others, token).ConfigureAwait(false);
                context.Log.Info($"kill-after-ack: {elected.Id} leads without {l.Id}");
            }
            catch (TimeoutException e)
            {
                context.Log.Info($"kill-after-ack: no leader without {l.Id}: {e.Message}");
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                context.Log.Info($"kill-after-ack: no leader without {l.Id} within {ElectionWithoutTheLeader.TotalSeconds:0} s");
            }

            cluster.Process(l).Start();
        }

        follower = null;
        leader = null;
    }

    private static async Task DisarmQuietlyAsync(Cluster.ClusterUnderTest cluster, MemberSpec leader, IEnumerable<MemberSpec> targets)
    {
        foreach (var (on, target) in targets.Select(t => (leader, t)))
        {
            try
            {
                await cluster.ArmFailpointAsync(on, new PeerFailpointRequest { Member = target.Id, Action = PeerFailpointActions.None }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening: then it holds no failpoint either.
            }
        }
    }

    /// <summary>The leader's applied index once it passes <paramref name="cap"/>; null if it does not in time.</summary>
    private static async Task<long?> AcknowledgedPastAsync(LocalCluster local, MemberProcess leader, long cap, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + AcknowledgementPatience;
        while (DateTime.UtcNow < deadline)
        {
            if (await local.TryGetStatusAsync(leader, token).ConfigureAwait(false) is ClusterStatus { } status && status.AppliedIndex > cap)
            {
                // Applied on the leader: its answers to those writes' clients are on their way; give them a moment.
                await Task.Delay(ClientAnswerGrace, token).ConfigureAwait(false);
                return status.AppliedIndex;
            }

            await Task.Delay(50, token).ConfigureAwait(false);
        }

        return null;
    }
}
