using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Counts leases down on this member's monotonic clock and, while this member leads, proposes the expiry of those
/// that ran out; also proposes forgetting idempotent outcomes older than the configured window.
/// </summary>
/// <remarks>
/// <para>Every member counts, not only the leader: each starts a lease's countdown when it applies the lease's grant
/// or latest keep-alive (keep-alives go through the log). That moment is after the holder sent the keep-alive,
/// so no member's countdown ends before the TTL has passed since a keep-alive the holder saw acknowledged —
/// including a member that becomes leader later (etcd issue 9395). And because a new leader counts from when
/// it learned of the last keep-alive, not from its election, frequent leader changes cannot keep an abandoned
/// lease alive (etcd issue 9888): it expires within about TTL plus the time to elect a leader.</para>
/// <para>After a restart or a snapshot install the countdowns start again from that moment (later, so still safe).
/// An expiry proposal names the renewal it counted from; if a keep-alive commits first, apply keeps the lease.</para>
/// </remarks>
public sealed partial class LeaseKeeper : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan IdempotencyCheckInterval = TimeSpan.FromSeconds(5);

    private readonly GlobalZoneCluster cluster;
    private readonly KeyValueStateMachine state;
    private readonly ILogger<LeaseKeeper> logger;
    private readonly TimeProvider time;
    private readonly long idempotencyWindowMs;
    private readonly Lock gate = new();
    private readonly Dictionary<long, Countdown> countdowns = new();

    public LeaseKeeper(GlobalZoneCluster cluster, KeyValueStateMachine state, NodeOptions options, TimeProvider time, ILogger<LeaseKeeper> logger)
    {
        this.time = time;
        this.cluster = cluster;
        this.state = state;
        this.logger = logger;
        idempotencyWindowMs = (long)options.IdempotencyWindowSeconds * 1000;
        state.LeaseRenewed += OnRenewed;
        state.LeaseEnded += OnEnded;
        state.StateReplaced += RestartAll;
        RestartAll();
    }

    private readonly record struct Countdown(long TtlMs, long RenewIndex, long StartedMs)
    {
        public long DeadlineMs => StartedMs + TtlMs;
    }

    /// <summary>Time left on this member's countdown for a lease, or null when it does not know the lease.</summary>
    public TimeSpan? Remaining(long id)
    {
        lock (gate)
        {
            return countdowns.TryGetValue(id, out var countdown)
                ? TimeSpan.FromMilliseconds(Math.Max(0, countdown.DeadlineMs - time.NowMs()))
                : null;
        }
    }

    private void OnRenewed(LeaseRecord lease)
    {
        lock (gate)
            countdowns[lease.Id] = new Countdown(lease.TtlMs, lease.RenewIndex, time.NowMs());
    }

    private void OnEnded(long id)
    {
        lock (gate)
            countdowns.Remove(id);
    }

    private void RestartAll()
    {
        var now = time.NowMs();
        var leases = state.ListLeases();
        lock (gate)
        {
            countdowns.Clear();
            foreach (var lease in leases)
                countdowns[lease.Id] = new Countdown(lease.TtlMs, lease.RenewIndex, now);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (cluster.Directory.Self.IsWitness)
            return;
        using var timer = new PeriodicTimer(Tick);
        var nextIdempotencyCheck = time.NowMs();
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (!LeadsWithCommittedTerm())
                    continue;
                await ExpireDueLeasesAsync(stoppingToken).ConfigureAwait(false);
                if (time.NowMs() >= nextIdempotencyCheck)
                {
                    nextIdempotencyCheck = time.NowMs() + (long)IdempotencyCheckInterval.TotalMilliseconds;
                    await CompactIdempotencyAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NoLeaderException or OutcomeUnknownException or WitnessServesNoClientsException)
            {
                // Leadership moved: the next leader decides. An expiry that did commit is simply seen applied.
                LogProposalLost(e.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // The Raft member is not started yet or is shutting down.
                LogProposalLost(e.Message);
            }
        }
    }

    private bool LeadsWithCommittedTerm()
    {
        var raft = cluster.Raft;
        return raft.Leader is { IsRemote: false } && !raft.LeadershipToken.IsCancellationRequested;
    }

    private async Task ExpireDueLeasesAsync(CancellationToken token)
    {
        var now = time.NowMs();
        List<LeaseExpiry>? due = null;
        lock (gate)
        {
            foreach (var (id, countdown) in countdowns)
            {
                if (countdown.DeadlineMs <= now)
                    (due ??= []).Add(new LeaseExpiry(id, countdown.RenewIndex));
            }
        }

        if (due is null)
            return;

        // Reconcile with the state first: a countdown for a lease that is gone, or that counts from an older
        // renewal than the state holds (a race with a restart of all countdowns), must not keep proposing.
        due.RemoveAll(d =>
        {
            var lease = state.GetLease(d.Id);
            if (lease is not null && lease.RenewIndex == d.RenewIndex)
                return false;
            lock (gate)
            {
                if (lease is null)
                    countdowns.Remove(d.Id);
                else
                    countdowns[d.Id] = new Countdown(lease.TtlMs, lease.RenewIndex, time.NowMs());
            }

            return true;
        });
        if (due.Count == 0)
            return;
        due.Sort((x, y) => x.Id.CompareTo(y.Id));
        var result = await cluster.ProposeAsync(new LeaseExpireCommand(due), token).ConfigureAwait(false);
        LogExpired(string.Join(",", due.Select(d => d.Id)), result.Revision, result.Succeeded);
    }

    private async Task CompactIdempotencyAsync(CancellationToken token)
    {
        var horizon = time.GetUtcNow().ToUnixTimeMilliseconds() - idempotencyWindowMs;
        if (state.OldestIdempotencyRecordMs is { } oldest && oldest < horizon)
            await cluster.ProposeAsync(new IdempotencyCompactCommand(horizon), token).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Proposed expiry of leases {LeaseIds}: revision {Revision}, any ended: {Ended}")]
    private partial void LogExpired(string leaseIds, long revision, bool ended);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Lease or idempotency housekeeping proposal not completed: {Reason}")]
    private partial void LogProposalLost(string reason);
}
