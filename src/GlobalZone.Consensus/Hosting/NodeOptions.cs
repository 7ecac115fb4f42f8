namespace GlobalZone.Consensus;

/// <summary>
/// Everything a member needs to know to join its group; bound from the <c>GlobalZone</c> configuration section
/// (appsettings, <c>GZ_</c>-style environment variables, command line, or a JSON file given with <c>--config</c>).
/// </summary>
public sealed record NodeOptions
{
    public const string SectionName = "GlobalZone";

    /// <summary>This member's id; must appear in <see cref="Members"/>.</summary>
    public string MemberId { get; init; } = "";

    /// <summary>Name of the cluster (a new name after a restore keeps members of the old one out).</summary>
    public string ClusterName { get; init; } = "globalzone";

    /// <summary>
    /// This member joins a running group (replacing or adding a member): it does not form a group from
    /// <see cref="Members"/> but waits until the leader adds it (etcd's <c>--initial-cluster-state existing</c>).
    /// Ignored once the member has a membership in its data folder.
    /// </summary>
    public bool Join { get; init; }

    /// <summary>Folder for the Raft log and the FASTER state; survives restarts.</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>Where each part of the member's state lives inside <see cref="DataDirectory"/>.</summary>
    public GlobalZone.Storage.DataFolder.DataDirectoryLayout Layout => new(DataDirectory);

    /// <summary>
    /// The group's members when it first forms, identical on every founding member. After the first start the
    /// membership lives in the data folder and changes only through <c>gz member add|remove</c>; entries here then
    /// only describe members (id, site, role). A joining member lists at least itself.
    /// </summary>
    public List<MemberOptions> Members { get; init; } = [];

    /// <summary>Site the leader should live in when healthy (Spanner's default leader region).</summary>
    public string? PreferredLeaderSite { get; init; }

    public RaftTimingOptions Raft { get; init; } = new();

    /// <summary>When the witness takes leadership to bring a voter up to date, and how it backs off.</summary>
    public WitnessOptions Witness { get; init; } = new();

    /// <summary>How leadership moves back to <see cref="PreferredLeaderSite"/> after a failover.</summary>
    public LeaderPlacementOptions LeaderPlacement { get; init; } = new();

    /// <summary>OpenTelemetry traces over OTLP (off unless an endpoint is configured).</summary>
    public TracingOptions Tracing { get; init; } = new();

    /// <summary>
    /// Simulated WAN for one machine: round-trip milliseconds added to every member-to-member request between two
    /// sites, keyed <c>SITE-SITE</c> in either order (e.g. <c>GlobalZone:Wan:dc1-dc2=5</c>). Empty: no delay.
    /// See <see cref="WanLatencies"/>.
    /// </summary>
    public Dictionary<string, double> Wan { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often each member asks every other member for its log progress (0 = the lower election timeout).</summary>
    public int ProgressProbeIntervalMs { get; init; }

    /// <summary>Checkpoint FASTER (and cut the Raft log below it) after this many applied entries, or more when the state is larger.</summary>
    public int SnapshotEveryEntries { get; init; } = 20_000;

    /// <summary>
    /// Checkpoint also after this many MiB of commands, however few entries: a member that needs a snapshot is then
    /// sent at most about this much log after it, in one AppendEntries call (DotNext does not split it).
    /// </summary>
    public int CheckpointEveryMiB { get; init; } = 16;

    /// <summary>
    /// Longest time the leader keeps the snapshot DotNext sees (and every log entry after it) fixed while members fetch
    /// its file; past it the Raft log is cut to newer checkpoints again and a slower member starts over.
    /// </summary>
    public int SnapshotTransferHoldSeconds { get; init; } = 900;

    /// <summary>
    /// The rate in MiB/s at which the leader dumps a snapshot file, and at which it sends snapshot files to all fetching
    /// members together (0: as fast as the machine goes). Bounds what bringing a member up to date costs the leader's
    /// writes; a newcomer installs the file as it arrives, so it is paced too. See README "Snapshots of any size".
    /// </summary>
    public int SnapshotTransferMiBPerSecond { get; init; } = DefaultSnapshotTransferMiBPerSecond;

    /// <summary>
    /// Default of <see cref="SnapshotTransferMiBPerSecond"/>. Measured with <c>gz bench scale --size 1GB</c> on the 2-core
    /// machine: unpaced, a join took 21 s and the leader kept about a fifth of its writes/s meanwhile; at 48 MiB/s it took
    /// 25 s (etcd 3.4: 34–40 s) and kept about two fifths. About 400 Mbit/s also leaves room on a WAN link.
    /// </summary>
    public const int DefaultSnapshotTransferMiBPerSecond = 48;

    /// <summary>
    /// A member being added is given up on when it has made no progress (applied index, snapshot bytes) for this long;
    /// there is no limit on the time a moving newcomer may take.
    /// </summary>
    public int JoinStallSeconds { get; init; } = 30;

    /// <summary>How many revisions of history to keep for watches.</summary>
    public long HistoryRetention { get; init; } = GlobalZone.StateMachine.KeyValueStateMachine.DefaultHistoryRetention;

    /// <summary>
    /// How long the outcome of a write carrying an Idempotency-Key is remembered (in replicated state), so that a
    /// retry within this window returns the first outcome instead of applying again.
    /// </summary>
    public int IdempotencyWindowSeconds { get; init; } = 3600;

    /// <summary>Largest accepted value in bytes.</summary>
    public int MaxValueBytes { get; init; } = Contracts.Limits.DefaultMaxValueBytes;

    /// <summary>
    /// Most KiB of commands the leader keeps appended but not yet applied (see <see cref="ProposalBudget"/>): one
    /// replication round carries about this much, and it must cross to a follower and be written there within the
    /// RPC timeout. The default (4 MiB) suits loopback and LAN links; over a slow WAN link lower it, or raise the
    /// election and RPC timeouts. At least <see cref="MaxValueBytes"/> is always let through, one command at a time.
    /// </summary>
    public int ReplicationBudgetKiB { get; init; } = 4 * 1024;

    /// <summary>
    /// The leader flushes its new entries while they travel to the followers (default), its commit index held behind
    /// its own flush; false: it flushes first and sends after. A setting only to compare the two (see README, Benchmarks).
    /// </summary>
    public bool LeaderFlushOverlapsReplication { get; init; } = true;

    /// <summary>
    /// In-memory part of the key/value log in MiB: this many MiB of recent records stay in memory, the rest of the
    /// state is read from the log file on disk (rounded down to a power of two by FASTER).
    /// </summary>
    public int StorageMemoryMiB { get; init; } = 256;

    /// <summary>Caps on watches, blocking reads, leases, lock waiters and idempotency records (README "Limits").</summary>
    public ResourceLimits Limits { get; init; } = new();

    /// <summary>TLS and mutual member authentication (<c>GlobalZone:Tls:*</c>); off unless its files are set.</summary>
    public Tls.TlsOptions Tls { get; init; } = new();

    /// <summary>TEST-ONLY fault switches (<c>GlobalZone:Testing:*</c>); see <see cref="TestingOptions"/>.</summary>
    public TestingOptions Testing { get; init; } = new();

    public MemberOptions Self => Members.FirstOrDefault(m => m.Id == MemberId)
        ?? throw new InvalidOperationException($"Member '{MemberId}' is not in the member list.");

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(MemberId))
            throw new ArgumentException("GlobalZone:MemberId is required.");
        if (Members.Count == 0)
            throw new ArgumentException("GlobalZone:Members must list every member of the group.");
        Tracing.Validate();
        foreach (var member in Members)
        {
            if (string.IsNullOrWhiteSpace(member.Id) || !Uri.TryCreate(member.Url, UriKind.Absolute, out _))
                throw new ArgumentException($"Member '{member.Id}' needs an id and an absolute URL.");
            if (!member.IsWitness && !string.Equals(member.Role, MemberRoles.Voter, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Member '{member.Id}' has unknown role '{member.Role}'.");
        }

        if (Members.Select(m => m.Id).Distinct().Count() != Members.Count)
            throw new ArgumentException("Member ids must be unique.");
        _ = Self;
        Tls.Validate(Self.Url);
        if (IdempotencyWindowSeconds < 1)
            throw new ArgumentException("IdempotencyWindowSeconds must be at least 1.");
        Raft.Validate();
        Limits.Validate();
        Testing.Validate();
        Witness.Validate();
        LeaderPlacement.Validate();
        _ = WanLatencies.From(this);
        if (CheckpointEveryMiB < 1)
            throw new ArgumentException("CheckpointEveryMiB must be at least 1.");
        if (JoinStallSeconds < 1)
            throw new ArgumentException("JoinStallSeconds must be at least 1.");
        if (SnapshotTransferMiBPerSecond < 0)
            throw new ArgumentException("SnapshotTransferMiBPerSecond must be 0 (unlimited) or more.");
        if (SnapshotTransferHoldSeconds < 1)
            throw new ArgumentException("SnapshotTransferHoldSeconds must be at least 1.");
        if (ProgressProbeIntervalMs < 0)
            throw new ArgumentException("ProgressProbeIntervalMs must not be negative.");
    }
}
