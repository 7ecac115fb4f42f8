using System.Text;
using System.Text.Json;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Storage.DataFolder;

/// <summary>
/// The <c>FORMAT</c> file at the top of a member's data folder: which on-disk format the folder holds
/// (<see cref="DataFormatVersion"/>), checksummed so that a damaged file is told apart from a foreign one.
/// </summary>
/// <remarks>
/// Two lines: <c>{"product":"GlobalZone","dataFormat":N,"created":"…"}</c>, then <c>sha256:HEX</c> of the first line's
/// bytes. A new folder gets the file only once its storage has been created (see <see cref="MarkInitialized"/>), so a
/// folder that has one is known to hold state: storage found missing there is damage, not a first start.
/// </remarks>
public sealed class DataFolderFormat
{
    public const string FileName = "FORMAT";

    private const string Product = "GlobalZone";

    /// <summary>Entries a folder may hold before its first start that are not data (written by start-up checks).</summary>
    private static readonly string[] NotData = [FileName, FileName + ".tmp", "cluster-identity.json", "cluster-identity.json.tmp"];

    private readonly string directory;

    private DataFolderFormat(string directory, bool initialized)
    {
        this.directory = directory;
        Initialized = initialized;
    }

    /// <summary>True when the folder already held this format's state before this start.</summary>
    public bool Initialized { get; private set; }

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>
    /// Checks the folder's format before anything opens it. <paramref name="storageMarker"/> is a file the storage
    /// writes first when it creates its state (the key/value manifest): found without a <c>FORMAT</c> file it means a
    /// first start of this release was interrupted, not a folder of an earlier release.
    /// </summary>
    /// <exception cref="StorageIntegrityException">The folder is of another release, or its <c>FORMAT</c> file is damaged.</exception>
    public static DataFolderFormat Open(string dataDirectory, string storageMarker)
    {
        var path = PathIn(dataDirectory);
        if (File.Exists(path))
        {
            var version = ReadVersion(path);
            if (version != DataFormatVersion.Current)
            {
                var problem = version < DataFormatVersion.Current
                    ? $"The data folder holds on-disk format {version}, written by an earlier release; this release reads format {DataFormatVersion.Current} only"
                    : $"The data folder holds on-disk format {version}, written by a newer release; this release reads format {DataFormatVersion.Current} only";
                throw new StorageIntegrityException(path, problem, OperatorRemedy.MoveThroughBackup);
            }

            return new DataFolderFormat(dataDirectory, initialized: true);
        }

        if (HoldsData(dataDirectory) && !File.Exists(storageMarker))
        {
            throw new StorageIntegrityException(
                path,
                $"The data folder {dataDirectory} has content but no {FileName} file: it was written by an earlier release, whose on-disk format this release does not read",
                OperatorRemedy.MoveThroughBackup);
        }

        return new DataFolderFormat(dataDirectory, initialized: false);
    }

    /// <summary>Writes the <c>FORMAT</c> file once the folder's storage exists (nothing to do when it is there).</summary>
    public void MarkInitialized()
    {
        if (Initialized)
            return;
        Directory.CreateDirectory(directory);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("product", Product);
            writer.WriteNumber("dataFormat", DataFormatVersion.Current);
            writer.WriteString("created", DateTimeOffset.UtcNow);
            writer.WriteEndObject();
        }

        var bodyBytes = buffer.ToArray();
        var body = Encoding.UTF8.GetString(bodyBytes);
        var text = $"{body}\nsha256:{FileDigest.Of(bodyBytes)}\n";
        DurableFile.WriteAtomically(PathIn(directory), Encoding.UTF8.GetBytes(text));
        Initialized = true;
    }

    private static int ReadVersion(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageIntegrityException(path, $"The data folder's format file cannot be read ({e.Message})", OperatorRemedy.ReplaceMember, e);
        }

        if (lines.Length != 2 || !lines[1].StartsWith("sha256:", StringComparison.Ordinal)
            || !string.Equals(lines[1]["sha256:".Length..].Trim(), FileDigest.Of(Encoding.UTF8.GetBytes(lines[0])), StringComparison.Ordinal))
        {
            throw new StorageIntegrityException(path, "The data folder's format file is damaged (its checksum does not match its content)", OperatorRemedy.ReplaceMember);
        }

        try
        {
            using var document = JsonDocument.Parse(lines[0]);
            var root = document.RootElement;
            if (root.GetProperty("product").GetString() != Product)
                throw new JsonException("not a GlobalZone format file");
            return root.GetProperty("dataFormat").GetInt32();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StorageIntegrityException(path, $"The data folder's format file is not readable ({e.Message})", OperatorRemedy.ReplaceMember, e);
        }
    }

    private static bool HoldsData(string dataDirectory)
        => Directory.Exists(dataDirectory)
           && Directory.EnumerateFileSystemEntries(dataDirectory).Any(entry => !NotData.Contains(Path.GetFileName(entry), StringComparer.Ordinal));

}
