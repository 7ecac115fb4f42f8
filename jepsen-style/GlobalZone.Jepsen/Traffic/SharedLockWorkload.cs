using System.Collections.Concurrent;
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
internal sealed class SharedLockWorkload(WorkloadSettings settings, bool semaphore) : IWorkload, IDisposable
{
    /// <summary>How many holders the semaphore workload's semaphore admits.</summary>
    public const int SemaphoreLimit = 3;

    /// <summary>The key the reader-writer lock's writers increment.</summary>
    public const string CounterKey = "rwlock/counter";

    private readonly ConcurrentDictionary<int, LeaseKeeper> leases = new();
    private readonly CancellationTokenSource stopKeepAlives = new();

    public string Name => semaphore ? "semaphore" : "rwlock";

    /// <summary>The one lock (or semaphore) every client takes.</summary>
    public string LockName => semaphore ? "jepsen-semaphore" : "jepsen-rwlock";

    /// <summary>The history key of the workload's critical sections.</summary>
    public static string SectionKey(bool semaphore) => semaphore ? "semaphore/sections" : "rwlock/sections";

    public async Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var keeper = leases.GetOrAdd(client.Index, _ => new LeaseKeeper(client.Http, settings.LeaseTtl, stopKeepAlives.Token));
        var member = client.Target(CallPurpose.Update);
        keeper.UseMember(member);
        var (lease, leaseCall) = await keeper.EnsureAsync(member, abort).ConfigureAwait(false);
        if (lease == 0)
        {
            client.Observe(CallPurpose.Update, leaseCall);
            return OperationStatus.Fail;
        }

        var mode = semaphore ? "permit" : client.Random.Next(4) == 0 ? "write" : "read";
        var route = semaphore
            ? $"/v1/semaphores/{LockName}?limit={SemaphoreLimit.ToString(CultureInfo.InvariantCulture)}"
            : $"/v1/rwlocks/{LockName}?mode={mode}";
        var section = new Section { Mode = mode, Lease = lease };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, SectionKey(semaphore));
        var wait = settings.LockWait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var acquire = await client.Http.PostAsync(member, route, $$"""{"lease":{{lease}},"wait":{{wait}},"owner":"p{{client.Process}}"}""", abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, acquire);
        if (acquire.Outcome != CallOutcome.Ok)
        {
            if (acquire.Outcome == CallOutcome.NotFound)
                keeper.Forget(lease);
            if (!acquire.Outcome.IsDefinite())
            {
                // We may hold a grant without knowing its token: give it up by lease, and the lease with it.
                await client.Http.DeleteAsync(member, $"/v1/locks/{LockName}?lease={lease}", abort).ConfigureAwait(false);
                keeper.Forget(lease);
            }

            return Complete(client, pending, OperationStatus.Fail, section, $"not granted: {member.Id} {acquire.ErrorText}");
        }

        using (var grant = JsonDocument.Parse(acquire.Body ?? "{}"))
            section = section with { Token = grant.RootElement.GetProperty("fencingToken").GetInt64() };

        // What the cluster says holds the lock now, read linearizably while we hold it.
        var look = await client.Http.SendAsync(HttpMethod.Get, member.Url + $"/v1/locks/{LockName}", null, null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, look);
        if (look.Outcome == CallOutcome.Ok)
            section = section with { Seen = ParseHolders(look.Body) };

        var status = section.Seen is null ? OperationStatus.Fail : OperationStatus.Ok;
        string? error = section.Seen is null ? $"inspect on {member.Id} {look.ErrorText}" : null;
        if (mode == "write")
            (section, status, error) = await IncrementAsync(client, member, section, abort).ConfigureAwait(false);

        var release = await client.Http.DeleteAsync(member, $"/v1/locks/{LockName}?token={section.Token.ToString(CultureInfo.InvariantCulture)}", abort).ConfigureAwait(false);
        if (release.Outcome != CallOutcome.Ok)
            keeper.Forget(lease); // the grant may live on with the lease: let both expire, and start afresh
        return Complete(client, pending, status, section, error);
    }

    /// <summary>A writer's protected increment: read the counter, write it plus one with the grant's fencing token.</summary>
    private async Task<(Section, OperationStatus, string?)> IncrementAsync(ClientContext client, ClusterRunner.MemberSpec member, Section section, CancellationToken abort)
    {
        var read = await client.Http.ReadAsync(member, CounterKey, stale: false, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, read.Call);
        if (!read.Succeeded || !long.TryParse(read.Value ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var current))
            return (section, OperationStatus.Fail, $"aborted: read on {member.Id} {read.Call.ErrorText}");
        section = section with { Read = current, Wrote = current + 1 };
        var write = await client.Http.PutFencedAsync(member, CounterKey, section.Wrote.ToString(CultureInfo.InvariantCulture), $"{LockName}:{section.Token}", abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, write);
        if (write.Outcome == CallOutcome.Ok)
        {
            using var answer = JsonDocument.Parse(write.Body ?? "{}");
            return (section with { Revision = answer.RootElement.TryGetProperty("revision", out var revision) ? revision.GetInt64() : 0 }, OperationStatus.Ok, null);
        }

        return (section, write.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info, $"write on {member.Id} {write.ErrorText}");
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

    private static OperationStatus Complete(ClientContext client, PendingOperation pending, OperationStatus status, Section section, string? error)
    {
        client.Recorder.Complete(pending, status, JsonSerializer.Serialize(section, LeasedLockWorkload.OutputJson), error);
        return status;
    }

    /// <summary>Stops the keep-alives, then reads the writers' counter (recorded as a read of <see cref="CounterKey"/>).</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        await stopKeepAlives.CancelAsync().ConfigureAwait(false);
        if (!semaphore && !await FinalRead.RetryAsync(context, CounterKey, token).ConfigureAwait(false))
            context.Log.Info($"final read of {CounterKey} never succeeded");
    }

    public void Dispose() => stopKeepAlives.Dispose();

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
