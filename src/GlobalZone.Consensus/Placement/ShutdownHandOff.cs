using DotNext.Net.Cluster.Consensus.Raft;
using GlobalZone.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// A leader asked to stop (SIGTERM, <c>systemctl stop</c>, a rolling upgrade) hands leadership to a caught-up voter by
/// TimeoutNow (<see cref="LeadershipTransfer"/>) before anything else stops, so writes pause for a round trip or two
/// instead of the followers' election timeout. The host's lifetime calls <see cref="RunAsync"/> when the stop signal
/// arrives and only then stops the application: it cannot run on <c>ApplicationStopping</c>, because DotNext's Raft
/// member stops answering its peers from that moment (measured: every hand-off tried there timed out).
/// Bounded: if the transfer does not finish in time the member stops anyway and the group elects as after a crash.
/// </summary>
public sealed partial class ShutdownHandOff(IServiceProvider services, MemberDirectory directory, NodeOptions options, PeerProgressMonitor progress,
    ILogger<ShutdownHandOff> logger)
{
    // Deadlines and waits run on the injected clock (TimeProvider.System unless a test gives a fake one).
    private readonly TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>Hands leadership over if this member leads; returns at once otherwise. Never throws for a failed hand-off.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var raft = services.GetService<IRaftCluster>();
        var transfer = services.GetService<LeadershipTransfer>();
        if (raft is null || transfer is null || directory.Self.IsWitness || raft.Leader is not { IsRemote: false } || !transfer.IsSupported)
            return;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromMilliseconds(2L * options.Raft.UpperElectionTimeoutMs));
        var started = time.NowMs();
        try
        {
            // The voter that needs least to catch up, the preferred site's first among equals.
            var reports = await progress.ProbeAllAsync(bound.Token).ConfigureAwait(false);
            var target = reports.Values
                .Where(r => !r.Standby && directory.FindById(r.MemberId) is { IsWitness: false } m && m.Id != directory.Self.Id)
                .OrderByDescending(r => r.LastIndex)
                .ThenBy(r => directory.FindById(r.MemberId)?.Site == options.PreferredLeaderSite ? 0 : 1)
                .ThenBy(r => r.MemberId, StringComparer.Ordinal)
                .FirstOrDefault();
            if (target is null)
            {
                LogNoTarget();
                return;
            }

            var outcome = await transfer.TransferAsync(target.MemberId, LeadershipHandoffKinds.Shutdown, bound.Token).ConfigureAwait(false);
            LogHandedOff(target.MemberId, outcome, time.NowMs() - started);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogTimedOut(time.NowMs() - started);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(EventId = 1371, Level = LogLevel.Information, Message = "Stopping while leading: handed leadership to {TargetId} ({Outcome}) in {ElapsedMs} ms")]
    private partial void LogHandedOff(string targetId, TransferOutcome outcome, long elapsedMs);

    [LoggerMessage(EventId = 1372, Level = LogLevel.Warning, Message = "Stopping while leading: the hand-off did not finish within {ElapsedMs} ms; stopping anyway (the group elects as after a crash)")]
    private partial void LogTimedOut(long elapsedMs);

    [LoggerMessage(EventId = 1374, Level = LogLevel.Warning, Message = "Stopping while leading: the hand-off failed ({ErrorType}: {Message}); stopping anyway")]
    private partial void LogFailed(string errorType, string message);

    [LoggerMessage(EventId = 1373, Level = LogLevel.Information, Message = "Stopping while leading: no voter to hand leadership to")]
    private partial void LogNoTarget();
}
