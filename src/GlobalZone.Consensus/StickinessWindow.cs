using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GlobalZone.Consensus;

/// <summary>
/// Bounds leader stickiness to the lower election timeout, as the Raft thesis (§4.2.3) specifies. DotNext refuses
/// votes and pre-votes for the member's own randomised election timeout after the last leader contact, so after a
/// leader crash the first voter to time out is refused by every voter whose timeout is longer (all of them, since it
/// timed out first), waits a whole timeout again, and the group elects only when the third-fastest timer has run out
/// (about 1.2 s at 750–1500 ms instead of about 0.95 s). Here a member that has heard nothing from a leader for the
/// lower election timeout stops refusing (<see cref="ElectionShortcut.ForgetLeader"/>), so the first candidate wins.
/// </summary>
/// <remarks>
/// Safety: votes are still once per term and only for an up-to-date log. DotNext sizes the leader lease as the lower
/// election timeout divided by the clock drift bound, measured from before the heartbeat was sent, so it ends before
/// any follower that acknowledged that heartbeat can vote again under this window: the lease stays sound.
/// </remarks>
public sealed class StickinessWindow(IServiceProvider services, NodeOptions options, MemberDirectory directory, DeadLeaderShortcut deadLeader) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var raft = services.GetRequiredService<IRaftCluster>();
        var window = TimeSpan.FromMilliseconds(options.Raft.LowerElectionTimeoutMs);
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
                if (ElectionShortcut.ForgetLeaderSilentFor(raft, window) && silentFor is { } silent && leaderId is not null)
                    deadLeader.LeaderWentSilent(leaderId, silent); // is the leader gone, rather than slow? (see DeadLeaderShortcut)
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
