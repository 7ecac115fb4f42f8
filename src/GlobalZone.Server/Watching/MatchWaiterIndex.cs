using GlobalZone.StateMachine;

namespace GlobalZone.Server.Watching;

/// <summary>One idle reader waiting for a revision its filter matches.</summary>
internal sealed class MatchWaiter(KeyFilter filter, long after)
{
    public KeyFilter Filter { get; } = filter;

    public long After { get; } = after;

    public TaskCompletionSource<long> Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Idle readers by what they follow, so that a revision finds the readers it matches without looking at the others:
/// a key's readers by the key, prefix readers by each prefix of the changed key (only the prefix lengths readers use
/// are tried). Cost per changed key: a few dictionary look-ups, not one check per reader. Not thread-safe: the
/// feed's lock guards it.
/// </summary>
internal sealed class MatchWaiterIndex
{
    private readonly Dictionary<string, HashSet<MatchWaiter>> byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<MatchWaiter>> byPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<MatchWaiter>>.AlternateLookup<ReadOnlySpan<char>> prefixLookup;
    // Prefix length → how many distinct prefixes of that length have readers.
    private readonly SortedDictionary<int, int> prefixLengths = new();
    private readonly List<MatchWaiter> hits = new();

    public MatchWaiterIndex() => prefixLookup = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count { get; private set; }

    public void Add(MatchWaiter waiter)
    {
        var map = waiter.Filter.IsPrefix ? byPrefix : byKey;
        if (!map.TryGetValue(waiter.Filter.Value, out var set))
        {
            map[waiter.Filter.Value] = set = new HashSet<MatchWaiter>();
            if (waiter.Filter.IsPrefix)
                prefixLengths[waiter.Filter.Value.Length] = prefixLengths.GetValueOrDefault(waiter.Filter.Value.Length) + 1;
        }

        if (set.Add(waiter))
            Count++;
    }

    public bool Remove(MatchWaiter waiter)
    {
        var map = waiter.Filter.IsPrefix ? byPrefix : byKey;
        if (!map.TryGetValue(waiter.Filter.Value, out var set) || !set.Remove(waiter))
            return false;
        Count--;
        if (set.Count == 0)
        {
            map.Remove(waiter.Filter.Value);
            if (waiter.Filter.IsPrefix)
            {
                var length = waiter.Filter.Value.Length;
                if (prefixLengths[length] == 1)
                    prefixLengths.Remove(length);
                else
                    prefixLengths[length]--;
            }
        }

        return true;
    }

    /// <summary>Wakes (and forgets) every reader one of <paramref name="events"/> matches.</summary>
    public void Signal(long revision, IReadOnlyList<HistoryEvent> events)
    {
        if (Count == 0)
            return;
        hits.Clear();
        for (var i = 0; i < events.Count; i++)
        {
            var key = events[i].Record.Key;
            if (byKey.TryGetValue(key, out var exact))
                hits.AddRange(exact);
            foreach (var length in prefixLengths.Keys)
            {
                if (length > key.Length)
                    break;
                if (prefixLookup.TryGetValue(key.AsSpan(0, length), out var under))
                    hits.AddRange(under);
            }
        }

        foreach (var waiter in hits)
        {
            if (Remove(waiter))
                waiter.Signal.TrySetResult(revision);
        }

        hits.Clear();
    }

    /// <summary>Every reader, forgotten.</summary>
    public List<MatchWaiter> TakeAll()
    {
        var all = byKey.Values.Concat(byPrefix.Values).SelectMany(set => set).ToList();
        byKey.Clear();
        byPrefix.Clear();
        prefixLengths.Clear();
        Count = 0;
        return all;
    }
}
