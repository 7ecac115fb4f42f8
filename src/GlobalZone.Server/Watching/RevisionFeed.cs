using GlobalZone.StateMachine;

namespace GlobalZone.Server.Watching;

/// <summary>
/// Every revision this member applies, in order, for watches and blocking reads: recent revisions from memory, older
/// ones from the FasterLog history. Readers pull from a revision onwards, so a slow watcher costs a cursor, not a
/// queue, and can never make the applier wait. Works the same on followers: they apply every revision too.
/// </summary>
internal sealed class RevisionFeed : IDisposable
{
    private const int RecentCapacity = 4096;
    private const long RecentBytesCapacity = 64L << 20;

    private readonly KeyValueStateMachine state;
    private readonly Lock gate = new();
    private readonly LinkedList<(long Revision, IReadOnlyList<HistoryEvent> Events, long Bytes)> recent = new();
    private long recentBytes;
    private long latest;
    private TaskCompletionSource changed = NewSignal();

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

    /// <summary>Completes when a revision after <paramref name="revision"/> is readable, or the timeout passes (then false).</summary>
    public async Task<bool> WaitAfterAsync(long revision, TimeSpan timeout, CancellationToken token)
    {
        Task signal;
        lock (gate)
        {
            if (latest > revision)
                return true;
            signal = changed.Task;
        }

        try
        {
            await signal.WaitAsync(timeout, token).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void OnRevisionApplied(long revision, IReadOnlyList<HistoryEvent> events)
    {
        TaskCompletionSource signal;
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
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    private void OnStateReplaced()
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            ClearRecent();
            latest = state.Revision;
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    private void ClearRecent()
    {
        recent.Clear();
        recentBytes = 0;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        state.RevisionApplied -= OnRevisionApplied;
        state.StateReplaced -= OnStateReplaced;
    }
}
