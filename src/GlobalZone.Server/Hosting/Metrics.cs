using System.Diagnostics.Metrics;
using DotNext.Net.Cluster;
using GlobalZone.Consensus;
using OpenTelemetry.Metrics;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Prometheus metrics at <c>/metrics</c> through OpenTelemetry: ASP.NET Core's request rate and latency per route,
/// DotNext's Raft and WAL meters (<c>DotNext.*</c>), GlobalZone's own gauges (term, indexes, revision, keys, leases,
/// locks, disk use, leadership) and the consensus layer's instruments (checkpoint durations).
/// </summary>
/// <remarks>
/// Replication lag is not a per-member number the leader can see through DotNext's public API; each member exports
/// its applied index, so lag is <c>max(globalzone_raft_commit_index) - globalzone_raft_applied_index</c>, and
/// <c>gz status</c> shows it per member.
/// </remarks>
internal static class Metrics
{
    public const string MeterName = "GlobalZone.Server";

    public static void AddGlobalZoneMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GlobalZoneGauges>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GlobalZoneGauges>());
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter("DotNext.*")
            .AddMeter("GlobalZone.*")
            .AddPrometheusExporter());
    }

    public static void MapGlobalZoneMetrics(this IEndpointRouteBuilder app)
        => app.MapPrometheusScrapingEndpoint(ScrapePath);

    /// <summary>The Prometheus scrape (not an endpoint the OpenAPI generator sees; OutsideRoutes documents it).</summary>
    public const string ScrapePath = "/metrics";
}

/// <summary>GlobalZone's gauges, read from the member's state at scrape time, and the leader-change counter.</summary>
internal sealed class GlobalZoneGauges : IHostedService, IDisposable
{
    private readonly Meter meter;
    private readonly GlobalZoneCluster cluster;
    private readonly IHostApplicationLifetime lifetime;
    private readonly Counter<long> leaderChanges;
    private readonly string walDirectory;
    private readonly string stateDirectory;
    private CancellationTokenRegistration started;
    private bool subscribed;

    public GlobalZoneGauges(IMeterFactory meters, GlobalZoneCluster cluster, NodeOptions options, IHostApplicationLifetime lifetime, Capacity.MemberCapacity capacity)
    {
        this.cluster = cluster;
        this.lifetime = lifetime;
        walDirectory = options.Layout.RaftLog;
        stateDirectory = options.Layout.State;
        meter = meters.Create(Metrics.MeterName);
        KeyValuePair<string, object?>[] self = [new("member", options.Self.Id), new("site", options.Self.Site), new("role", options.Self.Role)];

        leaderChanges = meter.CreateCounter<long>("globalzone.leader.changes", description: "Leader changes this member has seen");
        meter.CreateObservableGauge("globalzone.raft.term", () => new Measurement<long>(cluster.Raft.AuditTrail.Term, self), description: "Current Raft term");
        meter.CreateObservableGauge("globalzone.raft.commit_index", () => new Measurement<long>(cluster.Raft.AuditTrail.LastCommittedEntryIndex, self), description: "Last committed Raft index this member knows");
        meter.CreateObservableGauge("globalzone.raft.applied_index", () => new Measurement<long>(cluster.State.AppliedIndex, self), description: "Last Raft index applied to the key/value state");
        meter.CreateObservableGauge("globalzone.raft.snapshot_index", () => new Measurement<long>(cluster.State.SnapshotIndex, self), description: "Raft index of the newest durable checkpoint");
        meter.CreateObservableGauge("globalzone.raft.is_leader", () => new Measurement<int>(cluster.IsLeader ? 1 : 0, self), description: "1 while this member leads");
        meter.CreateObservableGauge("globalzone.raft.has_leader", () => new Measurement<int>(cluster.Raft.Leader is null ? 0 : 1, self), description: "1 while this member knows a leader");
        meter.CreateObservableGauge("globalzone.revision", () => new Measurement<long>(cluster.State.Revision, self), description: "Cluster revision applied on this member");
        meter.CreateObservableGauge("globalzone.kv_log.size", () => new Measurement<long>(cluster.State.KeyValueLogBytes, self), unit: "By", description: "Bytes the key/value log spans (live records and garbage compaction has not reclaimed yet)");
        meter.CreateObservableCounter("globalzone.kv_log.compacted", () => new Measurement<long>(cluster.State.KeyValueCompaction.BytesCompacted, self), unit: "By", description: "Key/value log bytes compacted since this member started");
        meter.CreateObservableGauge("globalzone.kv_log.live_estimate", () => new Measurement<long>(cluster.State.KeyValueCompaction.LiveBytesFound, self), unit: "By", description: "Live bytes the last compaction run copied forward (0 before the first run)");
        meter.CreateObservableGauge("globalzone.keys", () => new Measurement<long>(cluster.State.KeyCount, self), description: "Live keys");
        meter.CreateObservableGauge("globalzone.leases", () => new Measurement<long>(cluster.State.ListLeases().Count, self), description: "Live leases");
        meter.CreateObservableGauge("globalzone.locks.held", () => new Measurement<long>(cluster.State.ListLocks("").Count(l => l.Holder is not null), self), description: "Locks with a holder");
        meter.CreateObservableGauge("globalzone.locks.waiters", () => new Measurement<long>(cluster.State.ListLocks("").Sum(l => l.Waiters.Count), self), description: "Leases queued for locks");
        meter.CreateObservableGauge("globalzone.watches.open", () => new Measurement<long>(capacity.Watches.InUse, self), description: "Watch streams this member serves (capped by GlobalZone:Limits:MaxWatchesPerMember)");
        meter.CreateObservableGauge("globalzone.blocking_reads.waiting", () => new Measurement<long>(capacity.BlockingReads.InUse, self), description: "Reads parked on this member waiting for a revision (capped by GlobalZone:Limits:MaxBlockingReadsPerMember)");
        meter.CreateObservableGauge("globalzone.wal.size", () => new Measurement<long>(DirectoryBytes(walDirectory), self), unit: "By", description: "Bytes of the Raft write-ahead log on disk");
        meter.CreateObservableGauge("globalzone.state.size", () => new Measurement<long>(DirectoryBytes(stateDirectory), self), unit: "By", description: "Bytes of the FASTER state, checkpoints and history on disk");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The Raft member is another hosted service: subscribe once every service has started.
        started = lifetime.ApplicationStarted.Register(() =>
        {
            cluster.Raft.LeaderChanged += OnLeaderChanged;
            subscribed = true;
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        started.Dispose();
        if (subscribed)
            cluster.Raft.LeaderChanged -= OnLeaderChanged;
        return Task.CompletedTask;
    }

    private void OnLeaderChanged(ICluster sender, IClusterMember? leader) => leaderChanges.Add(1);

    private static long DirectoryBytes(string path)
    {
        try
        {
            var directory = new DirectoryInfo(path);
            return directory.Exists ? directory.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        }
        catch (IOException)
        {
            // Files come and go (WAL chunks, checkpoints) while we count.
            return 0;
        }
    }

    public void Dispose() => meter.Dispose();
}
