using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using GlobalZone.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Keeps the witness from stranding its group (TiKV's witness design). The witness is a DotNext standby member: it
/// votes, replicates and counts toward quorums, but never campaigns. That alone can leave the group without a
/// leader: when the leader's site is lost and only the witness holds the newest committed entries, the witness
/// refuses its vote to every voter it can reach (their logs are older) and cannot lead itself.
/// <para>
/// So, when no leader has been seen for <see cref="WitnessOptions.TakeoverAfter"/>, every voter the witness can
/// reach holds an older log than its own (the witness refuses each of them its vote) and none of them follows a
/// leader, the witness leaves standby and campaigns at once (<see cref="ElectionShortcut"/>: the silence was already
/// waited out). Once it leads and its term's no-op has committed (a majority, hence a voter, now holds its whole log),
/// it forces one more replication round so that every reachable voter catches up, then hands leadership to a
/// caught-up voter by TimeoutNow (<see cref="LeadershipTransfer"/>; the preferred site's first) and returns to standby.
/// Without the shortcut it resigns and a caught-up voter wins the next ordinary election. While it leads it serves
/// no client and confirms no read (see <see cref="GlobalZoneCluster"/>). Each takeover doubles the back-off, so the
/// witness cannot loop revert → win → resign; the back-off resets once a voter has led steadily, or at once when the
/// witness handed leadership to a caught-up voter that took it.
/// </para>
/// </summary>
public sealed partial class WitnessSupervisor : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(25);

    /// <summary>How soon the witness campaigns again when a campaign of its did not win.</summary>
    private const long RetryCampaignMs = 150;

    private readonly IServiceProvider services;
    private readonly TimeProvider time;
    private readonly NodeOptions options;
    private readonly MemberDirectory directory;
    private readonly PeerProgressMonitor progress;
    private readonly LeadershipHandoffJournal journal;
    private readonly ILogger<WitnessSupervisor> logger;
    private readonly TimeSpan takeoverAfter;
    private readonly TimeSpan campaignWindow;
    private readonly TimeSpan handoffTimeout;
    private readonly TimeSpan initialBackoff;
    private readonly TimeSpan maxBackoff;
    private TimeSpan backoff;
    private long lastLeaderSeenMs;
    private long voterLeaderSinceMs;
    private long notBeforeMs;
    private long lastReasonCheckMs;
    private string? lastLeaderId;
    private long lastGoneProbeMs;
    private bool lastLeaderGone;

    public WitnessSupervisor(IServiceProvider services, NodeOptions options, MemberDirectory directory, PeerProgressMonitor progress,
        LeadershipHandoffJournal journal, ILogger<WitnessSupervisor> logger)
    {
        this.services = services;
        time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        this.options = options;
        this.directory = directory;
        this.progress = progress;
        this.journal = journal;
        this.logger = logger;
        takeoverAfter = options.Witness.TakeoverAfter(options.Raft);
        campaignWindow = options.Witness.CampaignWindow(options.Raft);
        handoffTimeout = options.Witness.HandoffTimeout(options.Raft);
        initialBackoff = backoff = options.Witness.Backoff(options.Raft);
        maxBackoff = TimeSpan.FromMilliseconds(Math.Max(options.Witness.MaxBackoffMs, initialBackoff.TotalMilliseconds));
    }

    private IRaftCluster Raft => services.GetRequiredService<IRaftCluster>();

    private IStandbyModeSupport Standby => services.GetRequiredService<IStandbyModeSupport>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!directory.Self.IsWitness)
            return;
        try
        {
            await Raft.Readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
            lastLeaderSeenMs = time.NowMs();
            while (!stoppingToken.IsCancellationRequested)
            {
                ObserveLeader();
                if (await HasReasonToLeadAsync(stoppingToken).ConfigureAwait(false))
                    await TakeOverAndHandOffAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(Tick, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private void ObserveLeader()
    {
        var now = time.NowMs();
        if (Raft.Leader is { IsRemote: true } leader)
        {
            lastLeaderSeenMs = now;
            lastLeaderId = directory.Find(leader.EndPoint)?.Id;
            if (voterLeaderSinceMs == 0)
                voterLeaderSinceMs = now;
            else if (now - voterLeaderSinceMs >= 10L * options.Raft.UpperElectionTimeoutMs)
                backoff = initialBackoff; // a voter has led steadily: the last takeover did its job
        }
        else
        {
            voterLeaderSinceMs = 0;
        }
    }

    private async Task<bool> HasReasonToLeadAsync(CancellationToken token)
    {
        var now = time.NowMs();
        if (now < notBeforeMs || !Standby.Standby || now - lastLeaderSeenMs < 2 * Tick.TotalMilliseconds)
            return false;
        // Waiting out the lower election timeout gives the voters their chance to elect among themselves; when the lost
        // leader's host refuses connections its process is gone, and since no voter's log can change without a leader,
        // waiting longer would change nothing (see DeadLeaderShortcut).
        var gone = await LastLeaderGoneAsync(now).ConfigureAwait(false);
        if (now - lastLeaderSeenMs < takeoverAfter.TotalMilliseconds && !gone)
            return false;
        // A witness whose applier stopped cannot lead, not even briefly (see ApplyFaultResponder).
        if (services.GetService<ApplyHealth>()?.IsFaulted == true)
            return false;
        if (now - lastReasonCheckMs < progress.Interval.TotalMilliseconds / 2)
            return false;
        lastReasonCheckMs = now;

        var mine = await progress.LocalReportAsync(token).ConfigureAwait(false);
        var reports = await progress.ProbeAllAsync(token).ConfigureAwait(false);
        if (Raft.Leader is not null)
            return false;
        var voters = reports.Values.Where(r => directory.Members.FirstOrDefault(m => m.Id == r.MemberId) is { IsWitness: false }).ToList();
        if (voters.Any(v => v.LeaderId is not null && !(gone && v.LeaderId == lastLeaderId)))
            return false; // some voter still follows a leader we cannot hear (and that is not known gone): not ours to replace
        if (voters.Count == 0 || voters.Any(v => !mine.HasNewerLogThan(v)))
            return false; // a voter we can reach is as up to date as we are: it can win with our vote, no hand-off needed
        var stale = voters.Select(v => v.MemberId).ToList();
        LogTakingOver(time.NowMs() - lastLeaderSeenMs, string.Join(",", stale), mine.LastIndex, mine.LastTerm);
        return true;
    }

    /// <summary>Whether the leader this witness last followed refuses connections (checked at most every 100 ms).</summary>
    private async Task<bool> LastLeaderGoneAsync(long now)
    {
        if (lastLeaderId is null || directory.FindById(lastLeaderId) is not { } leader)
            return false;
        if (now - lastGoneProbeMs >= 100)
        {
            lastGoneProbeMs = now;
            lastLeaderGone = await DeadLeaderShortcut.RefusesConnectionsAsync(leader).ConfigureAwait(false);
        }

        return lastLeaderGone;
    }

    private async Task TakeOverAndHandOffAsync(CancellationToken token)
    {
        var raft = Raft;
        var started = time.NowMs();
        notBeforeMs = started + (long)backoff.TotalMilliseconds;
        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, maxBackoff.Ticks));
        journal.Begin(LeadershipHandoffKinds.WitnessCatchUp, directory.Self.Id, targetMemberId: null, raft.AuditTrail.Term, "campaigning to bring voters up to date");

        // Campaign at once: the decision above already waited out a leader's silence, so one more election timeout on
        // DotNext's follower timer would only lengthen the outage. Falls back to that timer if the shortcut is missing.
        if (!await ElectionShortcut.CampaignNowAsync(raft, Standby, fromStandby: true, token).ConfigureAwait(false))
            await Standby.RevertToNormalModeAsync(token).ConfigureAwait(false);
        try
        {
            var campaignDeadline = started + (long)campaignWindow.TotalMilliseconds;
            var lastCampaignMs = time.NowMs();
            while (raft.Leader is not { IsRemote: false })
            {
                // A refused pre-vote (a voter just back from a stall may replay the lost leader's last heartbeat and
                // defer to it for a while) would leave the next try to DotNext's full election timeout; try again soon.
                if (raft.Leader is null && time.NowMs() - lastCampaignMs >= RetryCampaignMs
                    && !Standby.Standby)
                {
                    lastCampaignMs = time.NowMs();
                    await ElectionShortcut.CampaignNowAsync(raft, Standby, fromStandby: false, token).ConfigureAwait(false);
                }

                if (raft.Leader is { IsRemote: true } || time.NowMs() >= campaignDeadline)
                {
                    var other = directory.Find(raft.Leader?.EndPoint)?.Id;
                    journal.Resigned(other is null ? "abandoned: the witness did not win in time" : $"abandoned: {other} leads", abandoned: true);
                    LogCampaignAbandoned(other ?? "none", (long)backoff.TotalMilliseconds);
                    return;
                }

                await Task.Delay(Tick, time, token).ConfigureAwait(false);
            }

            var term = raft.AuditTrail.Term;
            LogLeading(term, time.NowMs() - started);
            var caughtUp = await BringVotersUpToDateAsync(raft, token).ConfigureAwait(false);

            // Hand over by TimeoutNow to a caught-up voter (the preferred site's first), so the next leader campaigns
            // now instead of after the voters' election timeout and stickiness; otherwise resign and let them elect.
            var target = caughtUp
                .OrderBy(id => directory.Members.FirstOrDefault(m => m.Id == id)?.Site == options.PreferredLeaderSite ? 0 : 1)
                .FirstOrDefault();
            var transferred = false;
            if (target is not null && raft.Leader is { IsRemote: false })
            {
                var outcome = await services.GetRequiredService<LeadershipTransfer>()
                    .TransferAsync(target, LeadershipHandoffKinds.WitnessCatchUp, token, journalled: false).ConfigureAwait(false);
                transferred = outcome is TransferOutcome.Done or TransferOutcome.NotConfirmed;
                if (outcome == TransferOutcome.Done)
                {
                    // A caught-up voter leads: the takeover did its job, so the loop guard starts over. Doubling here
                    // would make the next, unrelated stranding wait out a growing back-off (measured: 10 s, then more
                    // than 30 s, after site failures a quarter of a minute apart).
                    backoff = initialBackoff;
                    notBeforeMs = time.NowMs() + (long)initialBackoff.TotalMilliseconds;
                }
            }

            // Step down only while we still lead: DotNext's ResignAsync on a follower asks the remote leader to resign.
            if (!transferred && raft.Leader is { IsRemote: false })
                await raft.ResignAsync(token).ConfigureAwait(false);
            journal.Resigned($"led term {term}; caught up: {(caughtUp.Count == 0 ? "none confirmed" : string.Join(",", caughtUp))}"
                + (transferred ? $"; handed to {target} by TimeoutNow" : ""), ledTerm: term);
            // A transfer's new leader can be seen before the line above: complete the record with it now.
            journal.ObserveLeader(directory.Find(raft.Leader?.EndPoint)?.Id);
            LogHandedOff(term, string.Join(",", caughtUp), time.NowMs() - started);
        }
        finally
        {
            // Back to standby whatever happened; nothing here may leave the witness campaigning.
            await Standby.EnableStandbyModeAsync(CancellationToken.None).ConfigureAwait(false);
            lastLeaderSeenMs = time.NowMs();
        }
    }

    /// <summary>Waits (bounded) for this term's no-op to commit and for a round to every reachable voter; returns the voters seen caught up.</summary>
    private async Task<List<string>> BringVotersUpToDateAsync(IRaftCluster raft, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(handoffTimeout);
        try
        {
            // The no-op commits on a majority: from then on some voter holds every entry the witness holds.
            await raft.ApplyReadBarrierAsync(ReadBarrierType.Weak, deadline.Token).ConfigureAwait(false);
            // One more forced round reaches every voter that answers, so they can all win the next election.
            await raft.ApplyReadBarrierAsync(ReadBarrierType.Strong, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or QuorumUnreachableException or NotLeaderException && !token.IsCancellationRequested)
        {
            LogCatchUpIncomplete(e.GetType().Name);
        }

        var last = raft.AuditTrail.LastEntryIndex;
        var reports = await progress.ProbeAllAsync(token).ConfigureAwait(false);
        return reports.Values
            .Where(r => r.LastIndex >= last && directory.Members.FirstOrDefault(m => m.Id == r.MemberId) is { IsWitness: false })
            .Select(r => r.MemberId)
            .ToList();
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "No leader for {NoLeaderMs} ms and every reachable voter ({StaleVoters}) holds an older log than the witness (last {LastIndex}/{LastTerm}): taking leadership to hand it over")]
    private partial void LogTakingOver(long noLeaderMs, string staleVoters, long lastIndex, long lastTerm);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Witness leads term {Term} ({ElapsedMs} ms after deciding to); bringing voters up to date")]
    private partial void LogLeading(long term, long elapsedMs);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Witness resigned leadership of term {Term}; caught-up voters {CaughtUp}; {ElapsedMs} ms since deciding to lead")]
    private partial void LogHandedOff(long term, string caughtUp, long elapsedMs);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Witness campaign abandoned (leader: {LeaderId}); next takeover after {BackoffMs} ms at the earliest")]
    private partial void LogCampaignAbandoned(string leaderId, long backoffMs);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Witness could not confirm every voter caught up ({ErrorType}); resigning anyway")]
    private partial void LogCatchUpIncomplete(string errorType);
}
