using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// Semaphores on a GlobalZone cluster: up to a limit of holders at once, granted first-in first-out. Each handle holds
/// its permit with its own lease and carries its own fencing token. Implements <see cref="IDistributedSemaphoreProvider"/>:
/// <c>IDistributedSemaphoreProvider provider = client.Semaphores;</c>
/// </summary>
public sealed class GlobalZoneSemaphoreProvider : IDistributedSemaphoreProvider
{
    /// <summary>Largest limit the cluster accepts (its grants live in one record).</summary>
    public const int MaxLimit = 1000;

    private readonly GlobalZoneLockProvider locks;

    internal GlobalZoneSemaphoreProvider(GlobalZoneLockProvider locks) => this.locks = locks;

    /// <summary>A semaphore object for <paramref name="name"/> with <paramref name="maxCount"/> permits (no request is made until it is acquired).</summary>
    /// <remarks>Every holder of a name must name the same <paramref name="maxCount"/>; the cluster refuses another one while the semaphore is held or awaited.</remarks>
    public GlobalZoneDistributedSemaphore CreateSemaphore(string name, int maxCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCount, MaxLimit);
        return new GlobalZoneDistributedSemaphore(locks, name, maxCount);
    }

    IDistributedSemaphore IDistributedSemaphoreProvider.CreateSemaphore(string name, int maxCount) => CreateSemaphore(name, maxCount);
}
