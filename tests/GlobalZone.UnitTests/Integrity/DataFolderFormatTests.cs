using System.Text;
using GlobalZone.Storage.DataFolder;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.UnitTests.Integrity;

/// <summary>The data folder's FORMAT file: written once the state exists, checked at every start.</summary>
public sealed class DataFolderFormatTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private string Marker => Path.Combine(dir.Path, "state", "kv", CheckpointManifest.FileName);

    [Fact]
    public void A_new_folder_gets_a_format_file_that_later_starts_accept()
    {
        var format = DataFolderFormat.Open(dir.Path, Marker);
        Assert.False(format.Initialized);
        format.MarkInitialized();

        var reopened = DataFolderFormat.Open(dir.Path, Marker);
        Assert.True(reopened.Initialized);
        Assert.Contains($"\"dataFormat\":{DataFormatVersion.Current}", File.ReadAllText(DataFolderFormat.PathIn(dir.Path)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_of_an_earlier_release_is_refused_with_the_backup_commands()
    {
        Directory.CreateDirectory(Path.Combine(dir.Path, "raft"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "state", "history-v2"));

        var refusal = Assert.Throws<StorageIntegrityException>(() => DataFolderFormat.Open(dir.Path, Marker));
        Assert.Equal(DataFolderFormat.PathIn(dir.Path), refusal.Path);
        Assert.Contains("earlier release", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("gz backup create", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("gz backup restore", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Message);
    }

    [Fact]
    public void A_first_start_interrupted_after_the_state_was_created_is_finished_not_refused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Marker)!);
        File.WriteAllText(Marker, "manifest");
        Assert.False(DataFolderFormat.Open(dir.Path, Marker).Initialized);
    }

    [Fact]
    public void A_damaged_format_file_is_refused_naming_it()
    {
        DataFolderFormat.Open(dir.Path, Marker).MarkInitialized();
        var path = DataFolderFormat.PathIn(dir.Path);
        FileDamage.FlipByte(path, 5);

        var refusal = Assert.Throws<StorageIntegrityException>(() => DataFolderFormat.Open(dir.Path, Marker));
        Assert.Equal(path, refusal.Path);
        Assert.Contains("damaged", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_of_a_newer_format_is_refused()
    {
        var body = $"{{\"product\":\"GlobalZone\",\"dataFormat\":{DataFormatVersion.Current + 1},\"created\":\"x\"}}";
        File.WriteAllText(DataFolderFormat.PathIn(dir.Path), $"{body}\nsha256:{FileDigest.Of(Encoding.UTF8.GetBytes(body))}\n");

        var refusal = Assert.Throws<StorageIntegrityException>(() => DataFolderFormat.Open(dir.Path, Marker));
        Assert.Contains("newer release", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)] // key/value records in FASTER's object log
    [InlineData(2)] // the hybrid log in 1 GiB files: this release maps addresses to 256 MiB files
    public void A_folder_of_an_earlier_format_is_refused_as_an_earlier_release(int format)
    {
        Assert.Equal(3, DataFormatVersion.Current);
        var body = $"{{\"product\":\"GlobalZone\",\"dataFormat\":{format},\"created\":\"x\"}}";
        File.WriteAllText(DataFolderFormat.PathIn(dir.Path), $"{body}\nsha256:{FileDigest.Of(Encoding.UTF8.GetBytes(body))}\n");

        var refusal = Assert.Throws<StorageIntegrityException>(() => DataFolderFormat.Open(dir.Path, Marker));
        Assert.Contains($"format {format}, written by an earlier release", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("backup", refusal.Message, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => dir.Dispose();
}
