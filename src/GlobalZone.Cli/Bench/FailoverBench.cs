using System.Globalization;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Cli.Bench;

/// <summary>The write and read unavailability windows of one fault kind over its trials, in milliseconds.</summary>
internal sealed record FailoverResult(string Fault, IReadOnlyList<double> WriteGapsMs, IReadOnlyList<double> ReadGapsMs, IReadOnlyList<double> LeaderAfterMs);

/// <summary>
/// <c>gz bench failover</c>: starts a local 2+2+1 group (two voters in dc1 and dc2, a witness in dc3) at the shipped
/// election timeouts, or at the ones <c>--wan</c> derives, keeps a writer and a linearizable reader going through the
/// live voters (<see cref="AvailabilityProbe"/>), and runs N trials of each fault:
/// <list type="bullet">
/// <item><b>leader-kill</b>: kill -9 of the leader; restarted and caught up before the next trial.</item>
/// <item><b>leader-sigterm</b>: the leader is stopped gracefully (it hands over first); restarted before the next trial.</item>
/// <item><b>transfer</b>: <c>POST /v1/cluster/leader/transfer</c> to another voter (Raft's TimeoutNow).</item>
/// <item><b>stranded-witness</b>: dc2's voters paused while dc1 and the witness commit 50 writes, both dc1 voters
/// killed, dc2 resumed: only the witness holds the newest entries, so it must lead, catch dc2 up and hand over.</item>
/// </list>
/// Leader placement is off, so that leadership moves only because of the fault being measured.
/// </summary>
internal sealed class FailoverBench(string root, string? wanSpec, int trials, TextWriter progress)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static readonly string[] Faults = ["leader-kill", "leader-sigterm", "transfer", "stranded-witness"];

    public async Task<IReadOnlyList<FailoverResult>> RunAsync(IReadOnlyList<string> faults, CancellationToken token)
    {
        var layout = ClusterLayout.Parse("2+2+1", ClusterLayout.FreePort("127.0.0.1"));
        var settings = new ClusterSettings
        {
            RootDirectory = root,
            ClusterName = "failover-bench",
            Extra = new Dictionary<string, string> { ["LeaderPlacement:Enabled"] = "false" },
        };
        if (wanSpec is not null)
        {
            var (lower, upper) = SimulatedWan.ElectionTimeouts(wanSpec);
            settings = settings.WithWan(wanSpec) with { LowerElectionTimeoutMs = lower, UpperElectionTimeoutMs = upper };
        }

        await using var cluster = LocalCluster.Create(layout, settings);
        cluster.StartAll();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(120), token: token).ConfigureAwait(false);
        using var handler = cluster.CreateHandler();
        using var http = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
        await using var probe = new AvailabilityProbe(handler, "bench-failover/", () => LiveVoters(cluster).Select(m => m.Url).ToList());
        await probe.WaitForSuccessAfterAsync(probe.Now, Bound, token).ConfigureAwait(false);
        progress.WriteLine($"cluster up in {root}; {trials} trial(s) of {string.Join(", ", faults)}");

        var results = new List<FailoverResult>();
        foreach (var fault in faults)
        {
            var writeGaps = new List<double>();
            var readGaps = new List<double>();
            var leaderAfter = new List<double>();
            for (var trial = 1; trial <= trials; trial++)
            {
                var (faultAt, newLeader, leaderMs, restart) = fault switch
                {
                    "leader-kill" => await StopLeaderAsync(cluster, probe, graceful: false, token).ConfigureAwait(false),
                    "leader-sigterm" => await StopLeaderAsync(cluster, probe, graceful: true, token).ConfigureAwait(false),
                    "transfer" => await TransferAsync(cluster, http, probe, trial, token).ConfigureAwait(false),
                    _ => await StrandWitnessAsync(cluster, http, probe, token).ConfigureAwait(false),
                };
                await probe.WaitForSuccessAfterAsync(probe.Now, Bound, token).ConfigureAwait(false);
                await Task.Delay(500, token).ConfigureAwait(false); // successes on both sides of the window
                writeGaps.Add(probe.WriteGapAround(faultAt));
                readGaps.Add(probe.ReadGapAround(faultAt));
                leaderAfter.Add(leaderMs);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{fault} {trial}/{trials}: write gap {writeGaps[^1]:F0} ms, read gap {readGaps[^1]:F0} ms, {newLeader.Id} leads after {leaderMs:F0} ms"));
                foreach (var member in restart)
                    member.Start();
                if (restart.Count > 0)
                    await CaughtUpAsync(cluster, token).ConfigureAwait(false);
            }

            results.Add(new FailoverResult(fault, writeGaps, readGaps, leaderAfter));
        }

        progress.WriteLine($"{probe.Acknowledged} writes acknowledged during the run");
        return results;
    }

    private static async Task<(double FaultAt, MemberProcess Leader, double LeaderMs, IReadOnlyList<MemberProcess> Restart)> StopLeaderAsync(
        LocalCluster cluster, AvailabilityProbe probe, bool graceful, CancellationToken token)
    {
        var leader = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        var faultAt = probe.Now;
        if (graceful)
            await leader.StopAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        else
            leader.Kill();
        var next = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        return (faultAt, next, probe.Now - faultAt, [leader]);
    }

    private static async Task<(double FaultAt, MemberProcess Leader, double LeaderMs, IReadOnlyList<MemberProcess> Restart)> TransferAsync(
        LocalCluster cluster, HttpClient http, AvailabilityProbe probe, int trial, CancellationToken token)
    {
        var leader = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        var others = cluster.Voters.Where(m => m.Id != leader.Id).ToList();
        var target = others[trial % others.Count];
        var faultAt = probe.Now;
        using (var response = await http.PostAsync($"{leader.Url}/v1/cluster/leader/transfer?to={target.Id}", null, token).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"transfer to {target.Id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token).ConfigureAwait(false)}");
        }

        var next = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        return (faultAt, next, probe.Now - faultAt, []);
    }

    private static async Task<(double FaultAt, MemberProcess Leader, double LeaderMs, IReadOnlyList<MemberProcess> Restart)> StrandWitnessAsync(
        LocalCluster cluster, HttpClient http, AvailabilityProbe probe, CancellationToken token)
    {
        var dc1 = cluster.Voters.Where(m => m.Spec.Site == "dc1").ToList();
        var dc2 = cluster.Voters.Where(m => m.Spec.Site == "dc2").ToList();
        var leader = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        if (leader.Spec.Site != "dc1")
        {
            using var moved = await http.PostAsync($"{leader.Url}/v1/cluster/leader/transfer?to={dc1[0].Id}", null, token).ConfigureAwait(false);
            leader = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
            if (leader.Spec.Site != "dc1")
                throw new InvalidOperationException($"leadership did not move to dc1 before the trial ({leader.Id} leads)");
        }

        foreach (var member in dc2)
            member.Pause();
        try
        {
            // Entries only dc1 and the witness hold, acknowledged (so committed) before the loss.
            for (var i = 0; i < 50; i++)
            {
                using var put = await http.PutAsync($"{dc1[i % dc1.Count].Url}/v1/kv/bench-failover/stranded-{Guid.NewGuid():N}", new StringContent("\"v\"", System.Text.Encoding.UTF8, "application/json"), token).ConfigureAwait(false);
                if (!put.IsSuccessStatusCode)
                    throw new InvalidOperationException($"write without dc2 answered {(int)put.StatusCode}");
            }
        }
        catch
        {
            foreach (var member in dc2)
                member.Resume();
            throw;
        }

        var faultAt = probe.Now;
        foreach (var member in dc1)
            member.Kill();
        foreach (var member in dc2)
            member.Resume();
        MemberProcess next;
        while (true)
        {
            next = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
            if (next.Spec.Site == "dc2")
                break;
            await Task.Delay(10, token).ConfigureAwait(false); // the witness leads for a moment: wait for its hand-over
        }

        return (faultAt, next, probe.Now - faultAt, dc1);
    }

    /// <summary>Until every voter has applied what the leader had committed when asked.</summary>
    private static async Task CaughtUpAsync(LocalCluster cluster, CancellationToken token)
    {
        var leader = await cluster.WaitForLeaderAsync(Bound, Running(cluster), token).ConfigureAwait(false);
        var target = (await cluster.TryGetStatusAsync(leader, token).ConfigureAwait(false))?.CommitIndex ?? 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        foreach (var voter in cluster.Voters)
        {
            while ((await cluster.TryGetStatusAsync(voter, deadline.Token).ConfigureAwait(false)) is not { } status || status.AppliedIndex < target)
                await Task.Delay(50, deadline.Token).ConfigureAwait(false);
        }
    }

    private static List<MemberProcess> Running(LocalCluster cluster) => cluster.Members.Where(m => m.IsRunning).ToList();

    private static IEnumerable<MemberProcess> LiveVoters(LocalCluster cluster) => cluster.Voters.Where(m => m.IsRunning && !m.IsPaused);

    /// <summary>min / p50 / p90 / max of <paramref name="values"/>, nearest-rank.</summary>
    public static string Describe(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return "-";
        var sorted = values.Order().ToList();
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]:F0}  p50 {At(0.5):F0}  p90 {At(0.9):F0}  p99 {At(0.99):F0}  max {sorted[^1]:F0}");
    }
}
