using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using DotNext.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;

namespace GlobalZone.Consensus;

/// <summary>
/// The two pieces of Raft's TimeoutNow that DotNext 6.12 does not expose, reached in its <see cref="RaftCluster{TMember}"/>:
/// <list type="bullet">
/// <item><b>Forget the leader's stickiness.</b> DotNext refuses every vote and pre-vote for one (randomised) election
/// timeout after the last message from a leader (<c>lastUpdated</c>), with no "leader transfer" exception. That is
/// what the thesis' TimeoutNow bypasses; here a member clears it only when the leader it followed says it has stepped
/// down for a transfer (see <see cref="LeadershipTransfer"/>), so it is never cleared under a live leader.</item>
/// <item><b>Campaign now.</b> A follower campaigns only when its timer runs out; the timer captures the election
/// timeout when it starts. So the target starts a fresh follower timer (standby, then back) with a near-zero
/// timeout (<c>electionTimeout</c>), which is restored at once for everything after (candidate timeout, stickiness).</item>
/// </list>
/// Neither touches safety: a vote is still granted once per term and only to a log at least as up to date. The fields
/// are reached with <see cref="UnsafeAccessorAttribute"/> on the cluster's closed type (the HTTP transport's member
/// type is internal, so the accessors are bound once per type through a generic holder; by reference, so the stickiness is cleared with a
/// compare-and-swap that loses to a concurrent leader contact); if a DotNext upgrade renames them
/// <see cref="IsSupported"/> is false and leadership moves fall back to the resign-based hand-off (a unit test pins
/// the lookup so that an upgrade fails loudly instead).
/// </summary>
internal static class ElectionShortcut
{
    private const int CampaignAfterMs = 1;
    private static readonly ConcurrentDictionary<Type, Accessors?> ByType = new();

    private delegate ref long TicksField(IRaftCluster cluster);

    private delegate ref int TimeoutField(IRaftCluster cluster);

    private sealed record Accessors(TicksField Ticks, TimeoutField ElectionTimeout);

    /// <summary>True when this DotNext build has the fields both shortcuts need.</summary>
    public static bool IsSupported(IRaftCluster raft) => For(raft) is not null;

    /// <summary>Time since this member last heard from a leader (as DotNext counts it for stickiness), or null when unknown or already forgotten.</summary>
    public static TimeSpan? SinceLeaderContact(IRaftCluster raft)
    {
        if (For(raft) is not { } fields)
            return null;
        var ticks = Volatile.Read(ref fields.Ticks(raft));
        return ticks == 0 ? null : Unsafe.As<long, Timestamp>(ref ticks).Elapsed;
    }

    /// <summary>Lets this member vote (and pre-vote) at once instead of waiting out the stickiness of a leader that stepped down.</summary>
    public static bool ForgetLeader(IRaftCluster raft)
    {
        if (For(raft) is not { } fields)
            return false;
        Volatile.Write(ref fields.Ticks(raft), 0L);
        return true;
    }

    /// <summary>
    /// Forgets the last leader contact only if it is at least <paramref name="olderThan"/> old, atomically: a contact
    /// that arrives meanwhile wins, so a live leader's stickiness (which its lease relies on) is never cleared.
    /// </summary>
    public static bool ForgetLeaderSilentFor(IRaftCluster raft, TimeSpan olderThan)
    {
        if (For(raft) is not { } fields)
            return false;
        ref var ticks = ref fields.Ticks(raft);
        var seen = Volatile.Read(ref ticks);
        if (seen == 0 || Unsafe.As<long, Timestamp>(ref seen).Elapsed < olderThan)
            return false;
        return Interlocked.CompareExchange(ref ticks, 0L, seen) == seen;
    }

    /// <summary>
    /// Starts a follower timer that runs out almost at once, so this member pre-votes and campaigns now; its own
    /// election timeout is restored before the candidate needs it. With <paramref name="fromStandby"/> the member
    /// is expected in standby (the witness); otherwise it must be a follower. False when unsupported or not possible.
    /// </summary>
    public static async Task<bool> CampaignNowAsync(IRaftCluster raft, IStandbyModeSupport standby, bool fromStandby, CancellationToken token)
    {
        if (For(raft) is not { } fields || raft.Leader is { IsRemote: false } || standby.Standby != fromStandby)
            return false;
        ForgetLeader(raft);
        if (!fromStandby && !await EnterStandbyAsync(raft, standby, token).ConfigureAwait(false))
            return false;
        var original = Volatile.Read(ref fields.ElectionTimeout(raft));
        Volatile.Write(ref fields.ElectionTimeout(raft), CampaignAfterMs);
        try
        {
            return await standby.RevertToNormalModeAsync(token).ConfigureAwait(false);
        }
        finally
        {
            // The follower timer has captured the short timeout; everything else keeps the member's own.
            Volatile.Write(ref fields.ElectionTimeout(raft), original);
        }
    }

    /// <summary>
    /// DotNext's <c>EnableStandbyModeAsync</c> answers false, without trying again, when the state it read changed
    /// before it took its transition lock (a follower that just heard from the leader stepping down is re-created as a
    /// new follower state). That race lost a hand-off here once, so a follower tries a few times.
    /// </summary>
    internal static async Task<bool> EnterStandbyAsync(IRaftCluster raft, IStandbyModeSupport standby, CancellationToken token)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await standby.EnableStandbyModeAsync(token).ConfigureAwait(false))
                return true;
            if (standby.Standby || raft.Leader is { IsRemote: false })
                return false;
            await Task.Yield();
        }

        return false;
    }

    private static Accessors? For(IRaftCluster raft) => ByType.GetOrAdd(raft.GetType(), Bind);

    private static Accessors? Bind(Type type)
    {
        if (Unsafe.SizeOf<Timestamp>() != sizeof(long))
            return null;
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (!t.IsGenericType || t.GetGenericTypeDefinition() != typeof(RaftCluster<>))
                continue;
            var holder = typeof(Holder<>).MakeGenericType(t.GetGenericArguments());
            var ticks = holder.GetMethod(nameof(Holder<RaftClusterMember>.Ticks), BindingFlags.Static | BindingFlags.Public)!.CreateDelegate<TicksField>();
            var timeout = holder.GetMethod(nameof(Holder<RaftClusterMember>.ElectionTimeout), BindingFlags.Static | BindingFlags.Public)!.CreateDelegate<TimeoutField>();
            return Binds(holder) ? new Accessors(ticks, timeout) : null;
        }

        return null;
    }

    /// <summary>The accessors bind at first call: a missing field throws <see cref="MissingFieldException"/>.</summary>
    private static bool Binds(Type holder)
    {
        try
        {
            return (bool)holder.GetMethod(nameof(Holder<RaftClusterMember>.Probe), BindingFlags.Static | BindingFlags.Public)!.Invoke(null, null)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is MissingFieldException)
        {
            return false;
        }
    }

    private static class Holder<TMember>
        where TMember : class, IRaftClusterMember, IDisposable
    {
        public static ref long Ticks(IRaftCluster cluster) => ref Unsafe.As<Timestamp, long>(ref LastUpdated((RaftCluster<TMember>)cluster));

        public static ref int ElectionTimeout(IRaftCluster cluster) => ref ElectionTimeoutField((RaftCluster<TMember>)cluster);

        /// <summary>Dereferences nothing (a null instance): binding alone throws when a field is missing.</summary>
        public static bool Probe()
        {
            try
            {
                _ = LastUpdated(null!);
            }
            catch (NullReferenceException)
            {
            }

            try
            {
                _ = ElectionTimeoutField(null!);
            }
            catch (NullReferenceException)
            {
            }

            return true;
        }

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "lastUpdated")]
        private static extern ref Timestamp LastUpdated(RaftCluster<TMember> cluster);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "electionTimeout")]
        private static extern ref int ElectionTimeoutField(RaftCluster<TMember> cluster);
    }
}
