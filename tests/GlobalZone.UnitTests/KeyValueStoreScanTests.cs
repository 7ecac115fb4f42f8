using System.Text;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// <see cref="FasterKeyValueStore.ScanAll()"/> yields each live key once with its newest value, whether its records are
/// in memory or in the log file, before and after a restart (when older versions of a key are no longer sealed in
/// memory but plain records on disk).
/// </summary>
public sealed class KeyValueStoreScanTests : IDisposable
{
    private const int Keys = 2000;

    private readonly TempDirectory dir = new();

    // Several times the in-memory region: most records, and every older version, end up in the log file.
    private StorageOptions Options => new() { Directory = dir.Path, KeyValueMemoryBytes = 16L << 20 };

    // Keys longer than 8 bytes: FASTER's own iterator garbled those of older versions.
    private static string Key(int i) => $"kscan/some/longer/key-{i:D5}";

    private static byte[] Value(int round, int i)
    {
        var value = new byte[(8 << 10) + (i % 13)];
        Array.Fill(value, (byte)(round * 31 + i));
        Encoding.ASCII.GetBytes($"{round}/{i}").CopyTo(value, 0);
        return value;
    }

    /// <summary>Three rounds of writes; the last deletes every third key and replaces the others.</summary>
    private static void WriteRounds(FasterKeyValueStore store)
    {
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < Keys; i++)
            {
                if (round == 2 && i % 3 == 0)
                    store.Delete(Key(i));
                else
                    store.Upsert(Key(i), Value(round, i));
            }
        }
    }

    private static void AssertLatest(FasterKeyValueStore store)
    {
        var scanned = store.ScanAll().ToList();
        var expected = Enumerable.Range(0, Keys).Where(i => i % 3 != 0).ToList();
        Assert.Equal(expected.Select(Key), scanned.Select(r => r.Key).Order(StringComparer.Ordinal));
        foreach (var record in scanned)
        {
            var i = int.Parse(record.Key.AsSpan(record.Key.Length - 5), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(Value(2, i), record.Value);
        }
    }

    [Fact]
    public async Task A_scan_yields_each_live_key_once_with_its_newest_value_before_and_after_a_restart()
    {
        using (var store = new FasterKeyValueStore(Options))
        {
            WriteRounds(store);
            AssertLatest(store);
            await store.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new FasterKeyValueStore(Options with { ExpectExistingState = true });
        AssertLatest(reopened);
        Assert.Null(reopened.Read(Key(3)));
        Assert.Equal(Value(2, 4), reopened.Read(Key(4)));
        reopened.Clear();
        Assert.Empty(reopened.ScanAll());
        Assert.Null(reopened.Read(Key(4)));
    }

    /// <summary>
    /// The log-order scan (used to rebuild indexes at start without a read per key), folded "last one wins", gives
    /// exactly what <see cref="FasterKeyValueStore.ScanAll()"/> does: with older versions and deletes on disk and in
    /// memory, after compaction moved live records to the tail, and after a restart.
    /// </summary>
    [Fact]
    public async Task The_log_order_scan_folded_last_one_wins_gives_the_live_records_before_and_after_compaction_and_a_restart()
    {
        var options = Options with { KeyValueCompactionMinimumBytes = 1 };
        using (var store = new FasterKeyValueStore(options))
        {
            WriteRounds(store);
            await store.CheckpointAsync(CancellationToken.None);
            // Deleted keys come back, others are deleted, after the first compaction.
            for (var i = 0; i < Keys; i += 3)
                store.Upsert(Key(i), Value(2, i));
            for (var i = 1; i < Keys; i += 7)
                store.Delete(Key(i));
            await store.CheckpointAsync(CancellationToken.None);
            AssertFoldEqualsScan(store);
        }

        using var reopened = new FasterKeyValueStore(options with { ExpectExistingState = true });
        AssertFoldEqualsScan(reopened);
        Assert.Null(reopened.Read(Key(1)));
        Assert.Equal(Value(2, 3), reopened.Read(Key(3)));

        static void AssertFoldEqualsScan(FasterKeyValueStore store)
        {
            var folded = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var prefixes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (key, value) in store.ScanInLogOrder(_ => int.MaxValue))
            {
                if (value is null)
                    folded.Remove(key);
                else
                    folded[key] = value;
            }

            foreach (var (key, value) in store.ScanInLogOrder(_ => 5))
            {
                if (value is null)
                    prefixes.Remove(key);
                else
                    prefixes[key] = value;
            }

            var live = store.ScanAll().ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
            Assert.True(live.Count > Keys / 2, $"only {live.Count} live keys");
            Assert.Equal(live.Keys.Order(StringComparer.Ordinal), folded.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, value) in live)
            {
                Assert.Equal(value, folded[key]);
                Assert.Equal(value[..5], prefixes[key]);
            }
        }
    }

    public void Dispose() => dir.Dispose();
}
