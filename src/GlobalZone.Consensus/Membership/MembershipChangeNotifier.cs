using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Wraps DotNext's persistent configuration storage so that every new configuration it stores reaches DotNext's
/// member list, even when the Raft call that carried it was abandoned meanwhile.
/// </summary>
/// <remarks>
/// <para>
/// What DotNext 6.12 does (read in <c>RaftHttpCluster</c>, <c>RaftCluster</c> and <c>ClusterConfigurationStorage</c>):
/// <c>RaftHttpCluster</c> reads the stored configuration once at start and applies it; from then on it learns of
/// changes only through the storage's <c>ConfigurationChanged</c> event, whose handler writes the configuration
/// to a channel that a loop of its own drains (<c>ApplyConfigurationAsync</c>: members not in it are removed and
/// disposed, new ones created). There is no polling and nothing re-reads the storage later. The storage saves
/// (<c>SaveConfigurationAsync(configuration, version, token)</c>: refused unless the version is newer than the
/// stored one; written to a temporary file, flushed, moved over, the folder flushed) and only then raises the event
/// <b>with the caller's token</b>. The channel's <c>WriteAsync</c> refuses a cancelled token before writing, so if
/// that token was cancelled during the save, the new configuration is on disk but DotNext's member list never hears
/// of it, and every later save of the same version is refused as not newer: no second event. (By the code a restart
/// would mend it, as start reads the storage; not tried.)
/// </para>
/// <para>
/// On a follower caught up by a snapshot the caller is the InstallSnapshot request (<c>InstallConfigurationAsync</c>
/// runs before the snapshot itself, on every attempt), and its token is the HTTP request's: the leader abandons the
/// call after its RPC timeout. On a loaded machine the save (a file write, two flushes to disk, a rename) outlasted
/// it, so the member installed the data but kept calling the removed member (issue 11; about 1 run in 4 under load;
/// in the one such failure run with a diagnostic, the member logged that the call had given up before the change was
/// passed on).
/// A member that learns a change from a configuration log entry has the same window (the WAL's applier passes its
/// own token), only rarely cancelled.
/// </para>
/// <para>
/// Hence this wrapper owns the event DotNext subscribes to: the storage's own event is forwarded without the caller's
/// token (the subscriber only queues the configuration; there is nothing to cancel), and after any save, accepted,
/// refused or failed, a configuration on disk newer than the last one passed on is passed on then. Saves and
/// notifications are serialized so DotNext never receives an older configuration after a newer one.
/// </para>
/// </remarks>
internal sealed partial class MembershipChangeNotifier : IClusterConfigurationStorage<UriEndPoint>
{
    private readonly IClusterConfigurationStorage<UriEndPoint> storage;
    private readonly ILogger logger;
    private readonly TimeSpan testingNotifyDelay;
    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private readonly Lock subscribersLock = new();
    private Func<IClusterConfiguration<UriEndPoint>, CancellationToken, ValueTask>? subscribers;

    // Both only under oneAtATime.
    private long notifiedVersion;
    private long savingVersion;

    /// <param name="storage">DotNext's storage, already seeded; its current configuration counts as known (DotNext reads it at start).</param>
    /// <param name="testingNotifyDelay">TEST-ONLY: a wait between a save and its notification, as a slow flush inside the save would take.</param>
    public MembershipChangeNotifier(IClusterConfigurationStorage<UriEndPoint> storage, ILogger logger, TimeSpan testingNotifyDelay = default)
    {
        this.storage = storage;
        this.logger = logger;
        this.testingNotifyDelay = testingNotifyDelay;
        notifiedVersion = ((IClusterConfigurationStorage)storage).LoadConfigurationAsync().AsTask().GetAwaiter().GetResult().Version;
        storage.ConfigurationChanged += OnSavedAsync;
        if (testingNotifyDelay > TimeSpan.Zero)
            LogTestingNotifyDelay(logger, (int)testingNotifyDelay.TotalMilliseconds);
    }

    public event Func<IClusterConfiguration<UriEndPoint>, CancellationToken, ValueTask> ConfigurationChanged
    {
        add
        {
            lock (subscribersLock)
                subscribers += value;
        }
        remove
        {
            lock (subscribersLock)
                subscribers -= value;
        }
    }

    public ValueTask<IClusterConfiguration<UriEndPoint>> LoadConfigurationAsync(CancellationToken token = default)
        => storage.LoadConfigurationAsync(token);

    ValueTask<(IDataTransferObject Configuration, long Version)> IClusterConfigurationStorage.LoadConfigurationAsync(CancellationToken token)
        => ((IClusterConfigurationStorage)storage).LoadConfigurationAsync(token);

    public async ValueTask<bool> SaveConfigurationAsync<TConfiguration>(TConfiguration configuration, long configurationVersion, CancellationToken token = default)
        where TConfiguration : IDataTransferObject
    {
        await oneAtATime.WaitAsync(token).ConfigureAwait(false);
        try
        {
            savingVersion = configurationVersion;
            try
            {
                return await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, configurationVersion, token).ConfigureAwait(false);
            }
            finally
            {
                // Whatever happened to this call (refused as not newer, cancelled, failed after the file was moved),
                // DotNext must not be left behind the disk: an earlier call's notification may have been lost.
                await NotifyIfBehindAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>The storage's event, raised inside a save (so under <see cref="oneAtATime"/>) with the caller's token.</summary>
    private async ValueTask OnSavedAsync(IClusterConfiguration<UriEndPoint> configuration, CancellationToken callerToken)
    {
        // TEST-ONLY (GlobalZone:Testing:MembershipNotifyDelayMs): widen the window in which the caller may give up.
        if (testingNotifyDelay > TimeSpan.Zero)
            await Task.Delay(testingNotifyDelay, CancellationToken.None).ConfigureAwait(false);
        if (callerToken.IsCancellationRequested)
            LogCallerGaveUp(logger, savingVersion);
        await NotifyAsync(configuration, savingVersion).ConfigureAwait(false);
    }

    private async Task NotifyIfBehindAsync()
    {
        var (stored, version) = await ((IClusterConfigurationStorage)storage).LoadConfigurationAsync(CancellationToken.None).ConfigureAwait(false);
        if (version <= notifiedVersion)
            return;
        // DotNext's storage hands out its configuration object for both views; read it again if that ever changes.
        var configuration = stored as IClusterConfiguration<UriEndPoint>
            ?? await storage.LoadConfigurationAsync(CancellationToken.None).ConfigureAwait(false);
        LogCaughtUp(logger, version, notifiedVersion);
        await NotifyAsync(configuration, version).ConfigureAwait(false);
    }

    private async ValueTask NotifyAsync(IClusterConfiguration<UriEndPoint> configuration, long version)
    {
        Func<IClusterConfiguration<UriEndPoint>, CancellationToken, ValueTask>? handlers;
        lock (subscribersLock)
            handlers = subscribers;
        // No token: DotNext's subscriber only queues the configuration for its own loop, and a cancelled token
        // would make it drop the configuration silently (see the remarks).
        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
            await handler(configuration, CancellationToken.None).ConfigureAwait(false);
        notifiedVersion = Math.Max(notifiedVersion, version);
        LogNotified(logger, configuration.Members.Count, version, string.Join(", ", configuration.Members.Select(m => m.Uri)));
    }

    public void Dispose()
    {
        storage.ConfigurationChanged -= OnSavedAsync;
        storage.Dispose();
        oneAtATime.Dispose();
    }

    [LoggerMessage(EventId = 1213, Level = LogLevel.Information, Message = "Raft membership version {Version}: {Count} members ({Members})")]
    private static partial void LogNotified(ILogger logger, int count, long version, string members);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Warning, Message = "Raft membership version {Version} was stored after the call that carried it gave up; passing it on anyway")]
    private static partial void LogCallerGaveUp(ILogger logger, long version);

    [LoggerMessage(EventId = 1215, Level = LogLevel.Warning, Message = "Raft membership version {Version} was stored but never passed on (last passed on: {NotifiedVersion}); passing it on now")]
    private static partial void LogCaughtUp(ILogger logger, long version, long notifiedVersion);

    [LoggerMessage(EventId = 1216, Level = LogLevel.Warning, Message = "TEST-ONLY GlobalZone:Testing:MembershipNotifyDelayMs = {DelayMs}: every new Raft membership is passed on that much later")]
    private static partial void LogTestingNotifyDelay(ILogger logger, int delayMs);
}
