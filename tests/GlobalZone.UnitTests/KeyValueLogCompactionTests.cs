using GlobalZone.Storage;
using GlobalZone.Storage.Compaction;
using Xunit.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>
/// The key/value log does not grow with every overwrite for ever: compaction copies the live records forward and the
/// files before them are removed once a checkpoint's manifest no longer needs them. At the default storage settings
/// (256 MiB of log memory, 256 MiB log files) and a state larger than the memory, as a real member would hold.
/// </summary>
/// <remarks>In the memory tests' collection: it writes 2.4 GiB, and nothing else should compete for the disk meanwhile.</remarks>
[Collection(nameof(KeyValueStoreMemoryTests))]
public sealed class KeyValueLogCompactionTests(ITestOutputHelper output) : IDisposable
{
    private const int ValueBytes = 100 << 10;
    private const int Keys = 3000; // 300 MiB live
    private const int Rounds = 8; // 2.4 GiB written
    private const int CheckpointEvery = 300; // 30 MiB, as the state machine checkpoints by bytes

    private readonly TempDirectory dir = new();

    private static void Fill(byte[] value, int round, int key)
    {
        Array.Fill(value, (byte)(round * 31 + key));
        BitConverter.TryWriteBytes(value, key);
        BitConverter.TryWriteBytes(value.AsSpan(4), round);
    }

    private static bool DeletedInLastRound(int key) => key % 10 == 0;

    [Fact]
    public async Task Overwriting_a_300_MiB_state_eight_times_keeps_its_log_files_bounded_and_every_value_reads_back_after_a_restart()
    {
        var options = new StorageOptions { Directory = dir.Path };
        long mostOnDisk = 0;
        var value = new byte[ValueBytes];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        KeyValueCompactionStats stats;
        var written = new int[Keys]; // the last round fully written per key (-1: none), for the concurrent reader
        Array.Fill(written, -1);
        using (var store = new FasterKeyValueStore(options))
        {
            // Reads from other threads the whole time, as API reads would, while compaction moves records and the
            // log's start: a key must never read as missing, nor older than a round already written before the read.
            // Two readers: a read must be waiting on the disk just as the start moves to be caught, and one reader
            // catches a store without the read retry only about every other run.
            using var stopReading = new CancellationTokenSource();
            var reads = 0L;
            var readers = Enumerable.Range(0, 2).Select(seed => Task.Run(() =>
            {
                var random = new Random(seed);
                while (!stopReading.IsCancellationRequested)
                {
                    var key = random.Next(Keys);
                    var before = Volatile.Read(ref written[key]);
                    if (before < 0)
                        continue;
                    var read = store.Read(Key(key));
                    if (read is null)
                    {
                        // The last round deletes this key; the delete may have run between reading `before` (one
                        // round earlier) and the read, so missing is right from the second-to-last round on.
                        if (before >= Rounds - 2 && DeletedInLastRound(key))
                            continue;
                        throw new InvalidOperationException($"{Key(key)} read as missing while compaction ran (round {before} was written)");
                    }

                    var round = BitConverter.ToInt32(read, 4);
                    if (round < before || BitConverter.ToInt32(read, 0) != key)
                        throw new InvalidOperationException($"{Key(key)} read back round {round} of key {BitConverter.ToInt32(read, 0)} after round {before} was written");
                    Interlocked.Increment(ref reads);
                }
            })).ToArray();
            var writes = 0;
            for (var round = 0; round < Rounds; round++)
            {
                for (var key = 0; key < Keys; key++)
                {
                    if (round == Rounds - 1 && DeletedInLastRound(key))
                    {
                        store.Delete(Key(key));
                    }
                    else
                    {
                        Fill(value, round, key);
                        store.Upsert(Key(key), value);
                    }

                    Volatile.Write(ref written[key], round);

                    if (++writes % CheckpointEvery == 0)
                    {
                        await store.CheckpointAsync(CancellationToken.None);
                        mostOnDisk = Math.Max(mostOnDisk, LogFileBytes());
                    }
                }
            }

            await store.CheckpointAsync(CancellationToken.None);
            await stopReading.CancelAsync();
            await Task.WhenAll(readers); // rethrows what a reader saw
            output.WriteLine($"{reads} reads checked beside the writes and compaction");
            stats = store.CompactionStats;
            VerifyLastRound(store);
        }

        output.WriteLine($"FIGURE kv-compaction: {Rounds * Keys * (long)ValueBytes >> 20} MiB written over a {Keys * (long)ValueBytes >> 20} MiB state in {clock.Elapsed.TotalSeconds:0.0} s; " +
                         $"log files at most {mostOnDisk >> 20} MiB, {LogFileBytes() >> 20} MiB at the end; {stats.Runs} runs compacted {stats.BytesCompacted >> 20} MiB, the last in {stats.LastRunMs:0} ms");
        Assert.True(stats.Runs > 0, "no compaction ran");
        // Without compaction the files would hold everything written: about 2.4 GiB. This test writes far faster than a
        // Raft group can (about 150 MB/s), so compaction falls behind and checkpoints finish whole runs (back-pressure).
        Assert.True(mostOnDisk < 1100L << 20, $"the log files reached {mostOnDisk >> 20} MiB for a 300 MiB state");

        using (var reopened = new FasterKeyValueStore(options with { ExpectExistingState = true }))
        {
            VerifyLastRound(reopened);
            var scanned = 0;
            foreach (var record in reopened.ScanAll())
            {
                var key = int.Parse(record.Key.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
                Assert.False(DeletedInLastRound(key), $"{record.Key} was deleted and came back");
                Fill(value, Rounds - 1, key);
                Assert.True(value.AsSpan().SequenceEqual(record.Value), $"{record.Key} scanned with an older value");
                scanned++;
            }

            Assert.Equal(Keys - (Keys / 10), scanned);
        }
    }

    private static string Key(int key) => $"k/{key:D5}";

    private static void VerifyLastRound(FasterKeyValueStore store)
    {
        var expected = new byte[ValueBytes];
        for (var key = 0; key < Keys; key++)
        {
            var read = store.Read(Key(key));
            if (DeletedInLastRound(key))
            {
                Assert.True(read is null, $"{Key(key)} was deleted and reads back");
                continue;
            }

            Fill(expected, Rounds - 1, key);
            Assert.True(read is not null && expected.AsSpan().SequenceEqual(read),
                $"{Key(key)} does not read back its last value: " + (read is null ? "not found" : $"{read.Length} bytes of key {BitConverter.ToInt32(read, 0)} round {BitConverter.ToInt32(read, 4)}"));
        }
    }

    private long LogFileBytes() => new DirectoryInfo(Path.Combine(dir.Path, "kv")).EnumerateFiles("hlog.log.*").Sum(f => f.Length);

    public void Dispose() => dir.Dispose();
}

/// <summary>
/// A crash between FASTER writing a checkpoint and GlobalZone writing its manifest leaves the previous manifest in
/// charge, so the log files that checkpoint needs must still be there, though compaction had moved the log's start past
/// them and FASTER asked for them to go.
/// </summary>
[Collection(nameof(KeyValueStoreMemoryTests))]
public sealed class KeyValueLogFileRemovalTests : IDisposable
{
    private const int ValueBytes = 100 << 10;
    private const int Keys = 3000; // 300 MiB, more than the default compaction threshold and log memory

    private readonly TempDirectory dir = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_crash_before_the_manifest_leaves_the_files_the_previous_checkpoint_needs(bool removeAtOnce)
    {
        var stop = false;
        var lastRound = 0;
        var options = new StorageOptions { Directory = dir.Path, TestingRemoveLogFilesAtOnce = removeAtOnce, TestingStopBeforeManifest = () => Volatile.Read(ref stop) };
        var value = new byte[ValueBytes];
        using (var store = new FasterKeyValueStore(options))
        {
            // Rounds of overwrites, each ended by a checkpoint (which compacts after writing its manifest), until one
            // compaction moves the log's start into a later file than the start its checkpoint's manifest names.
            var movedPastAFile = false;
            for (; !movedPastAFile && lastRound < 8; lastRound++)
            {
                for (var key = 0; key < Keys; key++)
                {
                    Array.Fill(value, (byte)(lastRound + key));
                    store.Upsert($"k/{key:D5}", value);
                }

                var manifestBegin = store.LogBeginAddress;
                await store.CheckpointAsync(CancellationToken.None);
                movedPastAFile = store.LogBeginAddress / FasterKeyValueStore.LogFileBytes > manifestBegin / FasterKeyValueStore.LogFileBytes;
            }

            Assert.True(movedPastAFile, $"compaction never moved the log's start past a file ({store.CompactionStats.Runs} runs)");

            // A checkpoint interrupted before its manifest: by then FASTER has asked for the files before the new log
            // start to be removed.
            Volatile.Write(ref stop, true);
            store.Upsert("k/after", value);
            await Assert.ThrowsAsync<IOException>(() => store.CheckpointAsync(CancellationToken.None));
        }

        options = options with { ExpectExistingState = true, TestingStopBeforeManifest = null };
        if (removeAtOnce)
        {
            // The bug this guards against: the member would refuse to start for good.
            Assert.Throws<GlobalZone.Storage.Integrity.StorageIntegrityException>(() => new FasterKeyValueStore(options));
            return;
        }

        using var reopened = new FasterKeyValueStore(options);
        var expected = new byte[ValueBytes];
        for (var key = 0; key < Keys; key++)
        {
            Array.Fill(expected, (byte)(lastRound - 1 + key));
            Assert.True(expected.AsSpan().SequenceEqual(reopened.Read($"k/{key:D5}")), $"k/{key:D5} does not read back");
        }
    }

    /// <summary>
    /// A restart does not know how much of the log was live: it counts it all as live, so the first checkpoint after a
    /// restart does not copy the whole state forward (13 s with applies held, for a 1.2 GB store), while overwrites that
    /// then double the log are still compacted.
    /// </summary>
    [Fact]
    public async Task The_first_checkpoint_after_a_restart_does_not_compact_a_log_that_is_all_live()
    {
        var options = new StorageOptions { Directory = dir.Path, KeyValueMemoryBytes = 16L << 20, KeyValueCompactionMinimumBytes = 8L << 20 };
        var value = new byte[ValueBytes];
        using (var store = new FasterKeyValueStore(options))
        {
            for (var key = 0; key < 400; key++) // 40 MiB, all live: five times the minimum
            {
                Array.Fill(value, (byte)key);
                store.Upsert($"live/{key:D5}", value);
            }

            await store.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new FasterKeyValueStore(options with { ExpectExistingState = true });
        reopened.Upsert("after-restart", value);
        await reopened.CheckpointAsync(CancellationToken.None);
        Assert.Equal(0, reopened.CompactionStats.Runs);

        // Overwriting every key twice more than doubles the log: compaction runs again.
        for (var round = 1; round <= 3; round++)
        {
            for (var key = 0; key < 400; key++)
            {
                Array.Fill(value, (byte)(round * 31 + key));
                reopened.Upsert($"live/{key:D5}", value);
            }

            await reopened.CheckpointAsync(CancellationToken.None);
        }

        Assert.True(reopened.CompactionStats.BytesCompacted > 0, "overwrites after the restart were never compacted");
        Array.Fill(value, (byte)(3 * 31 + 7));
        Assert.Equal(value, reopened.Read("live/00007"));
    }

    public void Dispose() => dir.Dispose();
}
