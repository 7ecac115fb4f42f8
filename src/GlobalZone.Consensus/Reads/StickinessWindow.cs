using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GlobalZone.Consensus;

/// <summary>
/// Bounds leader stickiness to the leader lease (the Raft thesis, §4.2.3, bounds it by the lower election timeout;
/// the lease is what stickiness protects, and it is shorter). DotNext refuses
/// votes and pre-votes for the member's own randomised election timeout after the last leader contact, so after a
/// leader crash the first voter to time out is refused by every voter whose timeout is longer (all of them, since it
/// timed out first), waits a whole timeout again, and the group elects only when the third-fastest timer has run out
/// (about 1.2 s at 750–1500 ms instead of about 0.95 s). Here a member that has heard nothing from a leader for
/// <see cref="RaftTimingOptions.LeaderSilenceWindowMs"/> (600 ms at the defaults) stops refusing
/// (<see cref="ElectionShortcut.ForgetLeader"/>), so the first candidate wins, and <see cref="DeadLeaderShortcut"/>
/// checks whether the leader's process is gone.
/// </summary>
/// <remarks>
/// Safety: votes are still once per term and only for an up-to-date log. DotNext's leader lease (lower election
/// timeout ÷ ClockDriftBound, 500 ms) counts from before the heartbeat round was sent, and a voter's silence counts
/// from after it received that heartbeat; the window is the lease × LeaseClockDrift, so with clocks that differ by
/// less than that factor the lease has ended before any voter that acknowledged the round can vote for someone else:
/// no new leader can commit while the old one still answers reads from its lease.
/// </remarks>
public sealed class StickinessWindow(IServiceProvider services, NodeOptions options, MemberDirectory directory, DeadLeaderShortcut deadLeader) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How long before the window ends the dead-leader check starts (at most a quarter of the window), so its probes
    /// are done by the time the voters may vote: on a busy machine they took up to 70 ms.
    /// </summary>
    private static readonly TimeSpan ProbeLead = TimeSpan.FromMilliseconds(150);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var raft = services.GetRequiredService<IRaftCluster>();
        var window = TimeSpan.FromMilliseconds(options.Raft.LeaderSilenceWindowMs);
        var probeAt = window - TimeSpan.FromTicks(Math.Min(ProbeLead.Ticks, window.Ticks / 4));
        var lastSilence = TimeSpan.Zero;
        try
        {
            await raft.Readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (!ElectionShortcut.IsSupported(raft))
                return;
            using var timer = new PeriodicTimer(Tick);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (raft.Leader is { IsRemote: false })
                    continue;
                var silentFor = ElectionShortcut.SinceLeaderContact(raft);
                var leaderId = directory.Find(raft.Leader?.EndPoint)?.Id;
                // Is the leader gone, rather than slow? (see DeadLeaderShortcut) Asked once as the silence nears the
                // window, so the answer is ready when it ends, and once more when it ends.
                if (silentFor is { } nearing && nearing >= probeAt && lastSilence < probeAt && leaderId is not null)
                    deadLeader.LeaderWentSilent(leaderId, nearing);
                lastSilence = silentFor ?? TimeSpan.Zero;
                if (ElectionShortcut.ForgetLeaderSilentFor(raft, window) && silentFor is { } silent && leaderId is not null)
                    deadLeader.LeaderWentSilent(leaderId, silent);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
