namespace GlobalZone.Consensus.Log;

/// <summary>
/// A file of the Raft log cannot be trusted. The member refuses to start rather than vote or serve on it.
/// </summary>
public sealed class RaftLogDamagedException(string path, string detail, Exception? inner = null)
    : Exception($"The Raft log file {path} is damaged ({detail}). This member will not start on it: stop it, move its data folder aside, and add it back to the group empty (gz member remove, then gz member add with a fresh data folder) so it catches up from the others; or restore a backup if no other member has the data.", inner)
{
    public string FilePath { get; } = path;
}
