using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// The key/value store's memory is bounded by bytes of records, not by their number: a state several times the
/// in-memory budget lives in the log file, and reads of it come back from disk.
/// </summary>
/// <remarks>Alone in its collection: the managed heap is the whole process's, so no other test may run meanwhile.</remarks>
[Collection(nameof(KeyValueStoreMemoryTests))]
public sealed class KeyValueStoreMemoryTests : IDisposable
{
    private const int ValueBytes = 100 << 10;
    private const int Values = 3000; // 300 MiB

    private readonly TempDirectory dir = new();

    private static void Fill(byte[] value, int i)
    {
        Array.Fill(value, (byte)i);
        BitConverter.TryWriteBytes(value, i);
    }

    [Fact]
    public async Task Three_hundred_MiB_of_100_KiB_values_stay_off_the_managed_heap_and_read_back()
    {
        var options = new StorageOptions { Directory = dir.Path, KeyValueMemoryBytes = 64L << 20 };
        var heapAfterWrites = await WriteAsync(options);

        using (var reopened = new FasterKeyValueStore(options with { ExpectExistingState = true }))
        {
            var expected = new byte[ValueBytes];
            for (var i = 0; i < Values; i++)
            {
                Fill(expected, i);
                Assert.Equal(expected, reopened.Read($"k/{i:D5}"));
            }

            var scanned = 0;
            foreach (var record in reopened.ScanAll())
            {
                Fill(expected, int.Parse(record.Key.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(expected, record.Value);
                scanned++;
            }

            Assert.Equal(Values, scanned);
            var heapAfterReads = GC.GetTotalMemory(forceFullCollection: true);
            // The state is 300 MiB; the log's in-memory region is 64 MiB of it (its pages are managed arrays).
            Assert.True(heapAfterWrites < 150L << 20, $"managed heap after writing 300 MiB: {heapAfterWrites >> 20} MiB");
            Assert.True(heapAfterReads < 150L << 20, $"managed heap after reading 300 MiB back: {heapAfterReads >> 20} MiB");
            Console.WriteLine($"managed heap: {heapAfterWrites >> 20} MiB after writes, {heapAfterReads >> 20} MiB after reads");
        }
    }

    /// <summary>
    /// Writes the values and checkpoints; the managed heap meanwhile. In a method of its own so that the closed store
    /// is not kept alive by the test's own async state (FASTER keeps its pages until the store object is collected).
    /// </summary>
    private static async Task<long> WriteAsync(StorageOptions options)
    {
        var value = new byte[ValueBytes];
        using var store = new FasterKeyValueStore(options);
        for (var i = 0; i < Values; i++)
        {
            Fill(value, i);
            store.Upsert($"k/{i:D5}", value);
        }

        await store.CheckpointAsync(CancellationToken.None);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public void Dispose() => dir.Dispose();
}

/// <summary>Runs <see cref="KeyValueStoreMemoryTests"/> with no other test alongside.</summary>
[CollectionDefinition(nameof(KeyValueStoreMemoryTests), DisableParallelization = true)]
public sealed class KeyValueStoreMemoryCollection
{
}
