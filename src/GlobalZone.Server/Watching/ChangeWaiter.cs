namespace GlobalZone.Server.Watching;

/// <summary>
/// Blocking reads (Consul style): <c>?waitRevision=N&amp;wait=30s</c> holds the answer until something the read covers
/// changes at revision N or later, or the wait ends; then the read is answered as usual. A client passes the
/// <c>X-GZ-Revision</c> of its previous answer plus one, and so never misses a change between two reads.
/// </summary>
internal static class ChangeWaiter
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(1);

    /// <summary>True when a matching change was seen, false when the wait ended first.</summary>
    /// <exception cref="RevisionCompactedException">Revision N is older than the history holds.</exception>
    public static async Task<bool> WaitAsync(RevisionFeed feed, KeyFilter filter, long fromRevision, TimeSpan wait, TimeProvider time, CancellationToken token)
    {
        var started = time.GetTimestamp();
        var next = fromRevision;
        while (true)
        {
            var batch = await feed.ReadAsync(next, 1024, token).ConfigureAwait(false);
            foreach (var (revision, events) in batch)
            {
                if (filter.MatchesAny(events))
                    return true;
                next = revision + 1;
            }

            if (batch.Count > 0)
                continue;
            var left = wait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
                return false;
            // Woken only by a matching revision: many blocked reads cost no work per unrelated write.
            var (matched, readFrom) = await feed.WaitForMatchAsync(filter, next - 1, left, token).ConfigureAwait(false);
            if (!matched)
                return false;
            next = Math.Max(next, readFrom);
        }
    }
}
