using System.Globalization;
using System.Text.Json;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Clients take one reader-writer lock (a quarter of them as writers) or one of a semaphore's
/// <see cref="SemaphoreLimit"/> permits, each with a lease kept alive in the background. While holding, a client reads
/// the lock's grants linearizably (what the cluster says holds it at that moment); a writer also increments a counter
/// with its fencing token, as the lock workload does. Then it releases.
/// </summary>
/// <remarks>
/// Each critical section is one write of <see cref="SectionKey"/>, invoked before the acquire and completed after the
/// release; its output (see <see cref="Section"/>) carries the mode, the token and the grants seen. The checker
/// (<see cref="Validate.SharedLockChecker"/>) needs no model: every snapshot must be a legal state, and tokens must grow
/// in real time.
/// </remarks>
internal sealed class SharedLockWorkload(WorkloadSettings settings, bool semaphore) : LeasedLockWorkload(settings)
{
    /// <summary>How many holders the semaphore workload's semaphore admits.</summary>
    public const int SemaphoreLimit = 3;

    /// <summary>The key the reader-writer lock's writers increment.</summary>
    public const string CounterKey = "rwlock/counter";

    public override string Name => semaphore ? "semaphore" : "rwlock";

    /// <summary>The one lock (or semaphore) every client takes.</summary>
    public string LockName => semaphore ? "jepsen-semaphore" : "jepsen-rwlock";

    /// <summary>The history key of the workload's critical sections.</summary>
    public static string SectionKey(bool semaphore) => semaphore ? "semaphore/sections" : "rwlock/sections";

    protected override string? SettledCounter => semaphore ? null : CounterKey;

    protected override async Task<OperationStatus> HoldAsync(LeaseHold hold, CancellationToken abort)
    {
        var (client, member) = (hold.Client, hold.Member);
        var mode = semaphore ? "permit" : client.Random.Next(4) == 0 ? "write" : "read";
        var route = semaphore
            ? $"/v1/semaphores/{LockName}?limit={SemaphoreLimit.ToString(CultureInfo.InvariantCulture)}"
            : $"/v1/rwlocks/{LockName}?mode={mode}";
        var section = new Section { Mode = mode, Lease = hold.Lease };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, SectionKey(semaphore));
        var acquire = await AcquireAsync(hold, route, $"p{client.Process}", abort).ConfigureAwait(false);
        if (acquire.Outcome != CallOutcome.Ok)
        {
            await GiveUpAsync(hold, LockName, acquire, abort).ConfigureAwait(false);
            return Complete(hold, pending, OperationStatus.Fail, section, $"not granted: {member.Id} {acquire.ErrorText}");
        }

        section = section with { Token = FencingToken(acquire) };

        // What the cluster says holds the lock now, read linearizably while we hold it.
        var look = await client.Http.SendAsync(HttpMethod.Get, member.Url + $"/v1/locks/{LockName}", null, null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, look);
        if (look.Outcome == CallOutcome.Ok)
            section = section with { Seen = ParseHolders(look.Body) };

        var status = section.Seen is null ? OperationStatus.Fail : OperationStatus.Ok;
        string? error = section.Seen is null ? $"inspect on {member.Id} {look.ErrorText}" : null;
        if (mode == "write")
            (section, status, error) = await IncrementAsync(hold, section, abort).ConfigureAwait(false);

        var release = await ReleaseAsync(hold, LockName, section.Token, abort).ConfigureAwait(false);
        if (release.Outcome != CallOutcome.Ok)
            hold.Keeper.Forget(hold.Lease); // the grant may live on with the lease: let both expire, and start afresh
        return Complete(hold, pending, status, section, error);
    }

    /// <summary>A writer's protected increment: read the counter, write it plus one with the grant's fencing token.</summary>
    private async Task<(Section, OperationStatus, string?)> IncrementAsync(LeaseHold hold, Section section, CancellationToken abort)
    {
        var (current, readError) = await ReadCounterAsync(hold, CounterKey, abort).ConfigureAwait(false);
        if (current is not { } read)
            return (section, OperationStatus.Fail, readError);
        section = section with { Read = read, Wrote = read + 1 };
        var value = section.Wrote.ToString(CultureInfo.InvariantCulture);
        var write = await WriteAsync(hold, CounterKey, value, $"{LockName}:{section.Token}", fenced: true, abort).ConfigureAwait(false);
        if (write.Outcome == CallOutcome.Ok)
            return (section with { Revision = CommittedRevision(write) }, OperationStatus.Ok, null);

        return (section, NotAccepted(write), $"write on {hold.Member.Id} {write.ErrorText}");
    }

    private static List<SeenGrant>? ParseHolders(string? body)
    {
        try
        {
            using var info = JsonDocument.Parse(body ?? "{}");
            if (!info.RootElement.TryGetProperty("holders", out var holders))
                return [];
            return holders.EnumerateArray().Select(h => new SeenGrant(
                h.GetProperty("lease").GetInt64(), h.TryGetProperty("mode", out var m) ? m.GetString() ?? "" : "", h.GetProperty("fencingToken").GetInt64())).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One grant as an inspection showed it.</summary>
    internal sealed record SeenGrant(long Lease, string Mode, long Token);

    /// <summary>What one critical section did, as recorded in its operation's output.</summary>
    internal sealed record Section
    {
        /// <summary><c>read</c>, <c>write</c> or <c>permit</c>.</summary>
        public string Mode { get; init; } = "";

        public long Lease { get; init; }

        /// <summary>The grant's fencing token; 0 when not granted.</summary>
        public long Token { get; init; }

        /// <summary>The grants the cluster listed while this one held (null when the inspection failed).</summary>
        public List<SeenGrant>? Seen { get; init; }

        /// <summary>A writer's counter read, write and the revision its write committed at (0 otherwise).</summary>
        public long Read { get; init; }

        public long Wrote { get; init; }

        public long Revision { get; init; }
    }
}
