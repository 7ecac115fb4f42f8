using GlobalZone.Storage;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.UnitTests.Integrity;

/// <summary>The revision history checks every entry and its commit record, and refuses a damaged history at open.</summary>
public sealed class RevisionHistoryIntegrityTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private StorageOptions Options => new() { Directory = dir.Path, HistoryPageBytes = 1 << 12, HistoryMemoryBytes = 1 << 15 };

    private string Folder => Path.Combine(dir.Path, RevisionHistory.FolderName);

    private static byte[] Payload(int revision) => System.Text.Encoding.UTF8.GetBytes($"revision {revision} " + new string('p', revision % 300));

    /// <summary>Appends and commits revisions 1..200 (several pages, so most of them are read back from disk).</summary>
    private async Task WriteHistoryAsync()
    {
        using var history = new RevisionHistory(Options);
        for (var revision = 1; revision <= 200; revision++)
            history.Append(revision, Payload(revision));
        await history.CommitAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_clean_history_recovers_every_revision()
    {
        await WriteHistoryAsync();
        using var history = new RevisionHistory(Options);
        history.Recover(1, 200);
        Assert.Equal(1, history.FirstRevision);
        Assert.Equal(200, history.LastRevision);
        Assert.Equal(Payload(150), history.ReadCommitted(150, 150, 1).Single().Payload);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public async Task A_flipped_byte_in_a_history_segment_refuses_recovery_naming_the_segment(double where)
    {
        await WriteHistoryAsync();
        var segment = Path.Combine(Folder, "history.log.0");
        // Within the committed entries (the file may be longer: FasterLog writes whole sectors).
        using (var history = new RevisionHistory(Options))
        {
            history.Recover(1, 200);
        }

        var committed = new FileInfo(segment).Length;
        var offset = 64 + (long)((CommittedBytes(segment, committed) - 64) * where);
        FileDamage.FlipByte(segment, offset);

        var refusal = Assert.ThrowsAny<StorageIntegrityException>(() =>
        {
            using var history = new RevisionHistory(Options);
            history.Recover(1, 200);
        });
        Assert.Contains(Folder, refusal.Path, StringComparison.Ordinal);
        Assert.Contains("gz member add", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_commit_record_refuses_recovery_instead_of_opening_an_empty_history()
    {
        await WriteHistoryAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(Folder, "commits"), "*", SearchOption.AllDirectories))
            File.Delete(file);

        using var history = new RevisionHistory(Options);
        var refusal = Assert.Throws<StorageIntegrityException>(() => history.Recover(1, 200));
        Assert.Equal(Folder, refusal.Path);
        Assert.Contains("lacks revisions", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_commit_record_refuses_the_open()
    {
        await WriteHistoryAsync();
        var commit = Directory.GetFiles(Path.Combine(Folder, "commits"), "*", SearchOption.AllDirectories).Single();
        // Inside the record (the file is padded to a sector; FasterLog checksums the record itself).
        FileDamage.FlipByte(commit, 14);

        var refusal = Assert.Throws<StorageIntegrityException>(() => new RevisionHistory(Options));
        Assert.Equal(Path.Combine(Folder, "commits"), refusal.Path);
    }

    [Fact]
    public void A_missing_history_folder_is_refused_where_state_is_expected()
        => Assert.Equal(Folder, Assert.Throws<StorageIntegrityException>(() => new RevisionHistory(Options with { ExpectExistingState = true })).Path);

    /// <summary>Bytes of the segment that hold entries: up to the last non-zero byte (sector padding is zeros).</summary>
    private static long CommittedBytes(string path, long length)
    {
        var bytes = File.ReadAllBytes(path);
        var last = Array.FindLastIndex(bytes, b => b != 0);
        return Math.Min(length, last + 1);
    }

    public void Dispose() => dir.Dispose();
}
