using GlobalZone.Server.Watching;
using GlobalZone.StateMachine;

namespace GlobalZone.UnitTests;

/// <summary>The index that wakes only the idle watches and blocking reads a revision matches.</summary>
public sealed class MatchWaiterIndexTests
{
    private static IReadOnlyList<HistoryEvent> Changes(params string[] keys)
        => keys.Select(k => new HistoryEvent(HistoryEventKind.Put, new KeyRecord(k, 1, 1, 1, 0, ValueFormat.Json, []))).ToList();

    // Signal completes synchronously; a reader not woken would fail the test rather than hang it.
    private static async Task<long> Woken(MatchWaiter waiter)
    {
        Assert.True(waiter.Signal.Task.IsCompleted, "the reader was not woken");
        return await waiter.Signal.Task;
    }

    [Fact]
    public async Task ARevisionWakesExactlyTheReadersItMatches()
    {
        var index = new MatchWaiterIndex();
        var key = new MatchWaiter(new KeyFilter("app/a", false), 0);
        var keyElsewhere = new MatchWaiter(new KeyFilter("app/ab", false), 0);
        var prefix = new MatchWaiter(new KeyFilter("app/", true), 0);
        var longerPrefix = new MatchWaiter(new KeyFilter("app/b/", true), 0);
        var everything = new MatchWaiter(new KeyFilter("", true), 0);
        var other = new MatchWaiter(new KeyFilter("idle/1/", true), 0);
        foreach (var w in new[] { key, keyElsewhere, prefix, longerPrefix, everything, other })
            index.Add(w);
        Assert.Equal(6, index.Count);

        index.Signal(7, Changes("app/a"));
        Assert.Equal(7, await Woken(key));
        Assert.Equal(7, await Woken(prefix));
        Assert.Equal(7, await Woken(everything));
        Assert.False(keyElsewhere.Signal.Task.IsCompleted);
        Assert.False(longerPrefix.Signal.Task.IsCompleted);
        Assert.False(other.Signal.Task.IsCompleted);
        Assert.Equal(3, index.Count);

        // A woken reader is forgotten: a later match does not touch it again.
        index.Signal(8, Changes("zzz", "app/b/c"));
        Assert.Equal(8, await Woken(longerPrefix));
        Assert.False(keyElsewhere.Signal.Task.IsCompleted);
        Assert.Equal(2, index.Count);

        Assert.True(index.Remove(other));
        Assert.False(index.Remove(other));
        index.Signal(9, Changes("idle/1/x"));
        Assert.False(other.Signal.Task.IsCompleted);
        Assert.Equal([keyElsewhere], index.TakeAll());
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public async Task ManyReadersOfOnePrefixAllWakeAndThePrefixIsForgotten()
    {
        var index = new MatchWaiterIndex();
        var readers = Enumerable.Range(0, 100).Select(_ => new MatchWaiter(new KeyFilter("p/", true), 0)).ToList();
        readers.ForEach(index.Add);
        index.Signal(3, Changes("p/x"));
        foreach (var reader in readers)
            Assert.Equal(3, await Woken(reader));
        Assert.Equal(0, index.Count);
        var later = new MatchWaiter(new KeyFilter("q", false), 0);
        index.Add(later);
        index.Signal(4, Changes("p/y"));
        Assert.False(later.Signal.Task.IsCompleted);
    }
}
