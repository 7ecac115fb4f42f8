namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// Thrown from the state machine's snapshot install when the described snapshot is not installed yet (being written
/// by the leader, or downloading here). DotNext then fails only that InstallSnapshot call (it runs the install inline
/// in the RPC, not on its applier); DotNext's exception handler on the Raft route answers 500 (the host's logging drops
/// the error it logs), and the leader counts one failed call and asks again at its next heartbeat.
/// </summary>
public sealed class SnapshotPendingException(string message) : Exception(message);
