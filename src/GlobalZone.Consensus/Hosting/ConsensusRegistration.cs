using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using GlobalZone.Consensus.Log;
using GlobalZone.StateMachine;
using GlobalZone.Storage;
using GlobalZone.Storage.DataFolder;
using GlobalZone.Storage.Integrity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>Wires the FASTER state, the Raft log in FasterLog, DotNext's HTTP Raft transport, and GlobalZone's cluster services.</summary>
public static class ConsensusRegistration
{
    /// <summary>
    /// Opens (and recovers) the FASTER state, then the Raft log in FasterLog (<see cref="FasterRaftLog"/>) that feeds it,
    /// and joins the group (its membership persisted in the data folder, first seeded from the member list). The state
    /// is recovered first because the log continues from the state's checkpoint.
    /// </summary>
    public static void AddGlobalZoneConsensus(this WebApplicationBuilder builder, NodeOptions options, ILoggerFactory bootstrapLoggers)
    {
        options.Validate();
        var self = options.Self;
        Directory.CreateDirectory(options.DataDirectory);
        var stateDirectory = options.Layout.State;
        // Refuses a folder of another format, or damaged state, with StorageIntegrityException (see NodeHost).
        var format = DataFolderFormat.Open(options.DataDirectory, FasterKeyValueStore.CreationMarker(stateDirectory));
        var startup = new StartupPhases();
        var state = new KeyValueStateMachine(
            new StorageOptions
            {
                Directory = stateDirectory,
                KeyValueMemoryBytes = (long)options.StorageMemoryMiB << 20,
                MaxValueBytes = options.MaxValueBytes,
                ExpectExistingState = format.Initialized,
                Startup = startup,
                TestingFailWritesContaining = options.Testing.FailStorageWritesContaining,
            },
            options.HistoryRetention);
        format.MarkInitialized();
        // DotNext carries the membership in snapshots too (InstallSnapshot sends the configuration and its version),
        // so a member caught up by a snapshot that covers a membership change still learns it.
        var membership = MembershipStorage.Open(options, bootstrapLoggers.CreateLogger(typeof(MembershipStorage).FullName!));
        var applyHealth = new ApplyHealth(TimeProvider.System);
        var raftStateMachine = new RaftStateMachine(state, options, applyHealth, bootstrapLoggers.CreateLogger<RaftStateMachine>());
        startup.Measure("first checkpoint", () => raftStateMachine.WarmUpAsync(CancellationToken.None).GetAwaiter().GetResult(), taken => taken ? null : "skipped: opened one");
        RefuseEarlierLog(options.Layout);
        // The Raft log (FasterLog) recovers after the state: it continues from the state's checkpoint.
        var raftLog = startup.Measure("Raft log recovered", () => new FasterRaftLog(FasterRaftLogOptions.For(options), raftStateMachine, bootstrapLoggers.CreateLogger<FasterRaftLog>()));
        bootstrapLoggers.CreateLogger(typeof(ConsensusRegistration).FullName!)
            .LogInformation("Data folder opened in {Seconds:F2} s: {Phases}", startup.Elapsed.TotalSeconds, startup.ToString());

        // One clock for the member's deadlines (a test host may register a fake one first).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services
            .AddSingleton(options)
            .AddSingleton(state)
            .AddSingleton(raftStateMachine)
            .AddSingleton(applyHealth)
            .AddHostedService<ApplyFaultResponder>()
            .AddSingleton<MemberDirectory>()
            .AddSingleton<GlobalZoneCluster>()
            .AddSingleton<MembershipChanges>()
            .AddSingleton<LeaderContactClock>()
            .AddSingleton<LeaseKeeper>()
            .AddHostedService(provider => provider.GetRequiredService<LeaseKeeper>())
            .AddSingleton(raftLog)
            .AddSingleton<IPersistentState>(raftLog)
            .AddSingleton<IAuditTrail<IRaftLogEntry>>(raftLog)
            .AddSingleton<IClusterConfigurationStorage<UriEndPoint>>(membership)
            .ConfigureCluster<ClusterLifetime>();
        builder.Services.AddPeerConnections(options).AddClusterName(options).AddSimulatedWan(options);
        builder.Services.AddSiteAwareLeadership();

        builder.JoinCluster((config, _, _) =>
        {
            config.PublicEndPoint = new Uri(self.Url, UriKind.Absolute);
            // Every member of a new group knows the whole group (seeded membership), so none bootstraps a group of
            // its own; a joining member waits to be added.
            config.ColdStart = false;
            // The witness never campaigns on its own (see the witness hand-off for the one exception).
            config.Standby = self.IsWitness;
            config.LowerElectionTimeout = options.Raft.LowerElectionTimeoutMs;
            config.UpperElectionTimeout = options.Raft.UpperElectionTimeoutMs;
            config.HeartbeatThreshold = options.Raft.HeartbeatThreshold;
            config.ClockDriftBound = options.Raft.ClockDriftBound;
            config.IsLeaderLeaseEnabled = true;
            // DotNext bounds every Raft call by one RPC timeout. A candidate waits for every vote (a stalled member's
            // included) but gives up at its election timeout, so the RPC timeout must stay well under the lower
            // election timeout or one paused member blocks every election. Snapshot installs carry only a descriptor
            // (the file is fetched out of band, see RaftStateMachine), so they fit in it whatever the state's size.
            var rpcTimeout = TimeSpan.FromMilliseconds(options.Raft.EffectiveRpcTimeoutMs);
            config.RpcTimeout = rpcTimeout;
            config.RequestTimeout = rpcTimeout + TimeSpan.FromMilliseconds(options.Raft.UpperElectionTimeoutMs);
            config.Metadata["id"] = self.Id;
            config.Metadata["site"] = self.Site;
            config.Metadata["role"] = self.Role;
        });
    }

    /// <summary>A data folder written by a release whose Raft log was DotNext's WAL (folder <c>raft</c>) is not read.</summary>
    private static void RefuseEarlierLog(DataDirectoryLayout layout)
    {
        var earlier = layout.EarlierRaftLog;
        if (Directory.Exists(earlier) && Directory.EnumerateFileSystemEntries(earlier).Any())
            throw new StorageIntegrityException(earlier, "A Raft log of an earlier GlobalZone release (DotNext's WAL), which this release does not read", OperatorRemedy.MoveThroughBackup);
    }
}
