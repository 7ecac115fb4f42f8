using System.Buffers.Binary;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using DotNext.Net.Cluster.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>How a leadership transfer ended.</summary>
public enum TransferOutcome
{
    /// <summary>The target leads.</summary>
    Done,

    /// <summary>This member does not lead (any more); nothing was done.</summary>
    NotLeader,

    /// <summary>The target is unknown, the witness, this member, or refused to campaign; leadership did not move.</summary>
    BadTarget,

    /// <summary>The target did not catch up in time; this member still leads.</summary>
    NotCaughtUp,

    /// <summary>This member stepped down but the target was not seen leading in time (an ordinary election follows).</summary>
    NotConfirmed,

    /// <summary>This DotNext build lacks what the shortcut needs; callers fall back to the resign-based hand-off.</summary>
    Unsupported,
}

/// <summary>
/// Raft's leadership transfer (thesis §3.10, TimeoutNow), built on DotNext, which has none: the leader stops taking
/// client commands, waits until the target holds its whole log, steps down, tells the other members to forget its
/// stickiness, and tells the target to campaign at once (see <see cref="ElectionShortcut"/>). Writes and linearizable
/// reads stall for about the catch-up, one round to the members and one election round trip, not an election timeout.
/// </summary>
/// <remarks>
/// Safety: nothing about votes changes (once per term, only for a log at least as up to date). The leader lease is
/// what needs care, because it rests on followers refusing votes while they hear from the leader: the leader here
/// resigns first (DotNext destroys its lease and cancels its leadership token before <c>ResignAsync</c> returns, and
/// <see cref="GlobalZoneCluster"/> answers no read index once that token is cancelled), and only then asks anyone to
/// forget it. A member forgets only a leader of its own current term that names itself as the sender, so a stale
/// message cannot lift the stickiness that protects a newer leader's lease.
/// </remarks>
public sealed partial class LeadershipTransfer(IServiceProvider services, MemberDirectory directory, NodeOptions options, PeerProgressMonitor progress,
    CampaignHold hold, LeadershipHandoffJournal journal, ILogger<LeadershipTransfer> logger) : IInputChannel
{
    // Deadlines and waits run on the injected clock (TimeProvider.System unless a test gives a fake one).
    private readonly TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    /// <summary>How often the transfer looks for the new leader once the target was told to campaign (a hand-off takes ms).</summary>
    private static readonly TimeSpan NewLeaderPoll = TimeSpan.FromMilliseconds(5);

    private IRaftCluster Raft => services.GetRequiredService<IRaftCluster>();

    private IStandbyModeSupport Standby => services.GetRequiredService<IStandbyModeSupport>();

    /// <summary>True when this DotNext build supports the shortcut (see <see cref="ElectionShortcut"/>).</summary>
    public bool IsSupported => ElectionShortcut.IsSupported(Raft);

    /// <summary>
    /// Moves leadership from this member (the leader) to <paramref name="targetId"/>. Writes that arrive meanwhile
    /// wait inside <see cref="GlobalZoneCluster.ProposeAsync(StateMachine.Commands.Command, CancellationToken)"/> for the new leader.
    /// </summary>
    /// <param name="journalled">False when the caller records the hand-off itself (the witness's catch-up).</param>
    public async Task<TransferOutcome> TransferAsync(string targetId, string kind, CancellationToken token, bool journalled = true)
    {
        var raft = Raft;
        if (!IsSupported)
            return TransferOutcome.Unsupported;
        var target = directory.Members.FirstOrDefault(m => m.Id == targetId);
        if (target is null || target.IsWitness || target.Id == directory.Self.Id)
            return raft.Leader is { IsRemote: false } ? TransferOutcome.BadTarget : TransferOutcome.NotLeader;
        if (!await oneAtATime.WaitAsync(0, token).ConfigureAwait(false))
            return TransferOutcome.NotLeader; // a transfer is already under way: this member is on its way out
        var cluster = services.GetRequiredService<GlobalZoneCluster>();
        try
        {
            if (raft.Leader is not { IsRemote: false } || raft.LeadershipToken.IsCancellationRequested)
                return TransferOutcome.NotLeader;
            var term = raft.AuditTrail.Term;
            var started = time.NowMs();
            if (journalled)
                journal.Begin(kind, directory.Self.Id, target.Id, term);
            LogStarting(target.Id, term, kind);

            // 1. No new client commands, then wait until the target holds the whole log (commands already appending
            //    are included: the last index is re-read on every round).
            cluster.ProposalsPaused = true;
            if (!await WaitForCatchUpAsync(raft, target.Id, token).ConfigureAwait(false))
            {
                if (journalled)
                    journal.Resigned($"abandoned: {target.Id} did not catch up in time", abandoned: true);
                LogAbandoned(target.Id);
                return raft.Leader is { IsRemote: false } ? TransferOutcome.NotCaughtUp : TransferOutcome.NotLeader;
            }

            // 2. Step down. From here this member serves no lease read and confirms no read index.
            if (raft.Leader is not { IsRemote: false } || !await raft.ResignAsync(token).ConfigureAwait(false))
            {
                if (journalled)
                    journal.Resigned("abandoned: leadership was lost meanwhile", abandoned: true);
                return TransferOutcome.NotLeader;
            }

            if (journalled)
                journal.Resigned($"{target.Id} held the whole log (index {raft.AuditTrail.LastEntryIndex}); told to campaign now");
            ElectionShortcut.ForgetLeader(raft);

            // 3. The others forget this member's stickiness, so they answer the target's (pre-)votes now...
            var body = Body(term, directory.Self.Id);
            var rpc = TimeSpan.FromMilliseconds(options.Raft.EffectiveRpcTimeoutMs);
            await Task.WhenAll(directory.Members.Where(m => m.Id != target.Id && m.Id != directory.Self.Id)
                .Select(m => SendAsync(m, MessageNames.ForgetLeader, body, rpc, token))).ConfigureAwait(false);

            // 4. ...and the target campaigns at once.
            var accepted = await SendAsync(target, MessageNames.TimeoutNow, body, rpc, token).ConfigureAwait(false);
            if (!accepted)
                LogTargetRefused(target.Id);
            var deadline = time.NowMs() + options.Raft.UpperElectionTimeoutMs * 2L;
            while (time.NowMs() < deadline)
            {
                if (directory.Find(raft.Leader?.EndPoint) is { } leader && raft.AuditTrail.Term > term)
                {
                    if (journalled)
                        journal.ObserveLeader(leader.Id);
                    LogDone(leader.Id, raft.AuditTrail.Term, time.NowMs() - started);
                    return leader.Id == target.Id ? TransferOutcome.Done : TransferOutcome.NotConfirmed;
                }

                await Task.Delay(NewLeaderPoll, time, token).ConfigureAwait(false);
            }

            return TransferOutcome.NotConfirmed;
        }
        finally
        {
            cluster.ProposalsPaused = false;
            oneAtATime.Release();
        }
    }

    private async Task<bool> WaitForCatchUpAsync(IRaftCluster raft, string targetId, CancellationToken token)
    {
        var deadline = time.NowMs() + options.Raft.UpperElectionTimeoutMs;
        while (time.NowMs() < deadline && raft.Leader is { IsRemote: false })
        {
            var report = await progress.ProbeAsync(targetId, token).ConfigureAwait(false);
            if (report is { Standby: false } && report.LastIndex >= raft.AuditTrail.LastEntryIndex)
                return true;
            try
            {
                // One replication round now rather than at the next heartbeat.
                using var round = CancellationTokenSource.CreateLinkedTokenSource(token);
                round.CancelAfter(TimeSpan.FromMilliseconds(options.Raft.EffectiveRpcTimeoutMs));
                await raft.ForceReplicationAsync(round.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or NotLeaderException && !token.IsCancellationRequested)
            {
                // probe again until the deadline
            }
        }

        return false;
    }

    private static byte[] Body(long term, string fromId)
    {
        var name = Encoding.UTF8.GetBytes(fromId);
        var body = new byte[8 + name.Length];
        BinaryPrimitives.WriteInt64LittleEndian(body, term);
        name.CopyTo(body, 8);
        return body;
    }

    private async Task<bool> SendAsync(MemberOptions member, string name, byte[] body, TimeSpan timeout, CancellationToken token)
    {
        if (Raft is not IMessageBus bus || bus.Members.FirstOrDefault(s => s.IsRemote && directory.Find(s.EndPoint)?.Id == member.Id) is not { } subscriber)
        {
            LogSendFailed(name, member.Id, "not among the Raft library's members");
            return false;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            var reply = await subscriber.SendMessageAsync(new BytesMessage(name, body), ReadAllAsync, deadline.Token).ConfigureAwait(false);
            return reply is [1];
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            LogSendFailed(name, member.Id, e.GetType().Name);
            return false;
        }
    }

    private static async ValueTask<byte[]> ReadAllAsync(IMessage message, CancellationToken token)
        => await DotNext.IO.DataTransferObject.ToByteArrayAsync(message, token: token).ConfigureAwait(false);

    async Task<IMessage> IInputChannel.ReceiveMessage(ISubscriber sender, IMessage message, object? context, CancellationToken token)
    {
        var body = await ReadAllAsync(message, token).ConfigureAwait(false);
        var accepted = false;
        if (body.Length >= 8)
        {
            var term = BinaryPrimitives.ReadInt64LittleEndian(body);
            var from = Encoding.UTF8.GetString(body.AsSpan(8));
            accepted = message.Name == MessageNames.TimeoutNow
                ? await CampaignNowAsync(term, from, token).ConfigureAwait(false)
                : Forget(term, from);
        }

        return new BytesMessage(message.Name, new[] { accepted ? (byte)1 : (byte)0 });
    }

    /// <summary>Only the leader of this member's current term, about itself, and never while it is still seen leading elsewhere in a newer term.</summary>
    private bool FromFormerLeader(long term, string from)
    {
        var raft = Raft;
        if (raft.AuditTrail.Term != term || raft.Leader is { IsRemote: false })
            return false;
        var known = directory.Find(raft.Leader?.EndPoint)?.Id;
        return known is null || known == from;
    }

    private bool Forget(long term, string from)
    {
        if (!FromFormerLeader(term, from))
            return false;
        var done = ElectionShortcut.ForgetLeader(Raft);
        if (done)
            LogForgot(from, term);
        return done;
    }

    private async Task<bool> CampaignNowAsync(long term, string from, CancellationToken token)
    {
        // Held voters, the witness and a member whose applier stopped do not campaign (see CampaignHold, ApplyFaultResponder).
        // Every refusal names its reason: the leader only sees "refused".
        var refusal = directory.Self.IsWitness ? "this member is the witness"
            : hold.IsHolding ? "a campaign hold is in force"
            : services.GetService<ApplyHealth>()?.IsFaulted == true ? "this member's applier stopped"
            : !FromFormerLeader(term, from) ? $"{from} is not the leader of this member's term {Raft.AuditTrail.Term} (asked for term {term})"
            : null;
        if (refusal is null)
        {
            if (await ElectionShortcut.CampaignNowAsync(Raft, Standby, fromStandby: false, token).ConfigureAwait(false))
            {
                LogCampaigning(from, term);
                return true;
            }

            refusal = Standby.Standby ? "this member is in standby" : "the Raft state changed under the request (DotNext refused the timer restart)";
        }

        LogCampaignRefused(from, term, refusal);
        return false;
    }

    Task IInputChannel.ReceiveSignal(ISubscriber sender, IMessage signal, object? context, CancellationToken token) => Task.CompletedTask;

    bool IInputChannel.IsSupported(string messageName, bool oneWay) => !oneWay && messageName is MessageNames.TimeoutNow or MessageNames.ForgetLeader;

    [LoggerMessage(EventId = 1341, Level = LogLevel.Information, Message = "Transferring leadership to {TargetId} (term {Term}, {Kind})")]
    private partial void LogStarting(string targetId, long term, string kind);

    [LoggerMessage(EventId = 1342, Level = LogLevel.Warning, Message = "Leadership transfer to {TargetId} abandoned: it did not catch up in time")]
    private partial void LogAbandoned(string targetId);

    [LoggerMessage(EventId = 1343, Level = LogLevel.Warning, Message = "{TargetId} refused or missed the request to campaign; an ordinary election follows")]
    private partial void LogTargetRefused(string targetId);

    [LoggerMessage(EventId = 1344, Level = LogLevel.Information, Message = "Leadership transfer done: {LeaderId} leads term {Term}, {ElapsedMs} ms after it began")]
    private partial void LogDone(string leaderId, long term, long elapsedMs);

    [LoggerMessage(EventId = 1345, Level = LogLevel.Warning, Message = "Could not send {Message} to {MemberId} ({ErrorType})")]
    private partial void LogSendFailed(string message, string memberId, string errorType);

    [LoggerMessage(EventId = 1346, Level = LogLevel.Information, Message = "{FormerLeaderId} stepped down from term {Term} for a transfer; votes are open now")]
    private partial void LogForgot(string formerLeaderId, long term);

    [LoggerMessage(EventId = 1348, Level = LogLevel.Information, Message = "Not campaigning for {FormerLeaderId}'s transfer of term {Term}: {Reason}")]
    private partial void LogCampaignRefused(string formerLeaderId, long term, string reason);

    [LoggerMessage(EventId = 1347, Level = LogLevel.Information, Message = "Campaigning now: {FormerLeaderId} handed over term {Term}")]
    private partial void LogCampaigning(string formerLeaderId, long term);
}
