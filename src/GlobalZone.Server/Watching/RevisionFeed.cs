using GlobalZone.StateMachine;

namespace GlobalZone.Server.Watching;

/// <summary>
/// Every revision this member applies, in order, for watches and blocking reads: recent revisions from memory, older
/// ones from the FasterLog history. Readers pull from a revision onwards, so a slow watcher costs a cursor, not a
/// queue, and can never make the applier wait. Works the same on followers: they apply every revision too.
/// </summary>
/// <remarks>
/// Idle readers (a watch or blocking read whose keys do not change) wait in <see cref="WaitForMatchAsync"/>: the
/// applier looks each changed key up in an index of their filters (<see cref="MatchWaiterIndex"/>), under the feed's
/// lock, and wakes only those it matches. Waking every reader for every revision instead made 10,000 idle watches cost ~10,000 task wake-ups and
/// timers per write, which is what collapses a writer's throughput (issue 11).
/// </remarks>
internal sealed class RevisionFeed : IDisposable
{
    private const int RecentCapacity = 4096;
    private const long RecentBytesCapacity = 64L << 20;

    private readonly KeyValueStateMachine state;
    private readonly Lock gate = new();
    private readonly LinkedList<(long Revision, IReadOnlyList<HistoryEvent> Events, long Bytes)> recent = new();
    private long recentBytes;
    private long latest;
    private readonly MatchWaiterIndex matchWaiters = new();

    public RevisionFeed(KeyValueStateMachine state)
    {
        this.state = state;
        latest = state.Revision;
        state.RevisionApplied += OnRevisionApplied;
        state.StateReplaced += OnStateReplaced;
    }

    /// <summary>The newest revision readers can have.</summary>
    public long LatestRevision
    {
        get
        {
            lock (gate)
                return latest;
        }
    }

    /// <summary>Oldest revision a reader may start from.</summary>
    public long OldestRevision => state.HistoryStart;

    /// <summary>
    /// Up to <paramref name="max"/> consecutive revisions from <paramref name="from"/>; empty when there is none yet.
    /// </summary>
    /// <exception cref="RevisionCompactedException">Revisions from <paramref name="from"/> are gone.</exception>
    public async ValueTask<List<(long Revision, IReadOnlyList<HistoryEvent> Events)>> ReadAsync(long from, int max, CancellationToken token)
    {
        var result = new List<(long, IReadOnlyList<HistoryEvent>)>();
        // The history's start is the one boundary, whether or not memory still holds older revisions: every
        // reader (watch, blocking read, any member) gets the same answer for the same revision.
        if (from <= LatestRevision && from < state.HistoryStart)
            throw new RevisionCompactedException(from, state.HistoryStart);
        lock (gate)
        {
            if (from > latest)
                return result;
            if (recent.First is { } first && from >= first.Value.Revision)
            {
                for (var node = recent.First; node is not null && result.Count < max; node = node.Next)
                {
                    if (node.Value.Revision >= from)
                        result.Add((node.Value.Revision, node.Value.Events));
                }

                return result;
            }
        }

        // Older than memory holds: the history log, made readable up to what was appended so far.
        var oldest = state.HistoryStart;
        if (from < oldest)
            throw new RevisionCompactedException(from, oldest);
        await state.CommitHistoryAsync(token).ConfigureAwait(false);
        List<(long Revision, List<HistoryEvent> Events)> stored;
        try
        {
            stored = state.ReadHistory(from, max);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
        {
            // The history was reset under us (a snapshot install).
            throw new RevisionCompactedException(from, state.HistoryStart);
        }

        if (stored.Count == 0 || stored[0].Revision != from)
            throw new RevisionCompactedException(from, state.HistoryStart);
        foreach (var (revision, events) in stored)
            result.Add((revision, events));
        return result;
    }

    /// <summary>
    /// Waits for a revision after <paramref name="after"/> with a change <paramref name="filter"/> matches. Returns
    /// where to read from: the first matching revision (<c>Matched</c>), or, when the timeout passed with none, the
    /// revision after the newest one checked (nothing up to it matched, so a reader may skip there). When memory no
    /// longer holds the revisions after <paramref name="after"/>, returns at once with <c>after + 1</c>: read them.
    /// </summary>
    public async Task<(bool Matched, long ReadFrom)> WaitForMatchAsync(KeyFilter filter, long after, TimeSpan timeout, CancellationToken token)
    {
        MatchWaiter waiter;
        lock (gate)
        {
            if (after < latest)
            {
                if (recent.First is not { } first || first.Value.Revision > after + 1)
                    return (true, after + 1);
                for (var node = recent.First; node is not null; node = node.Next)
                {
                    if (node.Value.Revision > after && filter.MatchesAny(node.Value.Events))
                        return (true, node.Value.Revision);
                }
            }

            waiter = new MatchWaiter(filter, after);
            matchWaiters.Add(waiter);
        }

        try
        {
            return (true, await waiter.Signal.Task.WaitAsync(timeout, token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (gate)
            {
                matchWaiters.Remove(waiter);
                if (waiter.Signal.Task.IsCompletedSuccessfully)
                    return (true, waiter.Signal.Task.Result);
                if (e is OperationCanceledException)
                    throw;
                // Every revision up to the latest was checked against this filter while it waited.
                return (false, Math.Max(latest, after) + 1);
            }
        }
    }

    private void OnRevisionApplied(long revision, IReadOnlyList<HistoryEvent> events)
    {
        lock (gate)
        {
            // A gap (e.g. right after a snapshot install) means memory no longer holds a consecutive run.
            if (recent.Last is { } last && last.Value.Revision != revision - 1)
                ClearRecent();
            long bytes = 64;
            foreach (var e in events)
                bytes += e.Record.Value.Length + e.Record.Key.Length * 2 + 64;
            recent.AddLast((revision, events, bytes));
            recentBytes += bytes;
            while (recent.Count > RecentCapacity || (recentBytes > RecentBytesCapacity && recent.Count > 1))
            {
                recentBytes -= recent.First!.Value.Bytes;
                recent.RemoveFirst();
            }

            latest = Math.Max(latest, revision);
            matchWaiters.Signal(revision, events);
        }
    }

    private void OnStateReplaced()
    {
        lock (gate)
        {
            ClearRecent();
            latest = state.Revision;
            // The history restarted: every waiter reads again from where it was (and learns if it fell behind).
            foreach (var waiter in matchWaiters.TakeAll())
                waiter.Signal.TrySetResult(waiter.After + 1);
        }
    }

    private void ClearRecent()
    {
        recent.Clear();
        recentBytes = 0;
    }

    public void Dispose()
    {
        state.RevisionApplied -= OnRevisionApplied;
        state.StateReplaced -= OnStateReplaced;
    }
}
