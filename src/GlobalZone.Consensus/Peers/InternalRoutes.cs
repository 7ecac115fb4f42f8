namespace GlobalZone.Consensus;

/// <summary>Member-to-member HTTP routes that are not DotNext's (clients have no use for them).</summary>
public static class InternalRoutes
{
    /// <summary>A follower forwards encoded commands to the leader: body and reply in <see cref="ForwardedBatch"/> form.</summary>
    public const string ProposeBatch = "/internal/v1/propose-batch";

    /// <summary>Snapshot files, <c>GET {Snapshots}/{id}</c> (Range-resumable); see <see cref="Snapshots.SnapshotReceiver"/>.</summary>
    public const string Snapshots = "/internal/v1/snapshots";
}
