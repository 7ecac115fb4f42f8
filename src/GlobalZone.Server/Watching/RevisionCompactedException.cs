namespace GlobalZone.Server.Watching;

/// <summary>A watch or wait asked for revisions no longer in the history; it can start again from <see cref="OldestRevision"/>.</summary>
internal sealed class RevisionCompactedException(long requested, long oldestRevision)
    : Exception($"Revision {requested} is no longer in the history; the oldest available is {oldestRevision}.")
{
    public long OldestRevision => oldestRevision;
}
