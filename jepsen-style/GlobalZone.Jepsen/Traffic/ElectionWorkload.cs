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
/// The acts' revisions come from the write answers, so no final read is needed.
/// </remarks>
internal sealed class ElectionWorkload(WorkloadSettings settings) : LeasedLockWorkload(settings)
{
    /// <summary>The election (its lock and its leader key).</summary>
    public const string ElectionName = "jepsen-election";

    /// <summary>The key leaders act on.</summary>
    public const string ActsKey = "election/acts";

    /// <summary>Acts per term: enough that two leaders acting at once would interleave in commit order.</summary>
    public const int ActsPerTerm = 3;

    public override string Name => "election";

    protected override async Task<OperationStatus> HoldAsync(LeaseHold hold, CancellationToken abort)
    {
        var (client, member, lease) = (hold.Client, hold.Member, hold.Lease);
        var term = new Term { Fenced = Settings.Fenced, Lease = lease, Candidate = $"p{client.Process}" };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, ActsKey);
        var campaign = await AcquireAsync(hold, $"/v1/locks/{ElectionName}", term.Candidate, abort).ConfigureAwait(false);
        if (campaign.Outcome != CallOutcome.Ok)
        {
            if (!campaign.Outcome.IsDefinite() || campaign.Outcome == CallOutcome.NotFound)
                await ResignAsync(hold, abort).ConfigureAwait(false);
            return Complete(hold, pending, OperationStatus.Fail, term, $"not elected: {member.Id} {campaign.ErrorText}");
        }

        term = term with { Token = FencingToken(campaign) };
        var fence = $"{ElectionName}:{term.Token}";
        var leaderKey = JsonSerializer.Serialize(new { candidate = term.Candidate, fencingToken = term.Token, fence, lease });
        // The leader key, as the library writes it (fenced, on the lease); not judged, but it is what observers watch.
        var proclaim = await client.Http.SendAsync(HttpMethod.Put, $"{member.Url}/v1/kv/{ElectionName}?lease={lease}", leaderKey, null, abort,
            [new(Contracts.HeaderNames.FencingToken, fence)]).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, proclaim);

        var status = OperationStatus.Fail;
        string? error = null;
        var stallAt = StallDue() ? 1 : -1;
        for (var act = 0; act < ActsPerTerm; act++)
        {
            if (act == stallAt)
                term = term with { PausedMs = await StallAsync(hold, abort).ConfigureAwait(false) };
            var write = await WriteAsync(hold, ActsKey, $"\"{term.Token}:{act}\"", fence, Settings.Fenced, abort).ConfigureAwait(false);
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

        await ResignAsync(hold, abort).ConfigureAwait(false);
        return Complete(hold, pending, status, term, error);
    }

    /// <summary>Resigns by revoking the lease (the grant and the leader key go with it); a fresh lease next term.</summary>
    private static async Task ResignAsync(LeaseHold hold, CancellationToken abort)
    {
        hold.Keeper.Forget(hold.Lease);
        // Best effort: an unreachable cluster lets the lease expire instead.
        await hold.Client.Http.DeleteAsync(hold.Member, $"/v1/leases/{hold.Lease.ToString(CultureInfo.InvariantCulture)}", abort).ConfigureAwait(false);
    }

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
}
