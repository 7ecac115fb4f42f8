using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Leader election as the client library does it (<c>GlobalZoneElection</c>): a candidate waits in the queue of the
/// lock <see cref="ElectionName"/> with its own lease, and once granted writes the leader key of the same name
/// (fenced, on its lease). Then it acts as leader: <see cref="ActsPerTerm"/> writes of <see cref="ActsKey"/>, each
/// with the grant's fencing token when <see cref="WorkloadSettings.Fenced"/>. Then it resigns (revokes its lease:
/// lock and leader key go together). Every Nth leader stalls before its second act for longer than its lease
/// (keep-alives too): another candidate is elected meanwhile, and only fencing keeps the stale leader from acting.
/// </summary>
/// <remarks>
/// Each term is recorded as one write of <see cref="ActsKey"/>, invoked before the campaign and completed after the
/// resignation (ok: at least one act accepted; fail: not elected, or no act accepted; info: an act's outcome is
/// unknown). Its output is a <see cref="Term"/>: the token, and the revision each accepted act committed at.
/// </remarks>
internal sealed class ElectionWorkload(WorkloadSettings settings) : IWorkload, IDisposable
{
    /// <summary>The election (its lock and its leader key).</summary>
    public const string ElectionName = "jepsen-election";

    /// <summary>The key leaders act on.</summary>
    public const string ActsKey = "election/acts";

    /// <summary>Acts per term: enough that two leaders acting at once would interleave in commit order.</summary>
    public const int ActsPerTerm = 3;

    private readonly ConcurrentDictionary<int, LeaseKeeper> leases = new();
    private readonly CancellationTokenSource stopKeepAlives = new();
    private int terms;

    public string Name => "election";

    public async Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var keeper = leases.GetOrAdd(client.Index, _ => new LeaseKeeper(client.Http, settings.LeaseTtl, stopKeepAlives.Token));
        var member = client.Target(CallPurpose.Update);
        keeper.UseMember(member);
        var (lease, leaseCall) = await keeper.EnsureAsync(member, abort).ConfigureAwait(false);
        if (lease == 0)
        {
            client.Observe(CallPurpose.Update, leaseCall);
            return OperationStatus.Fail;
        }

        var term = new Term { Fenced = settings.Fenced, Lease = lease, Candidate = $"p{client.Process}" };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, ActsKey);
        var wait = settings.LockWait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var campaign = await client.Http.PostAsync(member, $"/v1/locks/{ElectionName}", $$"""{"lease":{{lease}},"wait":{{wait}},"owner":"{{term.Candidate}}"}""", abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, campaign);
        if (campaign.Outcome != CallOutcome.Ok)
        {
            if (!campaign.Outcome.IsDefinite() || campaign.Outcome == CallOutcome.NotFound)
                await ResignAsync(client, member, keeper, lease, abort).ConfigureAwait(false);
            return Complete(client, pending, OperationStatus.Fail, term, $"not elected: {member.Id} {campaign.ErrorText}");
        }

        using (var grant = JsonDocument.Parse(campaign.Body ?? "{}"))
        {
            term = term with { Token = grant.RootElement.GetProperty("fencingToken").GetInt64() };
        }

        var fence = $"{ElectionName}:{term.Token}";
        var leaderKey = JsonSerializer.Serialize(new { candidate = term.Candidate, fencingToken = term.Token, fence, lease });
        // The leader key, as the library writes it (fenced, on the lease); not judged, but it is what observers watch.
        var proclaim = await client.Http.SendAsync(HttpMethod.Put, $"{member.Url}/v1/kv/{ElectionName}?lease={lease}", leaderKey, null, abort,
            [new(Contracts.HeaderNames.FencingToken, fence)]).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, proclaim);

        var status = OperationStatus.Fail;
        string? error = null;
        var stallAt = settings.ClientPauseEvery > 0 && Interlocked.Increment(ref terms) % settings.ClientPauseEvery == 0 ? 1 : -1;
        for (var act = 0; act < ActsPerTerm; act++)
        {
            if (act == stallAt)
                term = term with { PausedMs = await StallAsync(keeper, settings.ClientPause, abort).ConfigureAwait(false) };
            var value = $"\"{term.Token}:{act}\"";
            var write = settings.Fenced
                ? await client.Http.PutFencedAsync(member, ActsKey, value, fence, abort).ConfigureAwait(false)
                : await client.Http.PutAsync(member, ActsKey, value, ifMatchRevision: null, abort).ConfigureAwait(false);
            client.Observe(CallPurpose.Update, write);
            if (write.Outcome == CallOutcome.Ok)
            {
                using var answer = JsonDocument.Parse(write.Body ?? "{}");
                term = term with { Acts = [.. term.Acts, answer.RootElement.GetProperty("revision").GetInt64()] };
                status = OperationStatus.Ok;
                continue;
            }

            // A refused act means the office was lost; an unknown one may have landed anywhere: either way stop acting.
            if (!write.Outcome.IsDefinite())
                status = OperationStatus.Info;
            error = $"act {act} on {member.Id} {write.ErrorText}";
            break;
        }

        await ResignAsync(client, member, keeper, lease, abort).ConfigureAwait(false);
        return Complete(client, pending, status, term, error);
    }

    private static async Task<long> StallAsync(LeaseKeeper keeper, TimeSpan pause, CancellationToken abort)
    {
        var stalled = Stopwatch.StartNew();
        keeper.Paused = true;
        try
        {
            await Task.Delay(pause, abort).ConfigureAwait(false);
        }
        finally
        {
            keeper.Paused = false;
        }

        return (long)stalled.Elapsed.TotalMilliseconds;
    }

    /// <summary>Resigns by revoking the lease (the grant and the leader key go with it); a fresh lease next term.</summary>
    private static async Task ResignAsync(ClientContext client, ClusterRunner.MemberSpec member, LeaseKeeper keeper, long lease, CancellationToken abort)
    {
        keeper.Forget(lease);
        // Best effort: an unreachable cluster lets the lease expire instead.
        await client.Http.DeleteAsync(member, $"/v1/leases/{lease.ToString(CultureInfo.InvariantCulture)}", abort).ConfigureAwait(false);
    }

    private static OperationStatus Complete(ClientContext client, PendingOperation pending, OperationStatus status, Term term, string? error)
    {
        client.Recorder.Complete(pending, status, JsonSerializer.Serialize(term, TermJson.Options), error);
        return status;
    }

    /// <summary>Stops the keep-alives. The acts' revisions come from the write answers: no final read is needed.</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token) => await stopKeepAlives.CancelAsync().ConfigureAwait(false);

    public void Dispose() => stopKeepAlives.Dispose();

    /// <summary>What one term did, as recorded in its operation's output.</summary>
    internal sealed record Term
    {
        public bool Fenced { get; init; }

        public long Lease { get; init; }

        public string Candidate { get; init; } = "";

        /// <summary>The grant's fencing token; 0 when not elected.</summary>
        public long Token { get; init; }

        /// <summary>The revision each accepted act committed at, in the order they were made.</summary>
        public IReadOnlyList<long> Acts { get; init; } = [];

        /// <summary>How long the leader stalled between its acts.</summary>
        public long PausedMs { get; init; }
    }

    internal static class TermJson
    {
        public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    }
}
