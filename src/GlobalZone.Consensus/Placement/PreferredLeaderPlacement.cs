using DotNext.Net.Cluster.Consensus.Raft;
using GlobalZone.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Moves leadership back to <see cref="NodeOptions.PreferredLeaderSite"/> after a failover (Spanner's default
/// leader region): most writers are near that site, so its leader gives them the short round trip. A leader
/// outside the preferred site hands over, as a leadership transfer and not a crash, once a voter there has been
/// reachable, following it and caught up for <see cref="LeaderPlacementOptions.HealthyFor"/>:
/// <list type="number">
/// <item>the leader stops appending client commands and waits until the target holds its whole log;</item>
/// <item>it steps down and tells the target to campaign at once (Raft's TimeoutNow, see <see cref="LeadershipTransfer"/>).</item>
/// </list>
/// (Should the DotNext build lack what TimeoutNow needs, the older hand-off runs instead: the rival voters hold off
/// campaigning (<see cref="CampaignHold"/>), the leader resigns and holds off itself, and the target wins the next election.)
/// Writes that arrive meanwhile wait inside <see cref="GlobalZoneCluster.ProposeAsync(GlobalZone.StateMachine.Commands.Command, CancellationToken)"/> for the new leader.
/// Each attempt doubles the leader's back-off, so a site that keeps failing cannot make leadership flap.
/// At start-up, voters outside the preferred site hold off campaigning until a leader is seen (at most
/// <see cref="LeaderPlacementOptions.Hold"/>), so that a healthy group elects its first leader in the preferred site.
/// </summary>
public sealed partial class PreferredLeaderPlacement : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly IServiceProvider services;
    private readonly TimeProvider time;
    private readonly NodeOptions options;
    private readonly MemberDirectory directory;
    private readonly PeerProgressMonitor progress;
    private readonly CampaignHold hold;
    private readonly LeadershipHandoffJournal journal;
    private readonly ILogger<PreferredLeaderPlacement> logger;
    private readonly TimeSpan healthyFor;
    private readonly TimeSpan holdFor;
    private readonly TimeSpan initialBackoff;
    private readonly TimeSpan maxBackoff;
    private readonly Dictionary<string, long> healthySinceMs = new();
    private TimeSpan backoff;
    private long notBeforeMs;
    private long? leadingSinceMs;
    private long? preferredLeaderSinceMs;

    public PreferredLeaderPlacement(IServiceProvider services, NodeOptions options, MemberDirectory directory, PeerProgressMonitor progress, CampaignHold hold,
        LeadershipHandoffJournal journal, ILogger<PreferredLeaderPlacement> logger)
    {
        this.services = services;
        time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        this.options = options;
        this.directory = directory;
        this.progress = progress;
        this.hold = hold;
        this.journal = journal;
        this.logger = logger;
        healthyFor = options.LeaderPlacement.HealthyFor(options.Raft);
        holdFor = options.LeaderPlacement.Hold(options.Raft);
        initialBackoff = backoff = options.LeaderPlacement.Backoff(options.Raft);
        maxBackoff = TimeSpan.FromMilliseconds(Math.Max(options.LeaderPlacement.MaxBackoffMs, initialBackoff.TotalMilliseconds));
    }

    private IRaftCluster Raft => services.GetRequiredService<IRaftCluster>();

    private string? PreferredSite => options.LeaderPlacement.Enabled ? options.PreferredLeaderSite : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (directory.Self.IsWitness)
            return;
        try
        {
            await Raft.Readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
            // Asked once the member has loaded its membership (it lives in the data folder, not the configuration).
            var preferredHasVoters = PreferredSite is { } site && directory.Members.Any(m => !m.IsWitness && string.Equals(m.Site, site, StringComparison.OrdinalIgnoreCase));
            if (PreferredSite is { } named && !preferredHasVoters)
                LogNoVoterInPreferredSite(named);
            // At start-up, voters outside the preferred site let the preferred site win the first election (they
            // campaign again as soon as any leader is seen, or after the hold), so a healthy group starts where it
            // should instead of electing anywhere and transferring a few seconds later.
            if (preferredHasVoters && !string.Equals(directory.Self.Site, PreferredSite, StringComparison.OrdinalIgnoreCase))
                await hold.HoldAsync(formerLeader: "", holdFor, stoppingToken).ConfigureAwait(false);
            var lastEvaluation = 0L;
            while (!stoppingToken.IsCancellationRequested)
            {
                await hold.ReleaseIfDueAsync(stoppingToken).ConfigureAwait(false);
                if (time.NowMs() - lastEvaluation >= progress.Interval.TotalMilliseconds)
                {
                    lastEvaluation = time.NowMs();
                    await EvaluateAsync(stoppingToken).ConfigureAwait(false);
                }

                await Task.Delay(Tick, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task EvaluateAsync(CancellationToken token)
    {
        if (PreferredSite is not { } site)
            return;
        var raft = Raft;
        var now = time.NowMs();
        var leader = directory.Find(raft.Leader?.EndPoint);
        TrackPreferredLeader(leader, site, now);
        var leading = leader?.Id == directory.Self.Id && !raft.LeadershipToken.IsCancellationRequested;
        if (!leading || string.Equals(directory.Self.Site, site, StringComparison.OrdinalIgnoreCase))
        {
            leadingSinceMs = null;
            healthySinceMs.Clear();
            return;
        }

        leadingSinceMs ??= now;
        var commit = raft.AuditTrail.LastCommittedEntryIndex;
        var slack = Math.Max(64, commit / 1000);
        MemberProgressReport? best = null;
        foreach (var candidate in directory.Members.Where(m => !m.IsWitness && string.Equals(m.Site, site, StringComparison.OrdinalIgnoreCase)))
        {
            var healthy = progress.Latest.TryGetValue(candidate.Id, out var seen)
                && seen.AgeMs <= 3 * progress.Interval.TotalMilliseconds
                && seen.Report.LeaderId == directory.Self.Id
                && !seen.Report.Standby
                && commit - seen.Report.LastIndex <= slack;
            if (!healthy)
            {
                healthySinceMs.Remove(candidate.Id);
                continue;
            }

            healthySinceMs.TryAdd(candidate.Id, now);
            if (now - healthySinceMs[candidate.Id] >= healthyFor.TotalMilliseconds && (best is null || seen!.Report.LastIndex > best.LastIndex))
                best = seen!.Report;
        }

        if (best is null || now - leadingSinceMs < healthyFor.TotalMilliseconds || now < notBeforeMs)
            return;
        await TransferAsync(directory.Members.First(m => m.Id == best.MemberId), token).ConfigureAwait(false);
    }

    private void TrackPreferredLeader(MemberOptions? leader, string site, long now)
    {
        // A leader in the preferred site that stays put for a while means the site is healthy again: forget past attempts.
        if (leader is not null && string.Equals(leader.Site, site, StringComparison.OrdinalIgnoreCase))
        {
            preferredLeaderSinceMs ??= now;
            if (now - preferredLeaderSinceMs >= 2 * healthyFor.TotalMilliseconds)
                backoff = initialBackoff;
        }
        else
        {
            preferredLeaderSinceMs = null;
        }
    }

    private async Task TransferAsync(MemberOptions target, CancellationToken token)
    {
        var transfer = services.GetRequiredService<LeadershipTransfer>();
        if (transfer.IsSupported)
        {
            // Raft's TimeoutNow: the target campaigns at once, so writes stall for a round trip or two, not an election.
            notBeforeMs = time.NowMs() + (long)backoff.TotalMilliseconds;
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, maxBackoff.Ticks));
            var outcome = await transfer.TransferAsync(target.Id, LeadershipHandoffKinds.PreferredSite, token).ConfigureAwait(false);
            if (outcome is not TransferOutcome.Done)
                LogTransferAbandoned(target.Id, (long)backoff.TotalMilliseconds);
            return;
        }

        await ResignForAsync(target, token).ConfigureAwait(false);
    }

    /// <summary>The hand-off without TimeoutNow (a DotNext build that lacks what <see cref="ElectionShortcut"/> needs): hold the rivals, resign, let the target time out first.</summary>
    private async Task ResignForAsync(MemberOptions target, CancellationToken token)
    {
        var raft = Raft;
        var cluster = services.GetRequiredService<GlobalZoneCluster>();
        var self = directory.Self;
        notBeforeMs = time.NowMs() + (long)backoff.TotalMilliseconds;
        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, maxBackoff.Ticks));
        var term = raft.AuditTrail.Term;
        journal.Begin(LeadershipHandoffKinds.PreferredSite, self.Id, target.Id, term);
        LogTransferStarting(target.Id, target.Site, term);
        var started = time.NowMs();

        // 1. The voters that should not win hold off campaigning (the witness never campaigns).
        var rivals = directory.Members.Where(m => !m.IsWitness && m.Id != self.Id && m.Id != target.Id
            && !string.Equals(m.Site, target.Site, StringComparison.OrdinalIgnoreCase)).ToList();
        var askTimeout = TimeSpan.FromMilliseconds(options.Raft.UpperElectionTimeoutMs);
        await Task.WhenAll(rivals.Select(r => hold.AskToHoldAsync(r, self.Id, holdFor, askTimeout, token))).ConfigureAwait(false);

        // 2. Stop appending client commands and wait until the target holds the whole log.
        cluster.ProposalsPaused = true;
        try
        {
            var caughtUp = false;
            var deadline = time.NowMs() + options.Raft.UpperElectionTimeoutMs;
            while (time.NowMs() < deadline && raft.Leader is { IsRemote: false })
            {
                try
                {
                    using var round = CancellationTokenSource.CreateLinkedTokenSource(token);
                    round.CancelAfter(TimeSpan.FromMilliseconds(options.Raft.LowerElectionTimeoutMs));
                    await raft.ApplyReadBarrierAsync(ReadBarrierType.Strong, round.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or QuorumUnreachableException or NotLeaderException && !token.IsCancellationRequested)
                {
                    // try again until the deadline; the probe below decides
                }

                var report = await progress.ProbeAsync(target.Id, token).ConfigureAwait(false);
                if (report is not null && report.LastIndex >= raft.AuditTrail.LastEntryIndex && !report.Standby)
                {
                    caughtUp = true;
                    break;
                }
            }

            if (!caughtUp || raft.Leader is not { IsRemote: false })
            {
                journal.Resigned(caughtUp ? "abandoned: leadership was lost meanwhile" : $"abandoned: {target.Id} did not catch up in time", abandoned: true);
                LogTransferAbandoned(target.Id, (long)backoff.TotalMilliseconds);
                return;
            }

            // 3. Step down (ResignAsync only acts locally while we lead) and hold off, so the target wins.
            await raft.ResignAsync(token).ConfigureAwait(false);
            await hold.HoldAsync(self.Id, holdFor, token).ConfigureAwait(false);
            journal.Resigned($"{target.Id} held the whole log (index {raft.AuditTrail.LastEntryIndex})");
            LogTransferResigned(target.Id, time.NowMs() - started);
        }
        finally
        {
            cluster.ProposalsPaused = false;
        }
    }

    [LoggerMessage(EventId = 1321, Level = LogLevel.Warning, Message = "Preferred leader site {Site} has no voter; leadership stays where elections put it")]
    private partial void LogNoVoterInPreferredSite(string site);

    [LoggerMessage(EventId = 1322, Level = LogLevel.Information, Message = "Handing leadership to {TargetId} in the preferred site {TargetSite} (term {Term})")]
    private partial void LogTransferStarting(string targetId, string targetSite, long term);

    [LoggerMessage(EventId = 1323, Level = LogLevel.Information, Message = "Resigned for {TargetId} after {ElapsedMs} ms of catch-up")]
    private partial void LogTransferResigned(string targetId, long elapsedMs);

    [LoggerMessage(EventId = 1324, Level = LogLevel.Warning, Message = "Leadership transfer to {TargetId} abandoned; next attempt after {BackoffMs} ms at the earliest")]
    private partial void LogTransferAbandoned(string targetId, long backoffMs);
}
