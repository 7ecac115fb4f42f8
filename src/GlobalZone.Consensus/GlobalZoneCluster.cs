using DotNext.Net.Cluster.Consensus;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Messaging;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// What the API layer sees of consensus: propose a command from any member (forwarded to the leader when
/// needed), make local state linearizably fresh (read index), and describe the group.
/// </summary>
/// <remarks>
/// DotNext's follower read barrier asks the leader for its commit index without the leader confirming it still
/// leads, so a deposed leader could hand out a stale index. Here the leader answers a read index only after a
/// confirmation round (or under a valid leader lease) and only if its leadership token survived that round.
/// </remarks>
public sealed partial class GlobalZoneCluster : IInputChannel
{
    private readonly IServiceProvider services;
    private readonly ILogger<GlobalZoneCluster> logger;
    private readonly ReadIndexBatcher localReadIndex;
    private readonly ReadIndexBatcher remoteReadIndex;
    private readonly TimeSpan leaderWait;
    private readonly TimeProvider time;
    private volatile bool proposalsPaused;
    private long acknowledgedIndex;
    private IRaftCluster? raft;
    private IMessageBus? bus;
    private HttpClient? forwardingClient;
    private readonly ProposalForwarder forwarder;
    private readonly ProposalBudget budget;

    public GlobalZoneCluster(IServiceProvider services, RaftStateMachine stateMachine, MemberDirectory directory, NodeOptions options, ILogger<GlobalZoneCluster> logger)
    {
        this.services = services;
        this.logger = logger;
        StateMachine = stateMachine;
        Directory = directory;
        leaderWait = TimeSpan.FromMilliseconds(options.Raft.UpperElectionTimeoutMs * 2);
        time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        ClusterName = options.ClusterName;
        forwarder = new ProposalForwarder(SendForwardedAsync);
        budget = new ProposalBudget(options.ReplicationBudgetKiB << 10);
        localReadIndex = new ReadIndexBatcher(ConfirmLeadershipAsync);
        remoteReadIndex = new ReadIndexBatcher(AskLeaderForReadIndexAsync);
    }

    public RaftStateMachine StateMachine { get; }

    public string ClusterName { get; }

    public KeyValueStateMachine State => StateMachine.State;

    public MemberDirectory Directory { get; }

    public IRaftCluster Raft => raft ??= services.GetRequiredService<IRaftCluster>();

    private IMessageBus Bus => bus ??= services.GetRequiredService<IMessageBus>();

    /// <summary>The leader as this member knows it, or null.</summary>
    public MemberOptions? Leader => Directory.Find(Raft.Leader?.EndPoint);

    public bool IsLeader => Raft.Leader is { IsRemote: false };

    /// <summary>
    /// While true this member, even as leader, appends no client commands (see <see cref="PreferredLeaderPlacement"/>:
    /// a leader handing over stops taking writes so that its successor can hold its whole log).
    /// </summary>
    internal bool ProposalsPaused
    {
        get => proposalsPaused;
        set => proposalsPaused = value;
    }

    /// <summary>
    /// Replicates a command and returns its result once it is applied on this member (so a read here that follows
    /// sees it). Forwards to the leader when this member does not lead.
    /// </summary>
    /// <exception cref="NoLeaderException">No leader could be reached; nothing was done.</exception>
    /// <exception cref="OutcomeUnknownException">The command may or may not have been applied.</exception>
    public Task<CommandResult> ProposeAsync(Command command, CancellationToken token) => ProposeAsync(command, LocalApply.BeforeAnswer, token);

    /// <summary>
    /// As <see cref="ProposeAsync(Command, CancellationToken)"/>; with <see cref="LocalApply.BeforeLocalReads"/> a
    /// forwarded command returns as soon as the leader has applied it, and this member's stale reads wait for it
    /// instead (see <see cref="WaitForAcknowledgedWritesAsync"/>). For callers that answer from the command's result
    /// alone: it spares them a wait for the next replication round to bring the commit index here.
    /// </summary>
    public async Task<CommandResult> ProposeAsync(Command command, LocalApply localApply, CancellationToken token)
    {
        if (Directory.Self.IsWitness)
            throw new WitnessServesNoClientsException();
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.propose");
        activity?.SetTag("globalzone.command", command.GetType().Name);
        try
        {
            var result = await ProposeCoreAsync(command, localApply, activity, token).ConfigureAwait(false);
            activity?.SetTag("globalzone.revision", result.Revision);
            return result;
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }
    }

    private async Task<CommandResult> ProposeCoreAsync(Command command, LocalApply localApply, System.Diagnostics.Activity? activity, CancellationToken token)
    {
        var payload = CommandCodec.Encode(command);
        var started = time.GetTimestamp();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            var leader = Raft.Leader;
            if (leader is { IsRemote: false })
            {
                var local = await TryReplicateAsLeaderAsync(payload, token).ConfigureAwait(false);
                if (local.Reply == LeaderReply.Ok)
                {
                    activity?.SetTag("globalzone.propose.path", "leader");
                    activity?.SetTag("globalzone.raft.index", local.Index);
                    return local.Result!;
                }
                if (local.Reply == LeaderReply.OutcomeUnknown)
                    throw new OutcomeUnknownException("Leadership was lost before the write was known to commit.");
            }
            else if (leader is not null)
            {
                var reply = await ForwardAsync(payload, token).ConfigureAwait(false);
                if (reply.Reply == LeaderReply.Ok)
                {
                    activity?.SetTag("globalzone.propose.path", "forwarded");
                    activity?.SetTag("globalzone.raft.index", reply.Index);
                    if (localApply == LocalApply.BeforeAnswer)
                        await Raft.AuditTrail.WaitForApplyAsync(reply.Index, token).ConfigureAwait(false);
                    else
                        NoteAcknowledged(reply.Index);
                    return reply.Result!;
                }

                if (reply.Reply == LeaderReply.OutcomeUnknown)
                    throw new OutcomeUnknownException("The leader lost leadership before the write was known to commit.");
            }

            if (time.GetElapsedTime(started) >= leaderWait)
                throw new NoLeaderException("No leader accepted the write in time.");
            await WaitForLeaderChangeAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Returns once this member has applied every entry committed before the call began, with the leader's
    /// leadership confirmed in between: a read of local state afterwards is linearizable.
    /// </summary>
    public async Task EnsureLinearizableAsync(CancellationToken token)
    {
        if (Directory.Self.IsWitness)
            throw new WitnessServesNoClientsException();
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.read_index");
        try
        {
            await EnsureLinearizableCoreAsync(activity, token).ConfigureAwait(false);
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }
    }

    private async Task EnsureLinearizableCoreAsync(System.Diagnostics.Activity? activity, CancellationToken token)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            long index;
            try
            {
                var leader = Raft.Leader;
                if (leader is null)
                    throw new NoLeaderException("No leader is known.");
                activity?.SetTag("globalzone.read_index.source", leader.IsRemote ? "leader" : "self");
                index = leader.IsRemote
                    ? await remoteReadIndex.GetAsync().WaitAsync(token).ConfigureAwait(false)
                    : await localReadIndex.GetAsync().WaitAsync(token).ConfigureAwait(false);
                activity?.SetTag("globalzone.raft.index", index);
            }
            catch (NoLeaderException) when (time.GetElapsedTime(started) < leaderWait)
            {
                await WaitForLeaderChangeAsync(token).ConfigureAwait(false);
                continue;
            }

            await Raft.AuditTrail.WaitForApplyAsync(index, token).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// Returns once this member has applied every write it has acknowledged (read-your-writes for stale reads
    /// here). Immediate unless a forwarded write answered before its local apply; bounded by the leader wait, after
    /// which <see cref="NoLeaderException"/> says this member cannot catch up right now.
    /// </summary>
    public async Task WaitForAcknowledgedWritesAsync(CancellationToken token)
    {
        var acknowledged = Volatile.Read(ref acknowledgedIndex);
        if (State.AppliedIndex >= acknowledged)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(leaderWait);
        try
        {
            await Raft.AuditTrail.WaitForApplyAsync(acknowledged, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new NoLeaderException("This member has not yet applied writes it acknowledged and cannot reach the leader to do so.");
        }
    }

    private void NoteAcknowledged(long index)
    {
        var current = Volatile.Read(ref acknowledgedIndex);
        while (index > current)
        {
            var seen = Interlocked.CompareExchange(ref acknowledgedIndex, index, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>How often a proposal that found no usable leader looks again (elections take 150 ms or more).</summary>
    private static readonly TimeSpan LeaderChangePoll = TimeSpan.FromMilliseconds(25);

    private async Task WaitForLeaderChangeAsync(CancellationToken token)
    {
        // A short pause while an election runs; the loop re-checks the leader after it.
        await Task.Delay(LeaderChangePoll, time, token).ConfigureAwait(false);
    }

    private async Task<(LeaderReply Reply, long Index, CommandResult? Result)> TryReplicateAsLeaderAsync(ReadOnlyMemory<byte> payload, CancellationToken token)
    {
        // The witness leads only to hand over, and a leader handing over lets its successor catch up: neither
        // appends client commands (nothing is appended, so the caller may retry with the next leader).
        if (proposalsPaused || Directory.Self.IsWitness)
            return (LeaderReply.NotLeader, 0, null);
        using var room = await budget.AcquireAsync(payload.Length, token).ConfigureAwait(false);
        var stamped = payload.ToArray();
        CommandCodec.StampLeaderTime(stamped, time.GetUtcNow().ToUnixTimeMilliseconds());
        var context = new ProposalContext();
        try
        {
            await Raft.ReplicateAsync(stamped, context, token).ConfigureAwait(false);
        }
        catch (NotLeaderException) when (context.Result is null)
        {
            // Deposed after the entry was appended, or before: from here we cannot tell which.
            return (LeaderReply.OutcomeUnknown, 0, null);
        }

        if (context.Result is { } result)
            return (LeaderReply.Ok, context.Index, result);
        return (LeaderReply.OutcomeUnknown, 0, null);
    }

    private async Task<(LeaderReply Reply, long Index, CommandResult? Result)> ForwardAsync(ReadOnlyMemory<byte> payload, CancellationToken token)
    {
        if (Bus.Leader is not { IsRemote: true } leaderPeer || Directory.Find(leaderPeer.EndPoint) is not { } leader)
            return (LeaderReply.NotLeader, 0, null);
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.forward", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("globalzone.leader", leader.Id);
        ForwardOutcome outcome;
        try
        {
            outcome = await forwarder.ForwardAsync(leader.Url.TrimEnd('/'), payload, token).ConfigureAwait(false);
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }

        activity?.SetTag("globalzone.forward.reply", outcome.Reply.ToString());
        var (reply, index, result) = LeaderReplyCodec.Decode(outcome.Body);
        return outcome.Reply == LeaderReply.Ok && reply == LeaderReply.Ok
            ? (LeaderReply.Ok, index, CommandResultCodec.Decode(result.Span))
            : (outcome.Reply == LeaderReply.NotLeader ? LeaderReply.NotLeader : LeaderReply.OutcomeUnknown, 0, null);
    }

    /// <summary>
    /// One exchange with the leader's internal endpoint for a batch of forwarded commands (see
    /// <see cref="ProposalForwarder"/>): a plain POST, sent once, over the member-to-member HTTP client (bound to
    /// this member's address, WAN delays included). DotNext's messaging would do, but its framing costs about half
    /// the throughput of forwarded writes, and its leader router re-sends by itself after a broken connection,
    /// which could apply a write twice.
    /// </summary>
    private async Task<IReadOnlyList<ForwardOutcome>> SendForwardedAsync(string leaderUrl, IReadOnlyList<ReadOnlyMemory<byte>> commands, CancellationToken token)
    {
        // Its parent is the command that started the forwarder's current run; the others in the batch only wait for it.
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.forward.batch", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("globalzone.forward.commands", commands.Count);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(leaderWait);
        byte[] reply;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, leaderUrl + InternalRoutes.ProposeBatch)
            {
                Content = new ByteArrayContent(ForwardedBatch.Encode(commands)),
            };
            using var response = await ForwardingClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // The endpoint answers 200 for everything it handled; anything else means our handler never ran.
                return [.. commands.Select(_ => ForwardOutcome.NotSent)];
            }

            reply = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }
        catch (Exception e) when (NeverReachedLeader(e))
        {
            // Nothing was sent (the leader we knew is down or gone): safe to try again once a leader is known.
            return [.. commands.Select(_ => ForwardOutcome.NotSent)];
        }
        catch (Exception e)
        {
            // Sent, but the answer was lost (a timeout, a broken or truncated response): whatever went wrong, the
            // leader may have appended the commands.
            LogForwardFailed(e.GetType().Name, e.GetBaseException().Message);
            throw new OutcomeUnknownException("The write was sent to the leader, but no answer came back.", e);
        }

        var replies = ForwardedBatch.TryDecode(reply, commands.Count);
        if (replies is null || replies.Count != commands.Count || replies.Any(r => r.Length == 0))
            throw new OutcomeUnknownException("The leader's answer to a forwarded write was garbled.");
        return [.. replies.Select(r => new ForwardOutcome(LeaderReplyCodec.Decode(r).Reply, r))];
    }

    private HttpClient ForwardingClient => forwardingClient ??= services.GetRequiredService<IHttpClientFactory>().CreateClient(PeerConnections.ClientName);

    /// <summary>The connection to the leader could not even be opened, so the request never left this member.</summary>
    private static bool NeverReachedLeader(Exception e)
        => e.GetBaseException() is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
           || e.GetBaseException() is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }
           || IsRefusedUnprocessed(e);

    /// <summary>DotNext answers 503 to a leader-routed message when the receiver does not (yet) lead, before any handler runs.</summary>
    private static bool IsRefusedUnprocessed(Exception e)
        => e is ConsensusProtocolException && e.GetBaseException() is HttpRequestException { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable };

    private async Task<long> ConfirmLeadershipAsync()
    {
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.read_index.round");
        activity?.SetTag("globalzone.read_index.source", "self");
        try
        {
            return await ConfirmLeadershipCoreAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }
    }

    private async Task<long> ConfirmLeadershipCoreAsync()
    {
        var leadership = Raft.LeadershipToken;
        if (leadership.IsCancellationRequested)
        {
            // Not leader, or leader whose no-op of this term has not committed yet: no read index to give.
            throw new NoLeaderException("This member does not (yet) lead with a committed entry of its term.");
        }

        if (!(Raft.TryGetLeaseToken(out var lease) && !lease.IsCancellationRequested))
        {
            try
            {
                await Raft.ApplyReadBarrierAsync(ReadBarrierType.Strong, leadership).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or QuorumUnreachableException or NotLeaderException)
            {
                throw new NoLeaderException("Leadership could not be confirmed by a majority.", e);
            }
        }

        // The round (or the lease) ended with us still leading: our commit index is at least the cluster's.
        if (leadership.IsCancellationRequested)
            throw new NoLeaderException("Leadership was lost while confirming it.");
        return Raft.AuditTrail.LastCommittedEntryIndex;
    }

    private async Task<long> AskLeaderForReadIndexAsync()
    {
        using var activity = ConsensusTracing.Source.StartActivity("globalzone.read_index.round", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("globalzone.read_index.source", "leader");
        try
        {
            return await AskLeaderForReadIndexCoreAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (ConsensusTracing.Failed(activity, e))
        {
            throw;
        }
    }

    private async Task<long> AskLeaderForReadIndexCoreAsync()
    {
        // A leader that is stepping down (a transfer, a hand-off before shutdown) may never answer: stop waiting as
        // soon as this member sees the leadership change, instead of for the whole leader wait (3 s at the defaults,
        // the read stalls `gz bench failover` measured after a SIGTERM). The caller then asks the new leader.
        var asked = Raft.Leader;
        using var abandon = new CancellationTokenSource(leaderWait);
        void OnLeaderChanged(DotNext.Net.Cluster.ICluster cluster, DotNext.Net.Cluster.IClusterMember? leader)
        {
            if (ReferenceEquals(leader, asked))
                return;
            try
            {
                abandon.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // raised after the request ended: nothing to stop
            }
        }

        byte[] reply;
        Raft.LeaderChanged += OnLeaderChanged;
        try
        {
            if (!ReferenceEquals(Raft.Leader, asked))
                throw new NoLeaderException("The leader changed before it could be asked for a read index.");
            reply = await Bus.LeaderRouter.SendMessageAsync(new BytesMessage(MessageNames.ReadIndex, ReadOnlyMemory<byte>.Empty), ReadAllAsync, abandon.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (abandon.IsCancellationRequested)
        {
            throw new NoLeaderException("The leader changed, or did not answer a read-index request in time.", e);
        }
        catch (Exception e) when (e is QuorumUnreachableException or HttpRequestException or ConsensusProtocolException or TimeoutException)
        {
            throw new NoLeaderException("The leader could not be asked for a read index.", e);
        }
        finally
        {
            Raft.LeaderChanged -= OnLeaderChanged;
        }

        var (answer, readIndex, _) = LeaderReplyCodec.Decode(reply);
        return answer == LeaderReply.Ok ? readIndex : throw new NoLeaderException("The member asked is no longer the leader.");
    }

    /// <summary>
    /// Starts a replication round now instead of at the next heartbeat. A follower learns the commit index only
    /// from the leader's next message; the member that forwarded a write (or asked for a read index) is waiting
    /// to apply up to it, and would otherwise wait most of a heartbeat interval. Rounds coalesce in DotNext.
    /// </summary>
    private void NudgeReplication()
    {
        _ = NudgeAsync(Raft);

        static async Task NudgeAsync(IRaftCluster raft)
        {
            try
            {
                await raft.ForceReplicationAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NotLeaderException or OperationCanceledException or ObjectDisposedException)
            {
                // no longer leading: the new leader's own messages carry the commit index
            }
        }
    }

    private static async ValueTask<byte[]> ReadAllAsync(IMessage message, CancellationToken token)
        => await DotNext.IO.DataTransferObject.ToByteArrayAsync(message, token: token).ConfigureAwait(false);

    /// <summary>
    /// The leader's side of forwarded commands (<see cref="ForwardedBatch"/>, served at
    /// <see cref="InternalRoutes.ProposeBatch"/>): each is replicated concurrently and answered, in order (see
    /// <see cref="LeaderReplyCodec"/>). Null when the body is not a batch.
    /// </summary>
    public async Task<byte[]?> AcceptForwardedBatchAsync(ReadOnlyMemory<byte> body, CancellationToken token)
    {
        if (ForwardedBatch.TryDecode(body, ProposalForwarder.MaxBatch) is not { } commands)
            return null;
        var replies = await Task.WhenAll(commands.Select(c => AcceptForwardedAsync(c, token))).ConfigureAwait(false);
        if (replies.Any(r => LeaderReplyCodec.Decode(r).Reply == LeaderReply.Ok))
            NudgeReplication();
        return ForwardedBatch.Encode([.. replies.Select(r => (ReadOnlyMemory<byte>)r)]);
    }

    private async Task<byte[]> AcceptForwardedAsync(ReadOnlyMemory<byte> payload, CancellationToken token)
    {
        if (!IsLeader)
            return LeaderReplyCodec.Refusal(LeaderReply.NotLeader);
        (LeaderReply status, long index, CommandResult? result) outcome;
        try
        {
            outcome = await TryReplicateAsLeaderAsync(payload, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The forwarding member gave up (or leadership ended) after the entry may have been appended.
            return LeaderReplyCodec.Refusal(LeaderReply.OutcomeUnknown);
        }
        catch (ProposalBacklogFullException)
        {
            // Nothing was appended: the forwarding member may safely try again (it does, within its leader wait).
            return LeaderReplyCodec.Refusal(LeaderReply.NotLeader);
        }

        var (status, index, result) = outcome;
        return status == LeaderReply.Ok ? LeaderReplyCodec.Proposal(index, result!) : LeaderReplyCodec.Refusal(status);
    }

    async Task<IMessage> IInputChannel.ReceiveMessage(ISubscriber sender, IMessage message, object? context, CancellationToken token)
    {
        switch (message.Name)
        {
            case MessageNames.ReadIndex:
            {
                // A witness that leads briefly to hand over confirms no reads: its members wait for the next leader.
                if (Directory.Self.IsWitness)
                    return Reply(LeaderReply.NotLeader);
                long index;
                try
                {
                    index = await localReadIndex.GetAsync().WaitAsync(token).ConfigureAwait(false);
                    NudgeReplication();
                }
                catch (NoLeaderException)
                {
                    return Reply(LeaderReply.NotLeader);
                }

                return new BytesMessage(MessageNames.ReadIndex, LeaderReplyCodec.ReadIndex(index));
            }

            default:
                return Reply(LeaderReply.NotLeader);
        }

        static BytesMessage Reply(LeaderReply reply) => new("gz.reply", LeaderReplyCodec.Refusal(reply));
    }

    Task IInputChannel.ReceiveSignal(ISubscriber sender, IMessage signal, object? context, CancellationToken token) => Task.CompletedTask;

    bool IInputChannel.IsSupported(string messageName, bool oneWay) => !oneWay && messageName is MessageNames.ReadIndex;

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Forwarding a write to the leader failed: {ErrorType}: {Error}")]
    private partial void LogForwardFailed(string errorType, string error);
}
