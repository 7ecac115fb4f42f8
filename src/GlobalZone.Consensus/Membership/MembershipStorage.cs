using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// The Raft configuration (which members form the group) lives in DotNext's persistent configuration storage in
/// the data folder, so membership changes survive restarts and the member list in the configuration file is only
/// where a group starts (as etcd's <c>--initial-cluster</c>).
/// </summary>
internal static partial class MembershipStorage
{

    /// <summary>
    /// Opens the storage and, on a member's first start in a new group, seeds it with the configured member list.
    /// A member started to join a running group (<see cref="NodeOptions.Join"/>) starts empty: it takes no part in
    /// elections until the leader adds it and the configuration entry reaches it.
    /// </summary>
    public static IClusterConfigurationStorage<UriEndPoint> Open(NodeOptions options, ILogger logger)
    {
        var storage = OpenDotNextStorage(options, logger);
        // DotNext learns of later changes only through the storage's event, which it can lose: see the notifier.
        return new MembershipChangeNotifier(storage, logger, TimeSpan.FromMilliseconds(options.Testing.MembershipNotifyDelayMs));
    }

    private static IClusterConfigurationStorage<UriEndPoint> OpenDotNextStorage(NodeOptions options, ILogger logger)
    {
        // DotNext's persistent storage type is internal; its registration is the public way to make one, and it
        // keeps DotNext's own file format.
        var scratch = new ServiceCollection().UsePersistentConfigurationStorage(options.Layout.Membership).BuildServiceProvider();
        var storage = scratch.GetRequiredService<IClusterConfigurationStorage<UriEndPoint>>();
        var configuration = storage.LoadConfigurationAsync().AsTask().GetAwaiter().GetResult();
        if (configuration.Members.Count > 0)
        {
            LogLoaded(logger, configuration.Members.Count, string.Join(", ", configuration.Members.Select(m => m.Uri)));
            return storage;
        }

        if (options.Join)
        {
            LogJoining(logger, options.MemberId);
            return storage;
        }

        foreach (var member in options.Members)
            configuration = configuration.Add(new UriEndPoint(new Uri(member.Url, UriKind.Absolute)));
        // Version 0: any configuration entry committed later (log index 1 or above) replaces it.
        ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, 0L).AsTask().GetAwaiter().GetResult();
        LogSeeded(logger, configuration.Members.Count);
        return storage;
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Raft membership from the data folder: {Count} members ({Members}); the configured member list is not used")]
    private static partial void LogLoaded(ILogger logger, int count, string members);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Member {MemberId} starts outside any group and waits for the leader to add it")]
    private static partial void LogJoining(ILogger logger, string memberId);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "New group: Raft membership seeded with the {Count} configured members")]
    private static partial void LogSeeded(ILogger logger, int count);
}
