using System.Buffers.Binary;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using DotNext.Net.Cluster.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Makes a voter stop campaigning for a short while, so that a leadership hand-off goes to the voter it was meant
/// for. DotNext has no "transfer leadership to X" (Raft's TimeoutNow); after a leader resigns, whoever times out
/// first wins. So the leader handing over asks the voters that should not win to hold off: they go into DotNext's
/// standby mode (they still vote and replicate, they do not campaign) until they see a leader other than the one
/// that handed over, or until the hold ends, whichever comes first.
/// </summary>
/// <remarks>Message body: hold length in milliseconds (8 bytes, little endian), then the former leader's id (UTF-8).</remarks>
public sealed partial class CampaignHold(IServiceProvider services, MemberDirectory directory, ILogger<CampaignHold> logger) : IInputChannel
{
    // Deadlines and waits run on the injected clock (TimeProvider.System unless a test gives a fake one).
    private readonly TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    private readonly Lock gate = new();
    private bool holding;
    private long holdUntilMs;
    private string formerLeaderId = "";
    private long operatorHoldUntilMs;
    private bool standbyByHold;

    /// <summary>True while this member holds off campaigning because of a hand-off.</summary>
    public bool IsHolding
    {
        get
        {
            lock (gate)
                return holding;
        }
    }

    private IRaftCluster Raft => services.GetRequiredService<IRaftCluster>();

    private IStandbyModeSupport Standby => services.GetRequiredService<IStandbyModeSupport>();

    /// <summary>
    /// Holds this member off campaigning until a leader other than <paramref name="formerLeader"/> appears (any
    /// leader, for an empty name) or <paramref name="duration"/> ends. Refused (false) by the witness, which never
    /// campaigns anyway, and by a leader.
    /// </summary>
    public async Task<bool> HoldAsync(string formerLeader, TimeSpan duration, CancellationToken token)
    {
        if (directory.Self.IsWitness || Raft.Leader is { IsRemote: false })
            return false;
        lock (gate)
        {
            holding = true;
            formerLeaderId = formerLeader;
            holdUntilMs = time.NowMs() + (long)duration.TotalMilliseconds;
            standbyByHold = true;
        }

        await Standby.EnableStandbyModeAsync(token).ConfigureAwait(false);
        if (formerLeader.Length == 0)
            LogHoldingAtStart((long)duration.TotalMilliseconds);
        else
            LogHolding(formerLeader, (long)duration.TotalMilliseconds);
        return true;
    }

    /// <summary>
    /// The operator's hold (<c>gz leader transfer</c>): no campaigning, and a leader steps down, for
    /// <paramref name="duration"/> or until <see cref="EndOperatorHoldAsync"/>; a new leader does not end it. It
    /// shares the standby state with hand-off holds: the member campaigns again only when neither holds it.
    /// Refused (false) by the witness, whose standby belongs to its own hand-off logic.
    /// </summary>
    public async Task<bool> HoldForOperatorAsync(TimeSpan duration, CancellationToken token)
    {
        if (directory.Self.IsWitness)
            return false;
        lock (gate)
        {
            operatorHoldUntilMs = time.NowMs() + (long)duration.TotalMilliseconds;
            standbyByHold = true;
        }

        await Standby.EnableStandbyModeAsync(token).ConfigureAwait(false);
        LogOperatorHold((long)duration.TotalMilliseconds);
        _ = ReleaseLaterAsync(duration);
        return true;
    }

    /// <summary>Ends the operator's hold early; true when there was one. The member campaigns again unless a hand-off still holds it.</summary>
    public async Task<bool> EndOperatorHoldAsync(CancellationToken token)
    {
        bool had;
        lock (gate)
        {
            had = operatorHoldUntilMs != 0;
            operatorHoldUntilMs = 0;
        }

        if (had)
            await ReleaseIfDueAsync(token).ConfigureAwait(false);
        return had;
    }

    private async Task ReleaseLaterAsync(TimeSpan after)
    {
        try
        {
            await Task.Delay(after + TimeSpan.FromMilliseconds(1), time).ConfigureAwait(false);
            await ReleaseIfDueAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
    }

    /// <summary>
    /// Ends the holds that are due: a hand-off hold once a new leader is seen or it has run out, the operator's
    /// once it has run out; when none is left, reverts the standby mode they set. Called often by
    /// <see cref="PreferredLeaderPlacement"/>.
    /// </summary>
    public async Task ReleaseIfDueAsync(CancellationToken token)
    {
        var leaderId = directory.Find(Raft.Leader?.EndPoint)?.Id;
        string reason;
        lock (gate)
        {
            if (!standbyByHold)
                return;
            var now = time.NowMs();
            var newLeader = leaderId is not null && leaderId != formerLeaderId;
            reason = newLeader ? $"new leader {leaderId}" : "hold ran out";
            if (holding && (newLeader || now >= holdUntilMs))
                holding = false;
            if (operatorHoldUntilMs != 0 && now >= operatorHoldUntilMs)
                operatorHoldUntilMs = 0;
            if (holding || operatorHoldUntilMs != 0)
                return;
            standbyByHold = false;
        }

        // A member whose applier stopped stays in standby for good (see ApplyFaultResponder).
        if (services.GetService<ApplyHealth>()?.IsFaulted == true)
            return;
        await Standby.RevertToNormalModeAsync(token).ConfigureAwait(false);
        LogReleased(reason);
    }

    /// <summary>Asks another voter to hold; false when it refused or did not answer.</summary>
    public async Task<bool> AskToHoldAsync(MemberOptions member, string formerLeader, TimeSpan duration, TimeSpan timeout, CancellationToken token)
    {
        if (services.GetRequiredService<IRaftCluster>() is not IMessageBus bus
            || bus.Members.FirstOrDefault(s => s.IsRemote && directory.Find(s.EndPoint)?.Id == member.Id) is not { } subscriber)
            return false;
        var name = Encoding.UTF8.GetBytes(formerLeader);
        var body = new byte[8 + name.Length];
        BinaryPrimitives.WriteInt64LittleEndian(body, (long)duration.TotalMilliseconds);
        name.CopyTo(body, 8);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            var reply = await subscriber.SendMessageAsync(new BytesMessage(MessageNames.HoldCampaign, body), ReadAllAsync, deadline.Token).ConfigureAwait(false);
            return reply is [1];
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            LogAskFailed(member.Id, e.GetType().Name);
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
            var milliseconds = Math.Clamp(BinaryPrimitives.ReadInt64LittleEndian(body), 0, 600_000);
            accepted = await HoldAsync(Encoding.UTF8.GetString(body.AsSpan(8)), TimeSpan.FromMilliseconds(milliseconds), token).ConfigureAwait(false);
        }

        return new BytesMessage(MessageNames.HoldCampaign, new[] { accepted ? (byte)1 : (byte)0 });
    }

    Task IInputChannel.ReceiveSignal(ISubscriber sender, IMessage signal, object? context, CancellationToken token) => Task.CompletedTask;

    bool IInputChannel.IsSupported(string messageName, bool oneWay) => !oneWay && messageName == MessageNames.HoldCampaign;

    [LoggerMessage(EventId = 1331, Level = LogLevel.Information, Message = "Holding off campaigning for up to {HoldMs} ms while {FormerLeaderId} hands leadership over")]
    private partial void LogHolding(string formerLeaderId, long holdMs);

    [LoggerMessage(EventId = 1334, Level = LogLevel.Information, Message = "Holding off campaigning for up to {HoldMs} ms at start-up, so that the preferred site wins the first election")]
    private partial void LogHoldingAtStart(long holdMs);

    [LoggerMessage(EventId = 1335, Level = LogLevel.Information, Message = "Held in standby by the operator for up to {HoldMs} ms (a leader steps down)")]
    private partial void LogOperatorHold(long holdMs);

    [LoggerMessage(EventId = 1332, Level = LogLevel.Information, Message = "Campaigning again ({Reason})")]
    private partial void LogReleased(string reason);

    [LoggerMessage(EventId = 1333, Level = LogLevel.Debug, Message = "Could not ask {MemberId} to hold off campaigning ({ErrorType})")]
    private partial void LogAskFailed(string memberId, string errorType);
}
