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

    /// <summary>Folder for the Raft WAL and the FASTER state; survives restarts.</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>The static member list, identical on every member.</summary>
    public List<MemberOptions> Members { get; init; } = [];

    /// <summary>Site the leader should live in when healthy (Spanner's default leader region).</summary>
    public string? PreferredLeaderSite { get; init; }

    public RaftTimingOptions Raft { get; init; } = new();

    /// <summary>Checkpoint FASTER (and trim the WAL) after this many applied entries, or more when the state is larger.</summary>
    public int SnapshotEveryEntries { get; init; } = 20_000;

    /// <summary>How many revisions of history to keep for watches.</summary>
    public long HistoryRetention { get; init; } = 200_000;

    /// <summary>Largest accepted value in bytes.</summary>
    public int MaxValueBytes { get; init; } = Contracts.Limits.DefaultMaxValueBytes;

    /// <summary>FASTER memory budget for the key/value log in MiB.</summary>
    public int StorageMemoryMiB { get; init; } = 64;

    /// <summary>Size of each WAL chunk file in MiB (small chunks mean a new mapped file every few dozen entries).</summary>
    public int WalChunkMiB { get; init; } = 16;

    public MemberOptions Self => Members.FirstOrDefault(m => m.Id == MemberId)
        ?? throw new InvalidOperationException($"Member '{MemberId}' is not in the member list.");

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(MemberId))
            throw new ArgumentException("GlobalZone:MemberId is required.");
        if (Members.Count == 0)
            throw new ArgumentException("GlobalZone:Members must list every member of the group.");
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
        Raft.Validate();
    }
}
