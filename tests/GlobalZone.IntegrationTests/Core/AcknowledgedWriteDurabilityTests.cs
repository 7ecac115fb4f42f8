using System.Net;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Testing;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Issue 12: a follower must not acknowledge an entry it can lose. Three voters A (leader), B, C. C is cut off from
/// everyone (TEST-ONLY drop failpoints on every member, both directions, so no iptables is needed), so A and B alone
/// make the majority; a TEST-ONLY failpoint on A caps the commit index A sends
/// B, so B stores and acknowledges the write but never learns it is committed. The write is acknowledged to the
/// client; B is killed (kill -9), then A; B restarts alone (C paused) so its reopened log is observed untouched, then C
/// is resumed and reconnected, and B and C elect a leader without A. The acknowledged write must still be there. Every
/// step waits for what the members report (poll with a deadline), so the only thing left to chance is what B's log kept
/// on disk.
/// Measured on DotNext 6.12's WAL (2026-12-02, this machine): killed from outside (after B reports the entry: 17 runs;
/// the moment the client has the acknowledgement: 10 runs) B always kept the entry; B killing itself right after
/// acknowledging: lost in 13 of 14 acknowledged runs. 6.12 starts a background flush right after each append (not
/// at commit) and acknowledges without waiting for it, so its loss window is about one flush long: only a kill with no
/// grace after the acknowledgement hits it (nearly) every time.
/// </summary>
public sealed class AcknowledgedWriteDurabilityTests(ITestOutputHelper output)
{
    private const string Key = "durability/acknowledged";
    private const string Value = "\"acknowledged-to-the-client\"";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    /// <summary>When B is killed, relative to the acknowledgement of the write.</summary>
    public enum FollowerKill
    {
        /// <summary>
        /// Once B itself reports holding the entry and A reports having held back a commit notice to it: every step
        /// is observed, nothing is left to timing. B has had tens of milliseconds to write the entry down.
        /// </summary>
        AfterItReportsTheEntry,

        /// <summary>
        /// The moment the client has the acknowledgement, before anything else is asked: what B kept is then what it had
        /// made durable within about one replication round of acknowledging. The preconditions are checked afterwards,
        /// on A and C (A committed the entry with C cut off, so B held it).
        /// </summary>
        TheMomentTheWriteIsAcknowledged,

        /// <summary>
        /// B kills itself (TEST-ONLY failpoint <see cref="PeerFailpointActions.CrashAfterAcknowledgingEntries"/>) right
        /// after it sends the acknowledgement of the entry: no grace at all, so B keeps exactly what its log made durable
        /// before acknowledging. The test waits for B's process to be gone.
        /// </summary>
        ByItselfRightAfterAcknowledging,
    }

    [Theory]
    [InlineData(FollowerKill.AfterItReportsTheEntry)]
    [InlineData(FollowerKill.TheMomentTheWriteIsAcknowledged)]
    [InlineData(FollowerKill.ByItselfRightAfterAcknowledging)]
    public async Task A_write_acknowledged_by_a_follower_that_never_learned_the_commit_survives_losing_that_follower_and_the_leader(FollowerKill kill)
    {
        var run = await RunUntilAcknowledgedAsync("ack-durable", kill, acknowledgeBeforePersisting: false);

        Assert.True(run.ValueAfterRecovery == Value,
            $"The acknowledged write was lost: {run}. B acknowledged entry {run.WriteIndex} but reopened without it (issue 12: the log did not make it durable before acknowledging).");
        Assert.True(run.FollowerLastIndexAfterRestart >= run.WriteIndex, $"B reopened without the entry it acknowledged: {run}");
    }

    /// <summary>
    /// The same scenario with <c>GlobalZone:Testing:AcknowledgeBeforePersisting</c> set, which asks the log to acknowledge
    /// appended entries before they are durable and to persist them only once it learns they are committed. It proves the
    /// scenario above detects the loss it guards against (the mutation check of that test): a log that honours the switch
    /// loses the entry on every run, even with B killed only after it reports the entry, so one run is enough.
    /// Guard: a log that does not honour the switch keeps the entry and this test fails, saying so. DotNext 6.12's WAL does
    /// not read the switch, and it writes each appended entry down in the background right after appending it (its loss
    /// window is one background flush, not "until the commit"), so on today's WAL this test fails until the new log is in.
    /// </summary>
    [Fact]
    public async Task With_acknowledge_before_persisting_switched_on_the_same_scenario_detects_the_loss()
    {
        var run = await RunUntilAcknowledgedAsync("ack-early", FollowerKill.AfterItReportsTheEntry, acknowledgeBeforePersisting: true);

        Assert.True(run.LossDetected,
            $"The write survived although GlobalZone:Testing:AcknowledgeBeforePersisting was set; does the log honour the switch? {run}");
        // Loss shows twice over: B's log is short after the restart, and a linearizable read does not find the value.
        Assert.True(run.FollowerLastIndexAfterRestart < run.WriteIndex && run.ValueAfterRecovery != Value, run.ToString());
    }

    /// <summary>
    /// Runs the scenario until the write is acknowledged, at most <see cref="AttemptsForAnAcknowledgement"/> times. Only
    /// <see cref="FollowerKill.ByItselfRightAfterAcknowledging"/> can end without an acknowledgement: B's process dies
    /// as its acknowledgement leaves, and when A does not count it (it did not arrive whole, or A stepped down first) the
    /// client gets 504 (outcome unknown) and there is no acknowledged write to check. That happened in 14 of 22 attempts
    /// here; such an attempt says nothing about durability and is repeated on a fresh cluster.
    /// </summary>
    private async Task<ScenarioRun> RunUntilAcknowledgedAsync(string name, FollowerKill kill, bool acknowledgeBeforePersisting)
    {
        var unacknowledged = new List<string>();
        for (var attempt = 1; attempt <= AttemptsForAnAcknowledgement; attempt++)
        {
            var run = await RunScenarioAsync($"{name}-{attempt}", kill, acknowledgeBeforePersisting);
            if (run is not null)
                return run;
            unacknowledged.Add($"attempt {attempt}");
            output.WriteLine($"attempt {attempt}: the write was not acknowledged; the scenario did not happen, trying again");
        }

        throw new InvalidOperationException($"The write was never acknowledged in {AttemptsForAnAcknowledgement} attempts ({string.Join(", ", unacknowledged)}): no verdict.");
    }

    private const int AttemptsForAnAcknowledgement = 6;

    /// <summary>What one run of the scenario observed.</summary>
    private sealed record ScenarioRun(
        FollowerKill Kill,
        string Leader,
        string Follower,
        string CutOff,
        long WriteIndex,
        long? FollowerLastIndexBeforeKill,
        long? FollowerCommitIndexBeforeKill,
        long FollowerLastIndexAfterRestart,
        string NewLeader,
        string? ValueAfterRecovery)
    {
        public bool LossDetected => FollowerLastIndexAfterRestart < WriteIndex || ValueAfterRecovery != Value;

        public override string ToString()
            => $"kill {Kill}: leader {Leader}, follower {Follower}, cut off {CutOff}; write at index {WriteIndex}; {Follower} before kill: "
               + (FollowerLastIndexBeforeKill is null ? "not asked" : $"last {FollowerLastIndexBeforeKill}, commit {FollowerCommitIndexBeforeKill}") + $"; after restart: last {FollowerLastIndexAfterRestart}; new leader {NewLeader}; "
               + $"value read {ValueAfterRecovery ?? "(absent)"}";
    }

    /// <summary>One run; null when the write was not acknowledged (possible only when B kills itself, see <see cref="RunUntilAcknowledgedAsync"/>).</summary>
    private async Task<ScenarioRun?> RunScenarioAsync(string name, FollowerKill kill, bool acknowledgeBeforePersisting)
    {
        var extra = new Dictionary<string, string> { [PeerFailpointClient.EnableSetting.Key] = PeerFailpointClient.EnableSetting.Value };
        if (acknowledgeBeforePersisting)
            extra["Testing:AcknowledgeBeforePersisting"] = "true";
        await using var cluster = await TestCluster.StartAsync(name, "3+0", output, partitionable: true, configure: s => s with { Extra = extra });
        using var http = new HttpClient(cluster.CreateClientHandler()) { Timeout = TimeSpan.FromSeconds(5) };
        // The failpoint route is member-to-member: with TLS on it admits only a member's certificate (any current one).
        using var peerHttp = new HttpClient(cluster.CreatePeerHandler(cluster.Members[0].Id)) { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = deadline.Token;
        var clusterName = cluster.Cluster.Settings.ClusterName;

        var a = await cluster.WaitForLeaderAsync();
        var followers = cluster.Members.Where(m => m.Id != a.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        var (b, c) = (followers[0], followers[1]);
        output.WriteLine($"A (leader) {a.Id}, B {b.Id}, C {c.Id}");

        // Everyone holds and knows committed everything so far, so what follows starts from one agreed point.
        // (A just-elected leader can answer 504 until its term's first entry commits; the write is idempotent.)
        await Eventually.TrueAsync(async () =>
        {
            using var put = await cluster.Client(a).PutAsync("/v1/kv/durability/before", new StringContent("1", System.Text.Encoding.UTF8, "application/json"), token);
            return put.StatusCode == HttpStatusCode.OK;
        }, StepTimeout, $"a first write through {a.Id}");
        var agreed = await StatusAsync(cluster, a, token);
        foreach (var member in cluster.Members)
        {
            await UntilStatusAsync(cluster, member, s => s.CommitIndex >= agreed.CommitIndex && OwnLastIndex(s) >= agreed.CommitIndex,
                $"{member.Id} to hold and commit index {agreed.CommitIndex}", token);
        }

        // C cut off: from now on A's only majority partner is B.
        await CutOffAsync(peerHttp, clusterName, c, cluster.Members, token);
        // A keeps telling B "committed up to here" and no further.
        var committedBefore = (await StatusAsync(cluster, b, token)).CommitIndex;
        await PeerFailpointClient.ArmAsync(peerHttp, clusterName, a.Spec,
            new PeerFailpointRequest { Member = b.Id, Action = PeerFailpointActions.HoldCommitIndex, CommitIndexCap = committedBefore }, token);

        if (kill == FollowerKill.ByItselfRightAfterAcknowledging)
        {
            await PeerFailpointClient.ArmAsync(peerHttp, clusterName, b.Spec,
                new PeerFailpointRequest { Member = b.Id, Action = PeerFailpointActions.CrashAfterAcknowledgingEntries }, token);
        }

        // The write: acknowledged to the client, so committed on A and B (C cannot have it).
        if (kill == FollowerKill.ByItselfRightAfterAcknowledging)
        {
            using var put = await cluster.Client(a).PutAsync("/v1/kv/" + Key, new StringContent(Value, System.Text.Encoding.UTF8, "application/json"), token);
            if (put.StatusCode != HttpStatusCode.OK)
            {
                output.WriteLine($"PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync(token)}");
                return null;
            }

            await Eventually.TrueAsync(() => Task.FromResult(!b.IsRunning), StepTimeout, $"{b.Id} to kill itself after acknowledging the entry");
        }
        else
        {
            await KvHttp.PutAsync(cluster.Client(a), Key, Value);
        }

        ClusterStatus? bBefore = null;
        if (kill == FollowerKill.TheMomentTheWriteIsAcknowledged)
            b.Kill();

        var writeIndex = (await StatusAsync(cluster, a, token)).CommitIndex;
        Assert.True(writeIndex > committedBefore, $"A's commit index {writeIndex} did not pass {committedBefore} after an acknowledged write");
        var cStatus = await StatusAsync(cluster, c, token);
        Assert.True(OwnLastIndex(cStatus) < writeIndex, $"{c.Id} holds entry {writeIndex} although it was cut off: the scenario is void");
        if (kill == FollowerKill.AfterItReportsTheEntry)
        {
            // B holds the entry (it acknowledged it), and A has tried to tell B it is committed and was held back.
            await UntilStatusAsync(cluster, b, s => OwnLastIndex(s) >= writeIndex, $"{b.Id} to hold entry {writeIndex}", token);
            await Eventually.TrueAsync(
                async () => (await PeerFailpointClient.GetAsync(peerHttp, clusterName, a.Spec, token)).Failpoints.Any(f => f.Member == b.Id && f.Rewritten > 0),
                StepTimeout, $"{a.Id} to send {b.Id} a held-back commit index");
            bBefore = await StatusAsync(cluster, b, token);
            Assert.True(bBefore.CommitIndex < writeIndex,
                $"{b.Id} knows commit index {bBefore.CommitIndex} >= {writeIndex}: the failpoint did not hold it back, the scenario is void");
            b.Kill();
        }

        // Then A: the only other member that had the entry.
        a.Kill();

        // B comes back alone first (C paused, A dead): what its log kept is the durability question, answered before anyone
        // can repair it or B can win an election and append to it.
        c.Pause();
        b.Start();
        var bAfter = await UntilStatusAsync(cluster, b, _ => true, $"{b.Id} to serve after its restart", token);
        var bLastAfterRestart = OwnLastIndex(bAfter);
        output.WriteLine($"{b.Id} reopened with last index {bLastAfterRestart} (entry {writeIndex} acknowledged before the kill)");

        // C rejoins (B's failpoints died with its process; C still drops what it sends B until disarmed), and B and C
        // elect a leader without A.
        c.Resume();
        await PeerFailpointClient.ArmAsync(peerHttp, clusterName, c.Spec, new PeerFailpointRequest { Member = b.Id, Action = PeerFailpointActions.None }, token);
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), [b, c]);
        var value = await LinearizableReadAsync(cluster.Client(newLeader), Key, token);
        var run = new ScenarioRun(kill, a.Id, b.Id, c.Id, writeIndex, bBefore is null ? null : OwnLastIndex(bBefore), bBefore?.CommitIndex, bLastAfterRestart, newLeader.Id, value);
        output.WriteLine(run.ToString());
        return run;
    }

    /// <summary>
    /// Every member drops what it sends <paramref name="victim"/>, and the victim drops what it sends them: a full cut,
    /// made before the call returns. It lasts until the processes holding the failpoints restart or disarm them.
    /// </summary>
    private static async Task CutOffAsync(HttpClient http, string clusterName, MemberProcess victim, IEnumerable<MemberProcess> everyone, CancellationToken token)
    {
        foreach (var other in everyone.Where(m => m.Id != victim.Id))
        {
            await PeerFailpointClient.ArmAsync(http, clusterName, other.Spec, new PeerFailpointRequest { Member = victim.Id, Action = PeerFailpointActions.Drop }, token);
            await PeerFailpointClient.ArmAsync(http, clusterName, victim.Spec, new PeerFailpointRequest { Member = other.Id, Action = PeerFailpointActions.Drop }, token);
        }
    }

    private static long OwnLastIndex(ClusterStatus status)
        => status.Members.Single(m => m.IsLocal).LastLogIndex ?? throw new InvalidOperationException($"{status.MemberId} did not report its last log index.");

    private static async Task<ClusterStatus> StatusAsync(TestCluster cluster, MemberProcess member, CancellationToken token)
        => await cluster.Cluster.TryGetStatusAsync(member, token) ?? throw new InvalidOperationException($"{member.Id} did not report its status.");

    private static Task<ClusterStatus> UntilStatusAsync(TestCluster cluster, MemberProcess member, Func<ClusterStatus, bool> condition, string what, CancellationToken token)
        => Eventually.GetAsync(async () => await cluster.Cluster.TryGetStatusAsync(member, token) is { } status && condition(status) ? status : null, StepTimeout, what);

    /// <summary>The value (JSON text) a linearizable read returns, or null when the key is absent; retries while the new leader settles (503).</summary>
    private static async Task<string?> LinearizableReadAsync(HttpClient client, string key, CancellationToken token)
    {
        var answer = await Eventually.GetAsync<Tuple<string?>>(async () =>
        {
            using var response = await client.GetAsync($"/v1/kv/{key}?consistency=linearizable", token);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return Tuple.Create<string?>(null);
            if (response.StatusCode != HttpStatusCode.OK)
                return null;
            var body = await response.Content.ReadAsStringAsync(token);
            return Tuple.Create<string?>(JsonDocument.Parse(body).RootElement.GetProperty("value").GetRawText());
        }, StepTimeout, $"a linearizable read of {key} via {client.BaseAddress}");
        return answer.Item1;
    }
}
