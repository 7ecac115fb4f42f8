using GlobalZone.Storage;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.UnitTests.Integrity;

/// <summary>
/// The key/value store verifies its checkpoint against the manifest before recovering it, and refuses to open
/// (naming the file) rather than open an empty store over a damaged one.
/// </summary>
public sealed class KeyValueCheckpointIntegrityTests : IDisposable
{
    private readonly TempDirectory dir = new();

    // Small pages so that the hybrid log spills to its files (hlog.log.0) well before the checkpoint.
    private StorageOptions Options => new()
    {
        Directory = dir.Path,
        KeyValuePageBytes = 1 << 12,
        KeyValueMemoryBytes = 1 << 15,
        KeyValueIndexBytes = 1 << 16,
    };

    private string Kv => Path.Combine(dir.Path, "kv");

    private static byte[] Value(int i) => System.Text.Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', i % 50));

    /// <summary>Writes keys 0..999, checkpoints, writes 1000..1499 and checkpoints again, then writes past the checkpoint.</summary>
    private async Task WriteCheckpointedStateAsync()
    {
        using var store = new FasterKeyValueStore(Options);
        for (var i = 0; i < 1000; i++)
            store.Upsert($"key-{i}", Value(i));
        await store.CheckpointAsync(CancellationToken.None);
        for (var i = 1000; i < 1500; i++)
            store.Upsert($"key-{i}", Value(i));
        await store.CheckpointAsync(CancellationToken.None);
        // Not checkpointed: the Raft log replays these after a restart. They must not disturb the checkpoint's hashes.
        for (var i = 1500; i < 2500; i++)
            store.Upsert($"key-{i}", Value(i));
    }

    private CheckpointManifest Manifest() => CheckpointManifest.TryRead(Kv) ?? throw new InvalidOperationException("no manifest");

    private string ManifestFile(string startsWith) => Path.Combine(Kv, Manifest().Files.First(f => f.Path.StartsWith(startsWith, StringComparison.Ordinal)).Path);

    [Fact]
    public async Task A_clean_store_reopens_with_its_checkpointed_state_every_time()
    {
        await WriteCheckpointedStateAsync();
        for (var reopen = 0; reopen < 3; reopen++)
        {
            using var store = new FasterKeyValueStore(Options);
            Assert.Equal(Value(0), store.Read("key-0"));
            Assert.Equal(Value(1499), store.Read("key-1499"));
            Assert.Null(store.Read("key-1500"));
            store.Upsert($"after-{reopen}", Value(reopen));
            await store.CheckpointAsync(CancellationToken.None);
        }

        var manifest = Manifest();
        Assert.NotNull(manifest.Token);
        Assert.Contains(manifest.Files, f => f.Path == "hlog.log.0");
        // Records are SpanByte in the hybrid log itself: there is no object log to list.
        Assert.DoesNotContain(manifest.Files, f => f.Path.Contains(".obj.", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Kv, "hlog.obj.log*"));
        Assert.Contains(manifest.Files, f => f.Path.StartsWith("checkpoints/cpr-checkpoints/", StringComparison.Ordinal));
        Assert.Contains(manifest.Files, f => f.Path.StartsWith("checkpoints/index-checkpoints/", StringComparison.Ordinal));
        // Only the manifest's checkpoint is kept.
        Assert.Single(Directory.GetDirectories(Path.Combine(Kv, "checkpoints", "cpr-checkpoints")));
    }

    [Theory]
    [InlineData("hlog.log.0")]
    [InlineData("checkpoints/cpr-checkpoints/")]
    [InlineData("checkpoints/index-checkpoints/")]
    public async Task A_flipped_byte_in_a_checkpoint_file_refuses_the_open_naming_that_file(string file)
    {
        await WriteCheckpointedStateAsync();
        var path = ManifestFile(file);
        var length = Manifest().Files.First(f => Path.Combine(Kv, f.Path) == path).Length;
        FileDamage.FlipByte(path, length / 2);

        var refusal = Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options));
        Assert.Equal(path, refusal.Path);
        Assert.Contains("damaged", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("gz member add", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_log_refuses_the_open_naming_it()
    {
        await WriteCheckpointedStateAsync();
        var path = Path.Combine(Kv, "hlog.log.0");
        FileDamage.Truncate(path, Manifest().Files.First(f => f.Path == "hlog.log.0").Length - 100);

        var refusal = Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options));
        Assert.Equal(path, refusal.Path);
        Assert.Contains("truncated", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_checkpoint_file_refuses_the_open_naming_it()
    {
        await WriteCheckpointedStateAsync();
        var path = ManifestFile("checkpoints/cpr-checkpoints/");
        File.Delete(path);

        var refusal = Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options));
        Assert.Equal(path, refusal.Path);
        Assert.Contains("missing", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_or_damaged_manifest_refuses_the_open()
    {
        await WriteCheckpointedStateAsync();
        var manifest = CheckpointManifest.PathIn(Kv);
        FileDamage.FlipByte(manifest, 20);
        Assert.Equal(manifest, Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options)).Path);

        File.Delete(manifest);
        Assert.Equal(manifest, Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options)).Path);
    }

    [Fact]
    public async Task A_missing_store_folder_is_refused_where_state_is_expected_and_created_where_it_is_not()
    {
        Assert.Equal(Kv, Assert.Throws<StorageIntegrityException>(() => new FasterKeyValueStore(Options with { ExpectExistingState = true })).Path);

        using (var store = new FasterKeyValueStore(Options))
            await store.CheckpointAsync(CancellationToken.None);
        using (var reopened = new FasterKeyValueStore(Options with { ExpectExistingState = true }))
            Assert.Null(reopened.Read("anything"));
    }

    public void Dispose() => dir.Dispose();
}
