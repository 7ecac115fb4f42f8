using System.Collections.Concurrent;
using System.Text.Json;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using DotNext.Net.Cluster.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Knows how far along every member's log is, by asking each member directly (a <c>gz.progress</c> message) every
/// probe interval. DotNext keeps its leader's per-follower indexes internal, and the witness, which leads no one,
/// needs the same facts: whether a voter it can reach holds an older log than its own. The replies also give
/// <c>GET /v1/cluster</c> its replication lag and last hand-off on every member.
/// </summary>
public sealed partial class PeerProgressMonitor : BackgroundService, IInputChannel
{
    private readonly IServiceProvider services;
    private readonly TimeProvider time;
    private readonly MemberDirectory directory;
    private readonly LeadershipHandoffJournal journal;
    private readonly ILogger<PeerProgressMonitor> logger;
    private readonly ConcurrentDictionary<string, ObservedProgress> latest = new();
    private readonly ConcurrentDictionary<string, (int Failures, long NextRound)> quiet = new();
    private readonly TimeSpan probeTimeout;
    private IRaftCluster? raft;

    public PeerProgressMonitor(IServiceProvider services, MemberDirectory directory, LeadershipHandoffJournal journal, NodeOptions options, ILogger<PeerProgressMonitor> logger)
    {
        this.services = services;
        time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        this.directory = directory;
        this.journal = journal;
        this.logger = logger;
        Interval = TimeSpan.FromMilliseconds(options.ProgressProbeIntervalMs > 0 ? options.ProgressProbeIntervalMs : options.Raft.LowerElectionTimeoutMs);
        // Long enough for a simulated WAN round trip plus a busy peer, short enough that a dead one costs one interval.
        var slowestRoundTrip = options.Wan.Values.DefaultIfEmpty(0).Max();
        probeTimeout = TimeSpan.FromMilliseconds(Math.Max(Interval.TotalMilliseconds, 4 * slowestRoundTrip + 100));
    }

    /// <summary>Time between two probing rounds.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The newest report of each other member (old ones stay, with their age, when a member stops answering).</summary>
    public IReadOnlyDictionary<string, ObservedProgress> Latest => latest;

    private IRaftCluster Raft => raft ??= services.GetRequiredService<IRaftCluster>();

    /// <summary>This member's own report, as it would answer a probe.</summary>
    public async Task<MemberProgressReport> LocalReportAsync(CancellationToken token)
    {
        var log = Raft.AuditTrail;
        var commit = log.LastCommittedEntryIndex;
        var (lastIndex, lastTerm) = await LastLogTermReader.ReadLastAsync(log, token).ConfigureAwait(false);
        return new MemberProgressReport
        {
            MemberId = directory.Self.Id,
            Term = log.Term,
            LastIndex = lastIndex,
            LastTerm = lastTerm,
            CommitIndex = commit,
            AppliedIndex = services.GetRequiredService<RaftStateMachine>().State.AppliedIndex,
            LeaderId = directory.Find(Raft.Leader?.EndPoint)?.Id,
            Standby = services.GetService<IStandbyModeSupport>()?.Standby ?? false,
            LastHandoff = journal.Last,
        };
    }

    /// <summary>Asks every other member now; returns the reports of those that answered within the probe timeout.</summary>
    public async Task<IReadOnlyDictionary<string, MemberProgressReport>> ProbeAllAsync(CancellationToken token)
    {
        var peers = Subscribers().ToList();
        var replies = await Task.WhenAll(peers.Select(p => ProbeAsync(p.Subscriber, p.Member, token))).ConfigureAwait(false);
        return replies.Where(r => r is not null).ToDictionary(r => r!.MemberId, r => r!);
    }

    /// <summary>Asks one member now; null when it does not answer in time.</summary>
    public async Task<MemberProgressReport?> ProbeAsync(string memberId, CancellationToken token)
    {
        var peer = Subscribers().FirstOrDefault(p => p.Member.Id == memberId);
        return peer.Subscriber is null ? null : await ProbeAsync(peer.Subscriber, peer.Member, token).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await Raft.Readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
            Raft.LeaderChanged += OnLeaderChanged;
            for (var round = 0L; !stoppingToken.IsCancellationRequested; round++)
            {
                var started = time.NowMs();
                await ProbeRoundAsync(round, stoppingToken).ConfigureAwait(false);
                var rest = Interval.TotalMilliseconds - (time.NowMs() - started);
                if (rest > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(rest), time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            if (raft is not null)
                raft.LeaderChanged -= OnLeaderChanged;
        }
    }

    /// <summary>
    /// One periodic round. A member that stopped answering is asked less often (every 2nd, 3rd, then 4th round):
    /// each failed call is also a warning in DotNext's log. On-demand probes (<see cref="ProbeAllAsync"/>) ask everyone.
    /// </summary>
    private async Task ProbeRoundAsync(long round, CancellationToken token)
    {
        var due = Subscribers().Where(p => !quiet.TryGetValue(p.Member.Id, out var q) || round >= q.NextRound).ToList();
        var replies = await Task.WhenAll(due.Select(p => ProbeAsync(p.Subscriber, p.Member, token))).ConfigureAwait(false);
        for (var i = 0; i < due.Count; i++)
        {
            var id = due[i].Member.Id;
            if (replies[i] is not null)
            {
                quiet.TryRemove(id, out _);
            }
            else
            {
                var failures = quiet.TryGetValue(id, out var q) ? q.Failures + 1 : 1;
                quiet[id] = (failures, round + 1 + Math.Min(failures, 3));
            }
        }
    }

    private void OnLeaderChanged(DotNext.Net.Cluster.ICluster cluster, DotNext.Net.Cluster.IClusterMember? leader)
        => journal.ObserveLeader(directory.Find(leader?.EndPoint)?.Id);

    private IEnumerable<(ISubscriber Subscriber, MemberOptions Member)> Subscribers()
    {
        if (Raft is not IMessageBus bus)
            yield break;
        foreach (var subscriber in bus.Members)
        {
            if (subscriber.IsRemote && directory.Find(subscriber.EndPoint) is { } member)
                yield return (subscriber, member);
        }
    }

    private async Task<MemberProgressReport?> ProbeAsync(ISubscriber subscriber, MemberOptions member, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(probeTimeout);
        try
        {
            var body = await subscriber.SendMessageAsync(new BytesMessage(MessageNames.Progress, ReadOnlyMemory<byte>.Empty), ReadAllAsync, timeout.Token).ConfigureAwait(false);
            var report = JsonSerializer.Deserialize(body, ProgressJsonContext.Default.MemberProgressReport);
            if (report is null || report.MemberId != member.Id)
                return null;
            latest[member.Id] = new ObservedProgress(report, time.NowMs(), time);
            return report;
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            // Unreachable, paused, cut off or still starting: the member simply has no fresh report.
            LogProbeFailed(member.Id, e.GetType().Name);
            return null;
        }
    }

    private static async ValueTask<byte[]> ReadAllAsync(IMessage message, CancellationToken token)
        => await DotNext.IO.DataTransferObject.ToByteArrayAsync(message, token: token).ConfigureAwait(false);

    async Task<IMessage> IInputChannel.ReceiveMessage(ISubscriber sender, IMessage message, object? context, CancellationToken token)
    {
        var report = await LocalReportAsync(token).ConfigureAwait(false);
        return new BytesMessage(MessageNames.Progress, JsonSerializer.SerializeToUtf8Bytes(report, ProgressJsonContext.Default.MemberProgressReport));
    }

    Task IInputChannel.ReceiveSignal(ISubscriber sender, IMessage signal, object? context, CancellationToken token) => Task.CompletedTask;

    bool IInputChannel.IsSupported(string messageName, bool oneWay) => !oneWay && messageName == MessageNames.Progress;

    [LoggerMessage(EventId = 1341, Level = LogLevel.Debug, Message = "Progress probe of {MemberId} got no answer ({ErrorType})")]
    private partial void LogProbeFailed(string memberId, string errorType);
}
