using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using GlobalZone.Client;
using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>Distributed locks through the client library, on a real cluster: exclusion, loss, fencing, the DistributedLock.Core interfaces.</summary>
[Collection(SharedClientClusterCollection.Name)]
public sealed class LockTests(SharedClientCluster shared, ITestOutputHelper output)
{
    private TestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task ManyConcurrentTasksWithTheirOwnClientsNeverHoldTheLockTogether()
    {
        const int tasks = 6, rounds = 4;
        var name = "client-tests/exclusive-" + Guid.NewGuid().ToString("N")[..8];
        var counter = name + "/counter";
        var inside = 0;
        var mostInside = 0;
        var tokens = new ConcurrentBag<long>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(async _ =>
        {
            await using var client = ClientClusters.Client(Cluster);
            for (var round = 0; round < rounds; round++)
            {
                await using var handle = await client.Locks.AcquireAsync(name, TimeSpan.FromSeconds(60));
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref mostInside, now);
                var value = await client.GetValueAsync<long>(counter);
                await client.PutAsync(counter, value + 1);
                tokens.Add(handle.FencingToken);
                Interlocked.Decrement(ref inside);
            }
        }));
        output.WriteLine($"{tasks * rounds} acquisitions by {tasks} clients in {clock.Elapsed.TotalSeconds:0.0} s");

        await using var reader = ClientClusters.Client(Cluster);
        Assert.Equal(tasks * rounds, await reader.GetValueAsync<long>(counter));
        Assert.Equal(1, mostInside);
        Assert.Equal(tasks * rounds, tokens.Distinct().Count());
        var info = await reader.Locks.GetAsync(name);
        Assert.Null(info.Holder);
        Assert.Empty(info.Waiters);
    }

    [Fact]
    public async Task SeparateProcessesAndLocalTasksShareOneLockExactly()
    {
        const int processes = 3, perProcess = 6, localTasks = 2, perTask = 4;
        var name = "client-tests/processes-" + Guid.NewGuid().ToString("N")[..8];
        var counter = name + "/counter";
        var worker = Path.Combine(AppContext.BaseDirectory, "GlobalZone.Client.LockWorker.dll");
        Assert.True(File.Exists(worker), $"{worker} is missing (the integration tests reference the worker project).");
        var endpoints = string.Join(',', Cluster.Members.Select(m => m.Url));
        var started = new List<Process>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { worker, endpoints, name, counter, perProcess.ToString(CultureInfo.InvariantCulture) })
                    info.ArgumentList.Add(arg);
                foreach (var (variable, value) in SuiteSecurity.ToolEnvironment(Cluster.Members[0].Url))
                    info.Environment[variable] = value;
                started.Add(Process.Start(info) ?? throw new InvalidOperationException("could not start the lock worker"));
            }

            var outputs = started.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
            var tokens = new ConcurrentBag<long>();
            var local = Enumerable.Range(0, localTasks).Select(async _ =>
            {
                await using var client = ClientClusters.Client(Cluster);
                for (var round = 0; round < perTask; round++)
                {
                    await using var handle = await client.Locks.AcquireAsync(name, TimeSpan.FromSeconds(60));
                    var value = await client.GetValueAsync<long>(counter);
                    await client.PutAsync(counter, value + 1);
                    tokens.Add(handle.FencingToken);
                }
            }).ToList();
            await Task.WhenAll(local);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            foreach (var (process, io) in started.Zip(outputs))
            {
                await process.WaitForExitAsync(deadline.Token);
                var stdout = await io.Out;
                Assert.True(process.ExitCode == 0, $"worker {process.Id} exited {process.ExitCode}: {stdout} {await io.Err}");
                foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith("token ", StringComparison.Ordinal)))
                    tokens.Add(long.Parse(line["token ".Length..], CultureInfo.InvariantCulture));
            }

            var total = processes * perProcess + localTasks * perTask;
            await using var reader = ClientClusters.Client(Cluster);
            Assert.Equal(total, await reader.GetValueAsync<long>(counter));
            Assert.Equal(total, tokens.Distinct().Count());
        }
        finally
        {
            foreach (var process in started)
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                process.Dispose();
            }
        }
    }

    [Fact]
    public async Task TheLostTokenFiresWhenTheHoldersLeaseIsRevokedAndItsFenceIsThenRefused()
    {
        var name = "client-tests/lost-" + Guid.NewGuid().ToString("N")[..8];
        var logging = new TestLogging(output);
        await using var holder = ClientClusters.Client(Cluster, logging: logging.Factory(), configure: o => o.LockLeaseTtl = TimeSpan.FromSeconds(3));
        await using var rival = ClientClusters.Client(Cluster);
        var handle = await holder.Locks.AcquireAsync(name, TimeSpan.FromSeconds(10));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = handle.HandleLostToken.Register(() => lost.TrySetResult());
        await holder.PutAsync(name + "/data", "by the holder", new WriteOptions { FencedBy = handle });
        Assert.Null(await rival.Locks.TryAcquireAsync(name));

        // Someone (an operator, a lease-expiry) ends the holder's lease behind its back.
        var member = Cluster.Members.First(m => m.IsRunning && !m.Spec.IsWitness);
        using (var revoke = await Cluster.Client(member).DeleteAsync($"/v1/leases/{handle.LeaseId}"))
            Assert.True(revoke.IsSuccessStatusCode, $"revoke answered {(int)revoke.StatusCode}");
        var clock = Stopwatch.StartNew();
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"lost token fired {clock.ElapsedMilliseconds} ms after the revoke");
        Assert.True(handle.IsLost);

        await Assert.ThrowsAsync<FencingTokenRejectedException>(() => holder.PutAsync(name + "/data", "stale holder", new WriteOptions { FencedBy = handle }));
        await using (var next = await rival.Locks.AcquireAsync(name, TimeSpan.FromSeconds(10)))
        {
            Assert.True(next.FencingToken > handle.FencingToken, $"token {next.FencingToken} after {handle.FencingToken}");
            await rival.PutAsync(name + "/data", "by the next holder", new WriteOptions { FencedBy = next });
        }

        Assert.Equal("by the next holder", await rival.GetValueAsync<string>(name + "/data"));
        // Releasing a lost handle is quiet, and releasing twice is harmless.
        await handle.DisposeAsync();
        await handle.DisposeAsync();
    }

    [Fact]
    public async Task TheLostTokenFiresWhenTheGrantIsReleasedByTokenWhileTheLeaseLives()
    {
        var name = "client-tests/forced-" + Guid.NewGuid().ToString("N")[..8];
        await using var holder = ClientClusters.Client(Cluster, configure: o => o.LockLeaseTtl = TimeSpan.FromSeconds(3));
        await using var handle = await holder.Locks.AcquireAsync(name, TimeSpan.FromSeconds(10));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = handle.HandleLostToken.Register(() => lost.TrySetResult());

        var member = Cluster.Members.First(m => m.IsRunning && !m.Spec.IsWitness);
        using (var release = await Cluster.Client(member).DeleteAsync($"/v1/locks/{name}?token={handle.FencingToken}"))
            Assert.True(release.IsSuccessStatusCode, $"release answered {(int)release.StatusCode}");
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(handle.IsLost);
        Assert.False(await holder.GetLeaseAsync(handle.LeaseId) is null, "the lease itself lives on");
    }

    [Fact]
    public async Task TheDistributedLockCoreInterfacesWorkThroughIDistributedLockProvider()
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
        await using var provider = services.BuildServiceProvider();
        // The one line that differs from a SQL Server / Postgres / Redis / ZooKeeper back end:
        IDistributedLockProvider locks = provider.GetRequiredService<IDistributedLockProvider>();

        var name = "client-tests/medallion-" + Guid.NewGuid().ToString("N")[..8];
        IDistributedLock theLock = locks.CreateLock(name);
        Assert.Equal(name, theLock.Name);
        await using (var handle = await theLock.AcquireAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.True(handle.HandleLostToken.CanBeCanceled);
            Assert.False(handle.HandleLostToken.IsCancellationRequested);
            Assert.Null(await locks.TryAcquireLockAsync(name));
            await Assert.ThrowsAsync<TimeoutException>(async () => await locks.AcquireLockAsync(name, TimeSpan.FromMilliseconds(300)));
            Assert.Null(theLock.TryAcquire());
        }

        using (var handle = locks.AcquireLock(name, TimeSpan.FromSeconds(10)))
            Assert.IsType<GlobalZoneLockHandle>(handle);

        const int tasks = 4, rounds = 3;
        var counter = name + "/counter";
        var client = provider.GetRequiredService<GlobalZoneClient>();
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(async _ =>
        {
            for (var round = 0; round < rounds; round++)
            {
                await using var handle = await locks.AcquireLockAsync(name, TimeSpan.FromSeconds(60));
                var value = await client.GetValueAsync<long>(counter);
                await client.PutAsync(counter, value + 1);
            }
        }));
        Assert.Equal(tasks * rounds, await client.GetValueAsync<long>(counter));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
