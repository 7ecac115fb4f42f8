using GlobalZone.Storage.Integrity;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// A file of the Raft log cannot be trusted: the member refuses to start rather than vote or serve on it (one log
/// line naming the file and the remedy, exit code 3; see the server's StartupRefusal).
/// </summary>
internal static class RaftLogDamage
{
    public static StorageIntegrityException At(string path, string detail, Exception? inner = null)
        => new(path, $"The Raft log is damaged ({detail})", OperatorRemedy.ReplaceMember, inner);
}
