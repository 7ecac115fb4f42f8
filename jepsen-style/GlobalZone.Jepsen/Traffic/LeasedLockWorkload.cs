using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// The shape the lock-like workloads (lock, rwlock, semaphore, election) share: every client holds a lease kept alive
/// in the background (<see cref="LeaseKeeper"/>), and each operation is one hold on it — acquire a grant on the lease,
/// act under its fencing token, let it go — recorded as one write whose output is the workload's own record. What a
/// hold does is the workload's (<see cref="HoldAsync"/>); the lease keeping, the acquire call, the stall that plays a
/// GC pause, the protected counter and the recording are here, so the workloads cannot drift apart on them.
/// </summary>
internal abstract class LeasedLockWorkload(WorkloadSettings settings) : IWorkload, IDisposable
{
    /// <summary>How the operations' outputs are written (the checkers read them back with it).</summary>
    public static readonly JsonSerializerOptions OutputJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly ConcurrentDictionary<int, LeaseKeeper> leases = new();
    private readonly CancellationTokenSource stopKeepAlives = new();
    private int holds;

    public abstract string Name { get; }

    protected WorkloadSettings Settings => settings;

    /// <summary>The counter the workload's holders increment, read once after healing; null when there is none.</summary>
    protected virtual string? SettledCounter => null;

    public async Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var keeper = leases.GetOrAdd(client.Index, _ => new LeaseKeeper(client.Http, settings.LeaseTtl, stopKeepAlives.Token));
        var member = client.Target(CallPurpose.Update);
        keeper.UseMember(member);
        var (lease, leaseCall) = await keeper.EnsureAsync(member, abort).ConfigureAwait(false);
        if (lease == 0)
        {
            // No lease, no attempt: nothing to record.
            client.Observe(CallPurpose.Update, leaseCall);
            return OperationStatus.Fail;
        }

        return await HoldAsync(new LeaseHold(client, member, keeper, lease), abort).ConfigureAwait(false);
    }

    /// <summary>One operation on a live lease: invoke its record, acquire, act, let go, complete the record.</summary>
    protected abstract Task<OperationStatus> HoldAsync(LeaseHold hold, CancellationToken abort);

    /// <summary>Asks for a grant at <paramref name="route"/> on the hold's lease, queueing up to <see cref="WorkloadSettings.LockWait"/>.</summary>
    protected async Task<CallResult> AcquireAsync(LeaseHold hold, string route, string owner, CancellationToken abort)
    {
        var wait = settings.LockWait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var acquire = await hold.Client.Http.PostAsync(hold.Member, route, $$"""{"lease":{{hold.Lease}},"wait":{{wait}},"owner":"{{owner}}"}""", abort).ConfigureAwait(false);
        hold.Client.Observe(CallPurpose.Update, acquire);
        return acquire;
    }

    /// <summary>The fencing token of a granted acquire.</summary>
    protected static long FencingToken(CallResult grant)
    {
        using var document = JsonDocument.Parse(grant.Body ?? "{}");
        return document.RootElement.GetProperty("fencingToken").GetInt64();
    }

    /// <summary>
    /// After an acquire that was not granted: a lease the cluster no longer knows is forgotten; after an unknown
    /// outcome we may hold a grant without knowing its token, so give it up by lease, and the lease with it.
    /// </summary>
    protected static async Task GiveUpAsync(LeaseHold hold, string lockName, CallResult acquire, CancellationToken abort)
    {
        if (acquire.Outcome == CallOutcome.NotFound)
            hold.Keeper.Forget(hold.Lease);
        if (!acquire.Outcome.IsDefinite())
        {
            await hold.Client.Http.DeleteAsync(hold.Member, $"/v1/locks/{lockName}?lease={hold.Lease}", abort).ConfigureAwait(false);
            hold.Keeper.Forget(hold.Lease);
        }
    }

    /// <summary>Releases the grant by its token; the answer says whether it was still there.</summary>
    protected static Task<CallResult> ReleaseAsync(LeaseHold hold, string lockName, long token, CancellationToken abort) =>
        hold.Client.Http.DeleteAsync(hold.Member, $"/v1/locks/{lockName}?token={token.ToString(CultureInfo.InvariantCulture)}", abort);

    /// <summary>Whether this hold is one of every <see cref="WorkloadSettings.ClientPauseEvery"/> (over all clients) that stalls.</summary>
    protected bool StallDue() => settings.ClientPauseEvery > 0 && Interlocked.Increment(ref holds) % settings.ClientPauseEvery == 0;

    /// <summary>
    /// The stall under test: the whole client stops (keep-alives too) for <see cref="WorkloadSettings.ClientPause"/>
    /// while it believes it holds the grant. Returns how long it stalled, in milliseconds.
    /// </summary>
    protected async Task<long> StallAsync(LeaseHold hold, CancellationToken abort)
    {
        var stalled = Stopwatch.StartNew();
        hold.Keeper.Paused = true;
        try
        {
            await Task.Delay(settings.ClientPause, abort).ConfigureAwait(false);
        }
        finally
        {
            hold.Keeper.Paused = false;
        }

        return (long)stalled.Elapsed.TotalMilliseconds;
    }

    /// <summary>Reads a protected counter linearizably; null (with the call's error) when the read failed or held no number.</summary>
    protected static async Task<(long? Value, string Error)> ReadCounterAsync(LeaseHold hold, string key, CancellationToken abort)
    {
        var read = await hold.Client.Http.ReadAsync(hold.Member, key, stale: false, abort).ConfigureAwait(false);
        hold.Client.Observe(CallPurpose.Update, read.Call);
        if (!read.Succeeded || !long.TryParse(read.Value ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var current))
            return (null, $"aborted: read on {hold.Member.Id} {read.Call.ErrorText}");
        return (current, "");
    }

    /// <summary>Writes a protected key, with <paramref name="fence"/> (<c>If-Fencing-Token</c>) when <paramref name="fenced"/>.</summary>
    protected static async Task<CallResult> WriteAsync(LeaseHold hold, string key, string value, string fence, bool fenced, CancellationToken abort)
    {
        var write = fenced
            ? await hold.Client.Http.PutFencedAsync(hold.Member, key, value, fence, abort).ConfigureAwait(false)
            : await hold.Client.Http.PutAsync(hold.Member, key, value, ifMatchRevision: null, abort).ConfigureAwait(false);
        hold.Client.Observe(CallPurpose.Update, write);
        return write;
    }

    /// <summary>The revision an accepted write committed at (0 when the answer does not say).</summary>
    protected static long CommittedRevision(CallResult write)
    {
        using var answer = JsonDocument.Parse(write.Body ?? "{}");
        return answer.RootElement.TryGetProperty("revision", out var revision) ? revision.GetInt64() : 0;
    }

    /// <summary>How a write that was not accepted ends its operation: refused for certain, or unknown.</summary>
    protected static OperationStatus NotAccepted(CallResult write) => write.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;

    /// <summary>Completes the hold's operation with its record as output.</summary>
    protected static OperationStatus Complete<TRecord>(LeaseHold hold, PendingOperation pending, OperationStatus status, TRecord record, string? error)
    {
        hold.Client.Recorder.Complete(pending, status, JsonSerializer.Serialize(record, OutputJson), error);
        return status;
    }

    /// <summary>Stops the keep-alives, then reads <see cref="SettledCounter"/>'s final value (recorded as a read of it) if there is one.</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        await stopKeepAlives.CancelAsync().ConfigureAwait(false);
        if (SettledCounter is { } counter && !await FinalRead.RetryAsync(context, counter, token).ConfigureAwait(false))
            context.Log.Info($"final read of {counter} never succeeded");
    }

    public void Dispose() => stopKeepAlives.Dispose();

    /// <summary>One client's operation on its live lease, through the member it talks to.</summary>
    protected sealed record LeaseHold(ClientContext Client, MemberSpec Member, LeaseKeeper Keeper, long Lease);
}
