using GlobalZone.Contracts;
using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// A held lock. Dispose it to release (idempotent; concurrent disposers wait for the one release). Pass it as
/// <see cref="WriteOptions.FencedBy"/> to make a write apply only while this grant is current, and send
/// <see cref="FencingToken"/> to any other resource the lock protects so that it can refuse older holders.
/// </summary>
public sealed class GlobalZoneLockHandle : IDistributedSynchronizationHandle
{
    private readonly GlobalZoneLease lease;

    internal GlobalZoneLockHandle(string name, LockGrant grant, GlobalZoneLease lease)
    {
        Name = name;
        FencingToken = grant.FencingToken;
        Fence = grant.Fence;
        Owner = grant.Owner;
        this.lease = lease;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>The grant's fencing token: larger than that of every earlier grant of this lock.</summary>
    public long FencingToken { get; }

    /// <summary>The <c>If-Fencing-Token</c> value of this grant: <c>{name}:{token}</c>.</summary>
    public string Fence { get; }

    /// <summary>The label the lock was taken with (<see cref="GlobalZoneClientOptions.Owner"/>).</summary>
    public string? Owner { get; }

    /// <summary>The lease that holds the lock (renewed in the background while the handle lives).</summary>
    public long LeaseId => lease.Id;

    /// <summary>
    /// Fires when the lock is lost: its lease expired or was revoked, or could not be renewed within its TTL. Stop
    /// touching the protected resource when it fires. It does not fire on a normal release.
    /// </summary>
    public CancellationToken HandleLostToken => lease.LostToken;

    /// <summary>Whether the lock is known lost.</summary>
    public bool IsLost => lease.IsLost;

    /// <summary>Releases the lock now (revokes its lease), waiting for the cluster's answer. Idempotent.</summary>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget (the lease then expires by itself).</exception>
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => lease.RevokeAsync(cancellationToken);

    /// <summary>Releases the lock (best effort: if the cluster cannot be reached, it frees itself when the lease expires).</summary>
    public ValueTask DisposeAsync() => lease.DisposeAsync();

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => SyncOverAsync.Run(() => lease.DisposeAsync().AsTask());
}
