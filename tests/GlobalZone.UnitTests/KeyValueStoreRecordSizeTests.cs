using System.Text;
using GlobalZone.Contracts;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// Every record the store is given fits FASTER's log pages, at the default limits (nothing shrunk): the largest key
/// with a value at the limit is one record, a larger record is stored in parts, and a key too long for the store is
/// refused as a caller's error rather than a storage fault.
/// </summary>
public sealed class KeyValueStoreRecordSizeTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private StorageOptions Options => new() { Directory = dir.Path };

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // The largest user key the API accepts, as the state machine stores it ('k' prefix).
    private static readonly string LargestKey = "k" + new string('é', Limits.MaxKeyBytes / 2);

    [Fact]
    public async Task The_largest_key_with_a_value_at_the_limit_is_one_record_and_survives_checkpoint_and_reopen()
    {
        Assert.Equal(Limits.MaxKeyBytes + 1, Encoding.UTF8.GetByteCount(LargestKey));
        // The value at the limit as the state machine stores it: a 33-byte record header, then the value.
        var value = Pattern(Limits.DefaultMaxValueBytes + 33, 1);
        using (var store = new FasterKeyValueStore(Options))
        {
            Assert.True(store.StoresWhole(LargestKey, value.Length), $"a {value.Length}-byte value would be cut into parts with {store.PageBytes}-byte pages");
            store.Upsert(LargestKey, value);
            Assert.Equal(value, store.Read(LargestKey));
            Assert.Equal(value, store.ReadForWrite(LargestKey));
            await store.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new FasterKeyValueStore(Options with { ExpectExistingState = true });
        Assert.Equal(value, reopened.Read(LargestKey));
        var scanned = Assert.Single(reopened.ScanAll());
        Assert.Equal(LargestKey, scanned.Key);
        Assert.Equal(value, scanned.Value);
    }

    [Fact]
    public async Task A_record_larger_than_a_page_is_stored_in_parts_and_replaced_and_deleted_whole()
    {
        // An idempotency record can hold a transaction's previous values: up to 128 values at the limit.
        var large = Pattern(9 << 20, 2);
        var other = Pattern((5 << 20) + 7, 3);
        using (var store = new FasterKeyValueStore(Options))
        {
            Assert.False(store.StoresWhole("ibig", large.Length));
            store.Upsert("ibig", large);
            store.Upsert("small", [1, 2, 3]);
            Assert.Equal(large, store.Read("ibig"));
            Assert.Equal(large, store.ReadForWrite("ibig"));
            store.Upsert("ibig", other);
            Assert.Equal(other, store.Read("ibig"));
            Assert.Equal(
                new[] { ("ibig", other), ("small", new byte[] { 1, 2, 3 }) },
                store.ScanAll().Select(r => (r.Key, r.Value)).OrderBy(r => r.Key, StringComparer.Ordinal));
            store.Upsert("iother", large);
            await store.CheckpointAsync(CancellationToken.None);
        }

        using (var reopened = new FasterKeyValueStore(Options with { ExpectExistingState = true }))
        {
            Assert.Equal(other, reopened.Read("ibig"));
            Assert.Equal(large, reopened.Read("iother"));
            // Replacing a record in parts by a small one, and deleting one, after a reopen (the count of records in parts is recovered).
            reopened.Upsert("ibig", [9]);
            reopened.Delete("iother");
            Assert.Equal(new byte[] { 9 }, reopened.Read("ibig"));
            Assert.Null(reopened.Read("iother"));
            Assert.Equal(["ibig", "small"], reopened.ScanAll().Select(r => r.Key).Order(StringComparer.Ordinal));
            await reopened.CheckpointAsync(CancellationToken.None);
        }

        using var again = new FasterKeyValueStore(Options with { ExpectExistingState = true });
        Assert.Equal(new byte[] { 9 }, again.Read("ibig"));
        Assert.Null(again.Read("iother"));
        again.Clear();
        Assert.Empty(again.ScanAll());
    }

    [Fact]
    public void A_key_too_long_for_the_store_is_refused_naming_it_and_its_size_not_as_a_storage_fault()
    {
        using var store = new FasterKeyValueStore(Options);
        var key = "k" + new string('x', (int)(store.PageBytes / 2));
        var refusal = Assert.Throws<ArgumentException>(() => store.Upsert(key, [1]));
        Assert.IsNotType<StorageFaultException>(refusal);
        Assert.Contains(key[..40], refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"{key.Length} bytes", refusal.Message, StringComparison.Ordinal);
        Assert.Null(store.Read(key));
    }

    [Fact]
    public void Pages_are_derived_from_the_value_limit()
    {
        using (var store = new FasterKeyValueStore(Options))
            Assert.Equal(2L << 20, store.PageBytes);
        using var raised = new FasterKeyValueStore(Options with { Directory = Path.Combine(dir.Path, "raised"), MaxValueBytes = 3 << 20 });
        Assert.Equal(4L << 20, raised.PageBytes);
        Assert.True(raised.StoresWhole(LargestKey, (3 << 20) + 33));
        // A limit raised far beyond: pages stop growing (the memory floor is 8 pages) and such values go in parts.
        using var huge = new FasterKeyValueStore(Options with { Directory = Path.Combine(dir.Path, "huge"), MaxValueBytes = 100 << 20 });
        Assert.Equal(16L << 20, huge.PageBytes);
        var value = Pattern((100 << 20) + 33, 4);
        Assert.False(huge.StoresWhole(LargestKey, value.Length));
        huge.Upsert(LargestKey, value);
        Assert.Equal(value, huge.Read(LargestKey));
    }

    public void Dispose() => dir.Dispose();
}
