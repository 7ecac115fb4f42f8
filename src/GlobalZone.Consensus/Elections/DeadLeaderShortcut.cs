using System.Net.Sockets;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Starts the election as soon as the leader is known to be gone, instead of when the member's randomised timer runs
/// out. A voter whose leader has been silent for nearly the leader-silence window (the moment
/// <see cref="StickinessWindow"/> lets every voter vote again, 600 ms at the defaults) opens a TCP connection to the leader's port: when the
/// host refuses it, the leader's process is not there (a crash, a kill, a host that rebooted), so no election timeout
/// is left to wait out. The first of the live voters, in a ranking every voter computes alike (the most up-to-date
/// log first, then the preferred site, then id), campaigns as soon as the window has ended; the others keep their timers, so one candidate runs and no votes split.
/// </summary>
/// <remarks>
/// Safety is Raft's own: a vote is still once per term and only for an up-to-date log, and a candidate with an older
/// log loses as usual (the others' timers then elect). Nothing here fires under a live leader: a leader that is only
/// slow, paused or cut off by a partition accepts connections or lets them time out, which leaves the ordinary
/// timers in charge. A stale ranking (members that disagree on who is alive) costs at most a split vote, which the
/// ordinary timers resolve.
/// </remarks>
public sealed partial class DeadLeaderShortcut(IServiceProvider services, MemberDirectory directory, NodeOptions options, CampaignHold hold,
    ILogger<DeadLeaderShortcut> logger)
{
    // Deadlines and waits run on the injected clock (TimeProvider.System unless a test gives a fake one).
    private readonly TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Margin past the leader-silence window, so that voters whose last heartbeat came a moment later also vote.</summary>
    private static readonly TimeSpan VoteMargin = TimeSpan.FromMilliseconds(30);

    /// <summary>Tolerance when comparing the silence measured here with DotNext's own clock of it.</summary>
    private static readonly TimeSpan ContactSlack = TimeSpan.FromMilliseconds(5);

    private int running;

    /// <summary>
    /// Called by <see cref="StickinessWindow"/> when this voter stops deferring to <paramref name="leaderId"/>, whose last
    /// contact was <paramref name="silentFor"/> ago. Runs in the background; at most one check at a time.
    /// </summary>
    public void LeaderWentSilent(string leaderId, TimeSpan silentFor)
    {
        if (directory.Self.IsWitness || Interlocked.Exchange(ref running, 1) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await CheckAsync(leaderId, silentFor).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCheckFailed(e.GetType().Name, e.Message);
            }
            finally
            {
                Volatile.Write(ref running, 0);
            }
        });
    }

    private async Task CheckAsync(string leaderId, TimeSpan silentFor)
    {
        var started = time.NowMs();
        if (directory.FindById(leaderId) is not { } leader || await ProbeAsync(leader).ConfigureAwait(false) != Liveness.Refused)
            return;

        // Rank the live voters, the most up-to-date log first (then the preferred site, then id); only the first
        // campaigns early. With the leader gone the logs no longer change, so every voter that hears the same answers
        // ranks alike; ranking by id alone once chose a voter one entry behind another, whose vote it then lost, and the
        // ordinary timers had to elect (about 0.5 s more).
        var monitor = services.GetRequiredService<PeerProgressMonitor>();
        var own = await monitor.LocalReportAsync(CancellationToken.None).ConfigureAwait(false);
        var probeTimeout = TimeSpan.FromMilliseconds(Math.Max(ConnectTimeout.TotalMilliseconds, options.Raft.LowerElectionTimeoutMs / 4.0));
        var others = directory.Members.Where(m => !m.IsWitness && m.Id != leaderId && m.Id != directory.Self.Id).ToList();
        var reports = await Task.WhenAll(others.Select(m => ProgressOfAsync(monitor, m.Id, probeTimeout))).ConfigureAwait(false);
        var first = FirstToCampaign(reports.OfType<MemberProgressReport>().Append(own), id => directory.FindById(id)?.Site, options.PreferredLeaderSite);
        if (first.MemberId != directory.Self.Id)
            return;

        var probedMs = time.NowMs() - started;
        var raft = services.GetRequiredService<IRaftCluster>();
        var standby = services.GetRequiredService<IStandbyModeSupport>();
        if (raft.Leader is { IsRemote: false } || hold.IsHolding || standby.Standby || services.GetService<ApplyHealth>()?.IsFaulted == true)
            return;

        // Standby now, while the window runs out: DotNext's state change costs tens of milliseconds on a busy machine
        // (up to 190 ms measured), and in standby this member still takes entries and answers votes as a follower
        // does. Only its own timer stops, and the campaign below (or the finally) restarts it.
        var prepareStarted = time.NowMs();
        if (!await ElectionShortcut.EnterStandbyAsync(raft, standby, CancellationToken.None).ConfigureAwait(false))
            return;
        var prepareMs = time.NowMs() - prepareStarted;
        var campaigned = false;
        try
        {
            var wait = TimeSpan.FromMilliseconds(options.Raft.LeaderSilenceWindowMs) + VoteMargin - silentFor - TimeSpan.FromMilliseconds(time.NowMs() - started);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, time).ConfigureAwait(false);

            // Still nobody leading, nothing heard since (a contact sets DotNext's clock again; StickinessWindow zeroes
            // it when the window ends), and free to campaign.
            var silentNow = silentFor + TimeSpan.FromMilliseconds(time.NowMs() - started);
            if (raft.Leader is { IsRemote: false } || directory.Find(raft.Leader?.EndPoint) is { } seen && seen.Id != leaderId
                || ElectionShortcut.SinceLeaderContact(raft) is { } sinceContact && sinceContact < silentNow - ContactSlack || hold.IsHolding
                || services.GetService<ApplyHealth>()?.IsFaulted == true)
                return;
            var campaignStarted = time.NowMs();
            campaigned = await ElectionShortcut.CampaignNowAsync(raft, standby, fromStandby: true, CancellationToken.None).ConfigureAwait(false);
            if (campaigned)
            {
                LogCampaigning(leaderId, (long)(silentFor.TotalMilliseconds + time.NowMs() - started), (long)silentFor.TotalMilliseconds, probedMs,
                    prepareMs, time.NowMs() - campaignStarted);
            }
        }
        finally
        {
            // Not campaigning after all: back to an ordinary follower with its own timer.
            if (!campaigned && standby.Standby && !hold.IsHolding)
                await standby.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The voter that campaigns early: the most up-to-date log (Raft's order: last term, then last index), so that no
    /// live voter refuses it its vote; among equals the preferred site's, then the lowest id.
    /// </summary>
    internal static MemberProgressReport FirstToCampaign(IEnumerable<MemberProgressReport> voters, Func<string, string?> siteOf, string? preferredSite)
        => voters
            .OrderByDescending(r => r.LastTerm)
            .ThenByDescending(r => r.LastIndex)
            .ThenBy(r => preferredSite is not null && string.Equals(siteOf(r.MemberId), preferredSite, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(r => r.MemberId, StringComparer.Ordinal)
            .First();

    /// <summary>A voter's log progress, or null when it does not answer within <paramref name="timeout"/> (then it is not ranked).</summary>
    private static async Task<MemberProgressReport?> ProgressOfAsync(PeerProgressMonitor monitor, string memberId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await monitor.ProbeAsync(memberId, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="member"/>'s host refuses a TCP connection to its port: its process is not there.</summary>
    internal static async Task<bool> RefusesConnectionsAsync(MemberOptions member) => await ProbeAsync(member).ConfigureAwait(false) == Liveness.Refused;

    private enum Liveness
    {
        Accepting,
        Refused,
        Unknown,
    }

    private static async Task<Liveness> ProbeAsync(MemberOptions member)
    {
        if (!Uri.TryCreate(member.Url, UriKind.Absolute, out var url))
            return Liveness.Unknown;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, timeout.Token).ConfigureAwait(false);
            return Liveness.Accepting;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Liveness.Refused;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return Liveness.Unknown; // a timeout or an unreachable network says nothing about the process
        }
    }

    [LoggerMessage(EventId = 1361, Level = LogLevel.Information, Message = "Leader {LeaderId} refuses connections (its process is gone); campaigning now, {SilentMs} ms after its last contact (silence noticed at {NoticedMs} ms, probes took {ProbeMs} ms, standby {StandbyMs} ms, back to normal with a 1 ms timer {CampaignMs} ms)")]
    private partial void LogCampaigning(string leaderId, long silentMs, long noticedMs, long probeMs, long standbyMs, long campaignMs);

    [LoggerMessage(EventId = 1362, Level = LogLevel.Debug, Message = "Dead-leader check failed ({ErrorType}: {Message})")]
    private partial void LogCheckFailed(string errorType, string message);
}
