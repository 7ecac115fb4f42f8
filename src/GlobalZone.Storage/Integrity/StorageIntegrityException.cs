namespace GlobalZone.Storage.Integrity;

/// <summary>
/// Something this member stored is damaged, missing, or of a format this release does not read. The member must not
/// open it (an empty or partial store would serve wrong answers and vote on a log it no longer matches): it refuses to
/// start, and the message — one line — names the file and what the operator should do.
/// </summary>
public sealed class StorageIntegrityException(string path, string problem, string remedy, Exception? inner = null)
    : IOException($"{problem}: {path}. {remedy}", inner)
{
    /// <summary>The file or folder found damaged.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong with it, without the remedy.</summary>
    public string Problem { get; } = problem;
}
