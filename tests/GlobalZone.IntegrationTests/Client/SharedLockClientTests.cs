using GlobalZone.Client;
using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>Reader-writer locks and semaphores through the DistributedLock.Core interfaces, on a real cluster.</summary>
[Collection(SharedClientClusterCollection.Name)]
public sealed class SharedLockClientTests(SharedClientCluster shared)
{
    private TestCluster Cluster => shared.Cluster;

    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        var options = ClientClusters.Options(Cluster);
        services.AddGlobalZoneClient(o =>
        {
            o.Endpoints = options.Endpoints;
            o.LockLeaseTtl = options.LockLeaseTtl;
            o.CaCertificateFile = options.CaCertificateFile;
            o.Token = options.Token;
        });
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ReadersShareAWriterIsAloneThroughIDistributedReaderWriterLockProvider()
    {
        await using var services = Services();
        // The one line that differs from another DistributedLock back end:
        IDistributedReaderWriterLockProvider locks = services.GetRequiredService<IDistributedReaderWriterLockProvider>();
        var name = "client-tests/rw-" + Guid.NewGuid().ToString("N")[..8];
        var rw = locks.CreateReaderWriterLock(name);
        Assert.Equal(name, rw.Name);

        var read1 = Assert.IsType<GlobalZoneLockHandle>(await rw.AcquireReadLockAsync(TimeSpan.FromSeconds(10)));
        var read2 = Assert.IsType<GlobalZoneLockHandle>(await locks.AcquireReadLockAsync(name, TimeSpan.FromSeconds(10)));
        Assert.Equal("read", read1.Mode);
        Assert.True(read2.FencingToken > read1.FencingToken);
        Assert.Null(await rw.TryAcquireWriteLockAsync());
        await Assert.ThrowsAsync<TimeoutException>(async () => await rw.AcquireWriteLockAsync(TimeSpan.FromMilliseconds(300)));

        // A writer that queues holds back a reader that comes after it, until the readers leave.
        var writer = rw.AcquireWriteLockAsync(TimeSpan.FromSeconds(30)).AsTask();
        var client = services.GetRequiredService<GlobalZoneClient>();
        await Eventually.TrueAsync(async () => (await client.Locks.GetAsync(name)).WaiterCount == 1, TimeSpan.FromSeconds(10), "the writer to queue");
        Assert.Null(await rw.TryAcquireReadLockAsync());
        await read1.DisposeAsync();
        await read2.DisposeAsync();
        var write = Assert.IsType<GlobalZoneLockHandle>(await writer);
        Assert.Equal("write", write.Mode);
        Assert.True(write.FencingToken > read2.FencingToken);
        await client.PutAsync(name + "/data", 1, new WriteOptions { FencedBy = write });
        Assert.False(write.IsLost);
        await write.DisposeAsync();
        Assert.Null((await client.Locks.GetAsync(name)).Kind);
    }

    [Fact]
    public async Task ASemaphoreAdmitsItsCountThroughIDistributedSemaphoreProviderAndALostPermitFiresItsToken()
    {
        await using var services = Services();
        IDistributedSemaphoreProvider semaphores = services.GetRequiredService<IDistributedSemaphoreProvider>();
        var name = "client-tests/sem-" + Guid.NewGuid().ToString("N")[..8];
        var semaphore = semaphores.CreateSemaphore(name, 2);
        Assert.Equal(2, semaphore.MaxCount);

        await using var first = Assert.IsType<GlobalZoneLockHandle>(await semaphore.AcquireAsync(TimeSpan.FromSeconds(10)));
        using var second = semaphore.Acquire(TimeSpan.FromSeconds(10));
        Assert.Null(await semaphores.TryAcquireSemaphoreAsync(name, 2));
        var otherCount = await Assert.ThrowsAnyAsync<GlobalZoneException>(async () => await semaphores.TryAcquireSemaphoreAsync(name, 3));
        Assert.EndsWith("/lock-kind-conflict", otherCount.ProblemType);

        // An operator releases the first permit by token: its handle learns it is lost, the other keeps its own.
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = first.HandleLostToken.Register(() => lost.TrySetResult());
        var member = Cluster.Members.First(m => m.IsRunning && !m.Spec.IsWitness);
        using (var release = await Cluster.Client(member).DeleteAsync($"/v1/semaphores/{name}?token={first.FencingToken}"))
            Assert.True(release.IsSuccessStatusCode, $"release answered {(int)release.StatusCode}");
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(second.HandleLostToken.IsCancellationRequested);
        await using var third = await semaphores.AcquireSemaphoreAsync(name, 2, TimeSpan.FromSeconds(10));
        Assert.True(((GlobalZoneLockHandle)third).FencingToken > ((GlobalZoneLockHandle)second).FencingToken);
    }
}
