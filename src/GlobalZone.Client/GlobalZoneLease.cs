using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Client;

/// <summary>
/// A lease: keys and locks attached to it live while it does. Renewed in the background (every third of its TTL by
/// default). <see cref="LostToken"/> fires when it is lost: found expired or revoked, or not renewed for a whole TTL
/// (counted from the moment the last successful renewal was <em>sent</em>, so the token fires no later than the
/// cluster could expire it). Disposing stops renewing and revokes it.
/// </summary>
public sealed partial class GlobalZoneLease : IAsyncDisposable
{
    private readonly GlobalZoneClient client;
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource stop;
    // The TTL countdown. A timer of its own (not CancelAfter on the lost token) so that a late tick after a
    // deliberate stop can see the stop and do nothing, instead of firing the lost token.
    private readonly ITimer countdown;
    private readonly Task keepAlive;
    private Task? disposal;

    internal GlobalZoneLease(GlobalZoneClient client, LeaseInfo info, long requestedAt, LeaseOptions options)
    {
        this.client = client;
        Id = info.Id;
        Ttl = TimeSpan.FromSeconds(info.Ttl);
        KeepAliveInterval = options.KeepAliveInterval ?? TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, Ttl.Ticks / 3));
        var remaining = Ttl - client.Time.GetElapsedTime(requestedAt);
        stop = CancellationTokenSource.CreateLinkedTokenSource(client.Disposing);
        countdown = client.Time.CreateTimer(static state => ((GlobalZoneLease)state!).OnCountdownExpired(), this,
            remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        keepAlive = options.KeepAlive ? Task.Run(KeepAliveLoopAsync) : Task.CompletedTask;
    }

    /// <summary>The lease id (what keys, locks and the API refer to).</summary>
    public long Id { get; }

    /// <summary>The TTL the cluster granted.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Time between background renewals.</summary>
    public TimeSpan KeepAliveInterval { get; }

    /// <summary>Fires when the lease is lost (expired, revoked, or not renewed within its TTL). It does not fire on a normal dispose.</summary>
    public CancellationToken LostToken => lost.Token;

    /// <summary>Whether the lease is known lost.</summary>
    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>Why the lease was lost (null while it is not).</summary>
    public string? LostReason { get; private set; }

    /// <summary>Renews the lease once, now.</summary>
    /// <returns>True when renewed; false when the cluster no longer has it (then <see cref="LostToken"/> fires).</returns>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<bool> KeepAliveAsync(CancellationToken cancellationToken = default)
    {
        var sentAt = client.Time.GetTimestamp();
        var renewed = await client.KeepAliveLeaseAsync(Id, null, cancellationToken).ConfigureAwait(false);
        if (renewed is null)
        {
            MarkLost("the cluster no longer has the lease (expired or revoked)");
            return false;
        }

        Renewed(sentAt);
        return true;
    }

    /// <summary>Stops renewing and revokes the lease: its keys are deleted and its locks released. Idempotent.</summary>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget (the lease then expires by itself).</exception>
    public Task RevokeAsync(CancellationToken cancellationToken = default)
    {
        var task = LazyInitializer.EnsureInitialized(ref disposal, () => RevokeOnceAsync());
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops renewing and revokes the lease (best effort: if the cluster cannot be reached, the lease expires after its TTL).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await RevokeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is GlobalZoneException or ObjectDisposedException)
        {
            // Unreachable cluster, or the client was disposed first: the lease expires after its TTL by itself.
            LogRevokeFailed(client.Logger, Id, e.Message);
        }
    }

    private async Task RevokeOnceAsync()
    {
        // Given up on purpose: the TTL countdown must not report it lost later. Stop the keep-alive loop first and
        // only then disarm the countdown: a renewal finishing meanwhile would otherwise re-arm it.
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        countdown.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        countdown.Dispose();

        await client.RevokeLeaseAsync(Id, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task KeepAliveLoopAsync()
    {
        var token = stop.Token;
        var pause = KeepAliveInterval;
        try
        {
            while (!token.IsCancellationRequested && !lost.IsCancellationRequested)
            {
                await Task.Delay(pause, client.Time, token).ConfigureAwait(false);
                var sentAt = client.Time.GetTimestamp();
                try
                {
                    // Retry within what is left of the TTL: after that the lease is lost whatever the answer.
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token, lost.Token);
                    var renewed = await client.KeepAliveLeaseAsync(Id, new RetryLimits(int.MaxValue, Ttl), attempt.Token).ConfigureAwait(false);
                    if (renewed is null)
                    {
                        MarkLost("the cluster no longer has the lease (expired or revoked)");
                        return;
                    }

                    Renewed(sentAt);
                    pause = KeepAliveInterval;
                }
                catch (OperationCanceledException) when (lost.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    MarkLost($"not renewed within its TTL of {Ttl.TotalSeconds:0.###} s");
                    return;
                }
                catch (GlobalZoneException e) when (!token.IsCancellationRequested)
                {
                    // Keep trying while the TTL lasts; the lost token's own timer fires when it runs out.
                    LogKeepAliveFailed(client.Logger, Id, e.Message);
                    pause = TimeSpan.FromTicks(Math.Min(KeepAliveInterval.Ticks, TimeSpan.FromMilliseconds(200).Ticks));
                }
            }

            if (lost.IsCancellationRequested)
                MarkLost($"not renewed within its TTL of {Ttl.TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private void Renewed(long sentAt)
    {
        if (lost.IsCancellationRequested || stop.IsCancellationRequested)
            return;
        Diagnostics.GlobalZoneClientTelemetry.LeaseRenewals.Add(1);
        var remaining = Ttl - client.Time.GetElapsedTime(sentAt);
        try
        {
            countdown.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void OnCountdownExpired()
    {
        if (!stop.IsCancellationRequested)
            MarkLost($"not renewed within its TTL of {Ttl.TotalSeconds:0.###} s");
    }

    private void MarkLost(string reason)
    {
        if (LostReason is null)
        {
            LostReason = reason;
            LogLost(client.Logger, Id, reason);
            Diagnostics.GlobalZoneClientTelemetry.LeasesLost.Add(1);
        }

        lost.Cancel();
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Lease {LeaseId} lost: {Reason}")]
    private static partial void LogLost(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Lease {LeaseId} keep-alive failed: {Reason}; retrying within the TTL")]
    private static partial void LogKeepAliveFailed(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning, Message = "Lease {LeaseId} could not be revoked ({Reason}); it expires after its TTL")]
    private static partial void LogRevokeFailed(ILogger logger, long leaseId, string reason);
}
