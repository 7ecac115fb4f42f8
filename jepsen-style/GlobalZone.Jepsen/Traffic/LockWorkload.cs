using System.Globalization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Clients take one lock in turn, each holding a lease kept alive in the background: acquire, read the protected
/// counter, write it plus one (with the grant's fencing token when <see cref="WorkloadSettings.Fenced"/>), release.
/// Every Nth holder stalls between its read and its write for longer than its lease (a GC pause), so another client
/// gets the lock meanwhile: without fencing both writes land (the safety violation the lock checker reports); with
/// fencing the stale holder's write is refused.
/// </summary>
/// <remarks>
/// Each critical section is recorded as one write of <see cref="CounterKey"/>, invoked before the acquire and
/// completed after the protected write (ok: accepted; fail: not granted, or nothing written, or refused; info: the
/// write's outcome is unknown). Its output is a JSON object (see <see cref="Section"/>) with the fencing token, the
/// value read and written, the revision the write committed at and how long the holder stalled.
/// </remarks>
internal sealed class LockWorkload(WorkloadSettings settings) : LeasedLockWorkload(settings)
{
    /// <summary>The one lock every client takes.</summary>
    public const string LockName = "jepsen-lock";

    /// <summary>The key the lock protects.</summary>
    public const string CounterKey = "lock/counter";

    public override string Name => "lock";

    protected override string? SettledCounter => CounterKey;

    protected override async Task<OperationStatus> HoldAsync(LeaseHold hold, CancellationToken abort)
    {
        var (client, member) = (hold.Client, hold.Member);
        var section = new Section { Fenced = Settings.Fenced, Lease = hold.Lease };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, CounterKey);
        var acquire = await AcquireAsync(hold, $"/v1/locks/{LockName}", $"p{client.Process}", abort).ConfigureAwait(false);
        if (acquire.Outcome != CallOutcome.Ok)
        {
            await GiveUpAsync(hold, LockName, acquire, abort).ConfigureAwait(false);
            return Complete(hold, pending, OperationStatus.Fail, section, $"not granted: {member.Id} {acquire.ErrorText}");
        }

        section = section with { Token = FencingToken(acquire) };
        var (current, readError) = await ReadCounterAsync(hold, CounterKey, abort).ConfigureAwait(false);
        if (current is not { } read)
        {
            // Best effort: a grant that is already gone (expired lease) or unreachable is released by its lease's expiry.
            await ReleaseAsync(hold, LockName, section.Token, abort).ConfigureAwait(false);
            return Complete(hold, pending, OperationStatus.Fail, section, readError);
        }

        section = section with { Read = read, Wrote = read + 1 };
        if (StallDue())
            section = section with { PausedMs = await StallAsync(hold, abort).ConfigureAwait(false) };

        var value = section.Wrote.ToString(CultureInfo.InvariantCulture);
        var write = await WriteAsync(hold, CounterKey, value, $"{LockName}:{section.Token}", Settings.Fenced, abort).ConfigureAwait(false);
        await ReleaseAsync(hold, LockName, section.Token, abort).ConfigureAwait(false);
        if (section.PausedMs > 0)
            hold.Keeper.Forget(hold.Lease); // most likely expired while stalled; start the next section with a fresh one
        if (write.Outcome == CallOutcome.Ok)
            return Complete(hold, pending, OperationStatus.Ok, section with { Revision = CommittedRevision(write) }, null);

        return Complete(hold, pending, NotAccepted(write), section, $"write on {member.Id} {write.ErrorText}");
    }

    /// <summary>What one critical section did, as recorded in its operation's output.</summary>
    internal sealed record Section
    {
        public bool Fenced { get; init; }

        public long Lease { get; init; }

        /// <summary>The grant's fencing token; 0 when the lock was not granted.</summary>
        public long Token { get; init; }

        /// <summary>The counter value the holder read (0 when absent).</summary>
        public long Read { get; init; }

        /// <summary>The value it wrote (read + 1); 0 when it wrote nothing.</summary>
        public long Wrote { get; init; }

        /// <summary>The revision an accepted write committed at.</summary>
        public long Revision { get; init; }

        /// <summary>How long the holder stalled between read and write.</summary>
        public long PausedMs { get; init; }
    }
}
