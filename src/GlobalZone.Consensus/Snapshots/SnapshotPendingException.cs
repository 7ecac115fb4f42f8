namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// Thrown from the state machine's snapshot install when the described snapshot is not installed yet (being written
/// by the leader, or downloading here). DotNext then fails only that InstallSnapshot call (it runs the install inline
/// in the RPC, not on its applier), and the host answers it 503 without a stack trace; the leader asks again on its
/// next heartbeat.
/// </summary>
public sealed class SnapshotPendingException(string message) : Exception(message);
