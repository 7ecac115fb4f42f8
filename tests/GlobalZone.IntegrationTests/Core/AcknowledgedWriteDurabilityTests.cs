using System.Net;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Testing;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Issue 12: a follower must not acknowledge an entry it can lose. Three voters A (leader), B, C. C is cut off from
/// everyone (iptables), so A and B alone make the majority; a TEST-ONLY failpoint on A caps the commit index A sends
/// B, so B stores and acknowledges the write but never learns it is committed. The write is acknowledged to the
/// client; B is killed (kill -9), then A; B restarts, C is reconnected, and B and C elect a leader without A. The
/// acknowledged write must still be there. Every step waits for what the members report (poll with a deadline), so the
/// only thing left to chance is what B's log kept on disk.
/// </summary>
public sealed class AcknowledgedWriteDurabilityTests(ITestOutputHelper output)
{
    private const string Key = "durability/acknowledged";
    private const string Value = "\"acknowledged-to-the-client\"";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_write_acknowledged_by_a_follower_that_never_learned_the_commit_survives_losing_that_follower_and_the_leader()
    {
        var run = await RunScenarioAsync("ack-durable", acknowledgeBeforePersisting: false);

        Assert.True(run.ValueAfterRecovery == Value,
            $"The acknowledged write was lost: {run}. B acknowledged entry {run.WriteIndex} but reopened without it (issue 12: the log did not make it durable before acknowledging).");
        Assert.True(run.FollowerLastIndexAfterRestart >= run.WriteIndex, $"B reopened without the entry it acknowledged: {run}");
    }

    /// <summary>
    /// The same scenario with <c>GlobalZone:Testing:AcknowledgeBeforePersisting</c> set, which asks the log to behave like
    /// DotNext 6.12's WAL on purpose (keep appended entries in memory until it learns they are committed). It proves the
    /// scenario above detects the loss it guards against; it is the mutation check of that test.
    /// Why it is meaningful either way: a log that honours the switch loses the entry on every attempt (kill -9 before
    /// any commit notice leaves nothing on disk), so the first attempt suffices. DotNext 6.12's WAL ignores the switch
    /// but loses the entry most of the time anyway (the bug; see the issue for its odds), hence up to three attempts.
    /// A log that ignored the switch and persisted before acknowledging would keep the entry on every attempt, and this
    /// test fails saying so: the switch must be wired, not just declared.
    /// </summary>
    [Fact]
    public async Task With_acknowledge_before_persisting_switched_on_the_same_scenario_detects_the_loss()
    {
        const int Attempts = 3;
        var runs = new List<ScenarioRun>();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var run = await RunScenarioAsync($"ack-early-{attempt}", acknowledgeBeforePersisting: true);
            runs.Add(run);
            output.WriteLine($"attempt {attempt}: {run}");
            if (run.LossDetected)
                break;
        }

        Assert.True(runs[^1].LossDetected,
            $"No attempt lost the write although GlobalZone:Testing:AcknowledgeBeforePersisting was set; does the log honour the switch? {string.Join(" | ", runs)}");
        // Loss shows twice over: B's log is short after the restart, and a linearizable read does not find the value.
        var lost = runs[^1];
        Assert.True(lost.FollowerLastIndexAfterRestart < lost.WriteIndex && lost.ValueAfterRecovery != Value, lost.ToString());
    }

    /// <summary>What one run of the scenario observed.</summary>
    private sealed record ScenarioRun(
        string Leader,
        string Follower,
        string CutOff,
        long WriteIndex,
        long FollowerLastIndexBeforeKill,
        long FollowerCommitIndexBeforeKill,
        long FollowerLastIndexAfterRestart,
        string NewLeader,
        string? ValueAfterRecovery)
    {
        public bool LossDetected => FollowerLastIndexAfterRestart < WriteIndex || ValueAfterRecovery != Value;

        public override string ToString()
            => $"leader {Leader}, follower {Follower}, cut off {CutOff}; write at index {WriteIndex}; {Follower} before kill: last {FollowerLastIndexBeforeKill}, "
               + $"commit {FollowerCommitIndexBeforeKill}; after restart: last {FollowerLastIndexAfterRestart}; new leader {NewLeader}; "
               + $"value read {ValueAfterRecovery ?? "(absent)"}";
    }

    private async Task<ScenarioRun> RunScenarioAsync(string name, bool acknowledgeBeforePersisting)
    {
        var extra = new Dictionary<string, string> { [PeerFailpointClient.EnableSetting.Key] = PeerFailpointClient.EnableSetting.Value };
        if (acknowledgeBeforePersisting)
            extra["Testing:AcknowledgeBeforePersisting"] = "true";
        await using var cluster = await TestCluster.StartAsync(name, "3+0", output, partitionable: true, configure: s => s with { Extra = extra });
        using var partitioner = new NetworkPartitioner();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = deadline.Token;

        var a = await cluster.WaitForLeaderAsync();
        var followers = cluster.Members.Where(m => m.Id != a.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        var (b, c) = (followers[0], followers[1]);
        output.WriteLine($"A (leader) {a.Id}, B {b.Id}, C {c.Id}");

        // Everyone holds and knows committed everything so far, so what follows starts from one agreed point.
        await KvHttp.PutAsync(cluster.Client(a), "durability/before", "1");
        var agreed = await StatusAsync(cluster, a, token);
        foreach (var member in cluster.Members)
        {
            await UntilStatusAsync(cluster, member, s => s.CommitIndex >= agreed.CommitIndex && OwnLastIndex(s) >= agreed.CommitIndex,
                $"{member.Id} to hold and commit index {agreed.CommitIndex}", token);
        }

        // C cut off: from now on A's only majority partner is B.
        partitioner.Isolate(c.Spec, cluster.Members.Select(m => m.Spec));
        // A keeps telling B "committed up to here" and no further.
        var committedBefore = (await StatusAsync(cluster, b, token)).CommitIndex;
        await PeerFailpointClient.ArmAsync(http, a.Spec,
            new PeerFailpointRequest { Member = b.Id, Action = PeerFailpointActions.HoldCommitIndex, CommitIndexCap = committedBefore }, token);

        // The write: acknowledged to the client, so committed on A and B (C cannot have it).
        await KvHttp.PutAsync(cluster.Client(a), Key, Value);
        var writeIndex = (await StatusAsync(cluster, a, token)).CommitIndex;
        Assert.True(writeIndex > committedBefore, $"A's commit index {writeIndex} did not pass {committedBefore} after an acknowledged write");

        // B holds the entry (it acknowledged it), and A has tried to tell B it is committed and was held back.
        var bBefore = await UntilStatusAsync(cluster, b, s => OwnLastIndex(s) >= writeIndex, $"{b.Id} to hold entry {writeIndex}", token);
        await Eventually.TrueAsync(async () => (await PeerFailpointClient.GetAsync(http, a.Spec, token)).Failpoints.Any(f => f.Member == b.Id && f.Rewritten > 0),
            StepTimeout, $"{a.Id} to send {b.Id} a held-back commit index");
        bBefore = await StatusAsync(cluster, b, token);
        Assert.True(bBefore.CommitIndex < writeIndex,
            $"{b.Id} knows commit index {bBefore.CommitIndex} >= {writeIndex}: the failpoint did not hold it back, the scenario is void");
        var cStatus = await StatusAsync(cluster, c, token);
        Assert.True(OwnLastIndex(cStatus) < writeIndex, $"{c.Id} holds entry {writeIndex} although it was cut off: the scenario is void");

        // Lose B (before any commit notice), then A.
        b.Kill();
        a.Kill();

        // B comes back alone first: what its log kept is the durability question, answered before anyone can repair it.
        b.Start();
        var bAfter = await UntilStatusAsync(cluster, b, _ => true, $"{b.Id} to serve after its restart", token);
        var bLastAfterRestart = OwnLastIndex(bAfter);
        output.WriteLine($"{b.Id} reopened with last index {bLastAfterRestart} (entry {writeIndex} acknowledged before the kill)");

        // C rejoins; B and C elect a leader without A.
        partitioner.HealAll();
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), [b, c]);
        var value = await LinearizableReadAsync(cluster.Client(newLeader), Key, token);
        var run = new ScenarioRun(a.Id, b.Id, c.Id, writeIndex, OwnLastIndex(bBefore), bBefore.CommitIndex, bLastAfterRestart, newLeader.Id, value);
        output.WriteLine(run.ToString());
        return run;
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
