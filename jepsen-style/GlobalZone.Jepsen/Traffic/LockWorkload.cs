using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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
internal sealed class LockWorkload(WorkloadSettings settings) : IWorkload, IDisposable
{
    /// <summary>The one lock every client takes.</summary>
    public const string LockName = "jepsen-lock";

    /// <summary>The key the lock protects.</summary>
    public const string CounterKey = "lock/counter";

    private readonly ConcurrentDictionary<int, LeaseKeeper> leases = new();
    private readonly CancellationTokenSource stopKeepAlives = new();
    private int sections;

    public string Name => "lock";

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

        var section = new Section { Fenced = settings.Fenced, Lease = lease };
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, CounterKey);
        var wait = settings.LockWait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var acquire = await client.Http.PostAsync(member, $"/v1/locks/{LockName}", $$"""{"lease":{{lease}},"wait":{{wait}},"owner":"p{{client.Process}}"}""", abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, acquire);
        if (acquire.Outcome != CallOutcome.Ok)
        {
            if (acquire.Outcome == CallOutcome.NotFound)
                keeper.Forget(lease);
            if (!acquire.Outcome.IsDefinite())
            {
                // We may hold the lock without knowing its token: give the grant up by lease, and the lease with it.
                await client.Http.DeleteAsync(member, $"/v1/locks/{LockName}?lease={lease}", abort).ConfigureAwait(false);
                keeper.Forget(lease);
            }

            return Complete(client, pending, OperationStatus.Fail, section, $"not granted: {member.Id} {acquire.ErrorText}");
        }

        using (var grant = JsonDocument.Parse(acquire.Body ?? "{}"))
        {
            section = section with { Token = grant.RootElement.GetProperty("fencingToken").GetInt64() };
        }

        var fence = $"{LockName}:{section.Token}";
        var read = await client.Http.ReadAsync(member, CounterKey, stale: false, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, read.Call);
        if (!read.Succeeded || !long.TryParse(read.Value ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var current))
        {
            await ReleaseAsync(client, member, section.Token, abort).ConfigureAwait(false);
            return Complete(client, pending, OperationStatus.Fail, section, $"aborted: read on {member.Id} {read.Call.ErrorText}");
        }

        section = section with { Read = current, Wrote = current + 1 };
        if (settings.ClientPauseEvery > 0 && Interlocked.Increment(ref sections) % settings.ClientPauseEvery == 0)
        {
            // The stall under test: the whole client stops (keep-alives too) while it believes it holds the lock.
            var stalled = Stopwatch.StartNew();
            keeper.Paused = true;
            try
            {
                await Task.Delay(settings.ClientPause, abort).ConfigureAwait(false);
            }
            finally
            {
                keeper.Paused = false;
            }

            section = section with { PausedMs = (long)stalled.Elapsed.TotalMilliseconds };
        }

        var value = section.Wrote.ToString(CultureInfo.InvariantCulture);
        var write = settings.Fenced
            ? await client.Http.PutFencedAsync(member, CounterKey, value, fence, abort).ConfigureAwait(false)
            : await client.Http.PutAsync(member, CounterKey, value, ifMatchRevision: null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, write);
        await ReleaseAsync(client, member, section.Token, abort).ConfigureAwait(false);
        if (section.PausedMs > 0)
            keeper.Forget(lease); // most likely expired while stalled; start the next section with a fresh one
        if (write.Outcome == CallOutcome.Ok)
        {
            using var answer = JsonDocument.Parse(write.Body ?? "{}");
            section = section with { Revision = answer.RootElement.TryGetProperty("revision", out var revision) ? revision.GetInt64() : 0 };
            return Complete(client, pending, OperationStatus.Ok, section, null);
        }

        return Complete(client, pending, write.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info, section, $"write on {member.Id} {write.ErrorText}");
    }

    private static async Task ReleaseAsync(ClientContext client, ClusterRunner.MemberSpec member, long token, CancellationToken abort)
    {
        // Best effort: a grant that is already gone (expired lease) or unreachable is released by its lease's expiry.
        await client.Http.DeleteAsync(member, $"/v1/locks/{LockName}?token={token.ToString(CultureInfo.InvariantCulture)}", abort).ConfigureAwait(false);
    }

    private static OperationStatus Complete(ClientContext client, PendingOperation pending, OperationStatus status, Section section, string? error)
    {
        client.Recorder.Complete(pending, status, JsonSerializer.Serialize(section, SectionJson.Options), error);
        return status;
    }

    /// <summary>Stops the keep-alives, then reads the counter's final value (recorded as a read of <see cref="CounterKey"/>).</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        await stopKeepAlives.CancelAsync().ConfigureAwait(false);
        if (!await FinalRead.RetryAsync(context, CounterKey, token).ConfigureAwait(false))
            context.Log.Info($"final read of {CounterKey} never succeeded");
    }

    public void Dispose() => stopKeepAlives.Dispose();

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

    internal static class SectionJson
    {
        public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    }
}
