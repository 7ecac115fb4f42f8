namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// Where in a member's data folder the data-damage nemeses aim: the folders holding what a member recovers from. One
/// list, so a new store (e.g. a Raft log in FASTER under its own folder) is added here and nowhere else.
/// </summary>
internal static class DamageTargets
{
    /// <summary>Folders under the member's data folder, each searched recursively for files to damage.</summary>
    public static readonly IReadOnlyList<string> CandidateFolders =
    [
        "state/kv",          // FASTER key/value checkpoints (metadata, index), the hybrid log, the checkpoint manifest
        "state/history-v3",  // the revision history (FasterLog segments and commit records)
        "raft-log",          // the Raft log: FasterLog segments and commit files, node-state (term, vote)
    ];

    /// <summary>Every non-empty file under the candidate folders of <paramref name="dataDirectory"/>, in a stable order.</summary>
    public static IReadOnlyList<string> Files(string dataDirectory)
        => CandidateFolders
            .Select(folder => Path.Combine(dataDirectory, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(file => new FileInfo(file).Length > 0)
            .Order(StringComparer.Ordinal)
            .ToList();
}
