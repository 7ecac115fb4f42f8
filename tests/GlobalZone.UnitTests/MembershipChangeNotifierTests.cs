using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using GlobalZone.Consensus;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>
/// Issue 11: DotNext's configuration storage raises its change event with the caller's token, and the subscriber
/// RaftHttpCluster uses (a channel writer) drops the change when that token is cancelled; the stored version then
/// refuses every retry. The notifier passes on every stored change. In both tests the caller gives up between
/// the save and the event, as it did when a slow disk flush outlasted the leader's RPC timeout.
/// </summary>
public sealed class MembershipChangeNotifierTests : IDisposable
{
    private static readonly UriEndPoint A = new(new Uri("http://127.0.0.1:1001/"));
    private static readonly UriEndPoint B = new(new Uri("http://127.0.0.1:1002/"));
    private static readonly UriEndPoint C = new(new Uri("http://127.0.0.1:1003/"));
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>What DotNext 6.12 does on its own; if this starts failing, DotNext changed and the notifier may go.</summary>
    [Fact]
    public async Task DotNexts_storage_alone_loses_a_change_whose_caller_gave_up_and_refuses_the_retry()
    {
        using var storage = await OpenSeededAsync();
        using var caller = new CancellationTokenSource();
        storage.ConfigurationChanged += (_, _) => CallerGivesUp(caller);
        var dotNext = Channel.CreateUnbounded<IClusterConfiguration<UriEndPoint>>();
        storage.ConfigurationChanged += dotNext.Writer.WriteAsync; // what RaftHttpCluster subscribes
        var changed = await ChangedAsync(storage);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(changed, 5, caller.Token).AsTask());
        Assert.Equal(5, (await ((IClusterConfigurationStorage)storage).LoadConfigurationAsync()).Version);
        Assert.False(dotNext.Reader.TryRead(out _), "stored, yet never passed on");
        Assert.False(await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(changed, 5));
        Assert.False(dotNext.Reader.TryRead(out _), "and the retry is refused as not newer");
    }

    [Fact]
    public async Task The_notifier_passes_on_a_change_whose_caller_gave_up_during_the_save()
    {
        var storage = await OpenSeededAsync();
        using var caller = new CancellationTokenSource();
        storage.ConfigurationChanged += (_, _) => CallerGivesUp(caller); // before the notifier's own handler
        using var notifier = new MembershipChangeNotifier(storage, NullLogger.Instance);
        var dotNext = Channel.CreateUnbounded<IClusterConfiguration<UriEndPoint>>();
        notifier.ConfigurationChanged += dotNext.Writer.WriteAsync;
        var changed = await ChangedAsync(storage);

        Assert.True(await ((IClusterConfigurationStorage)notifier).SaveConfigurationAsync(changed, 5, caller.Token));
        Assert.True(caller.IsCancellationRequested);
        Assert.True(dotNext.Reader.TryRead(out var passedOn));
        Assert.Equal(Uris(A, C), Uris([.. passedOn.Members]));
        Assert.False(await ((IClusterConfigurationStorage)notifier).SaveConfigurationAsync(changed, 5));
        Assert.False(dotNext.Reader.TryRead(out _), "a refused retry passes on nothing twice");
    }

    [Fact]
    public async Task A_stored_change_never_passed_on_is_passed_on_at_the_next_save_attempt()
    {
        var storage = await OpenSeededAsync();
        using var notifier = new MembershipChangeNotifier(storage, NullLogger.Instance);
        var dotNext = Channel.CreateUnbounded<IClusterConfiguration<UriEndPoint>>();
        // A subscriber failing (as a cancelled channel write does) during the first call: both the notification from
        // the save and the catch-up at the end of that call are lost.
        var failuresLeft = 2;
        notifier.ConfigurationChanged += (configuration, token) => --failuresLeft >= 0
            ? ValueTask.FromException(new OperationCanceledException("lost (test)"))
            : dotNext.Writer.WriteAsync(configuration, token);
        var changed = await ChangedAsync(storage);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ((IClusterConfigurationStorage)notifier).SaveConfigurationAsync(changed, 5).AsTask());
        Assert.False(dotNext.Reader.TryRead(out _));
        // The leader's next InstallSnapshot attempt carries the same version: refused as not newer, but passed on now.
        Assert.False(await ((IClusterConfigurationStorage)notifier).SaveConfigurationAsync(changed, 5));
        Assert.True(dotNext.Reader.TryRead(out var passedOn));
        Assert.Equal(Uris(A, C), Uris([.. passedOn.Members]));
    }

    private static string[] Uris(params UriEndPoint[] members) => [.. members.Select(m => m.Uri.ToString()).Order()];

    private static ValueTask CallerGivesUp(CancellationTokenSource caller)
    {
        caller.Cancel();
        return ValueTask.CompletedTask;
    }

    /// <summary>DotNext's persistent storage, as MembershipStorage opens it, holding {A, B} at version 0.</summary>
    private async Task<IClusterConfigurationStorage<UriEndPoint>> OpenSeededAsync()
    {
        var storage = new ServiceCollection().UsePersistentConfigurationStorage(Path.Combine(dir.Path, "membership")).BuildServiceProvider()
            .GetRequiredService<IClusterConfigurationStorage<UriEndPoint>>();
        var seed = (await storage.LoadConfigurationAsync()).Add(A).Add(B);
        Assert.True(await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(seed, 0L));
        return storage;
    }

    /// <summary>{A, C}: B removed, C added.</summary>
    private static async Task<IClusterConfiguration<UriEndPoint>> ChangedAsync(IClusterConfigurationStorage<UriEndPoint> storage)
        => (await storage.LoadConfigurationAsync()).Remove(B).Add(C);
}
