using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GlobalZone.Storage.Integrity;

/// <summary>
/// Which checkpoint a store recovers from, and the SHA-256 of every byte that checkpoint relies on: its metadata and
/// index files whole, and the prefix of each log file it covers. Written after the checkpoint completes, checked
/// before it is recovered.
/// </summary>
/// <remarks>
/// Two lines: a JSON body (<c>{"token":…,"files":[{"path":…,"length":…,"sha256":…}]}</c>), then <c>sha256:HEX</c> of the
/// body's bytes, so a damaged manifest is told apart from a damaged checkpoint. A null token is a store that has not
/// completed a checkpoint yet (written when the store is created, so that a missing manifest is always damage).
/// </remarks>
public sealed record CheckpointManifest(Guid? Token, IReadOnlyList<CheckpointManifest.Entry> Files)
{
    public const string FileName = "checkpoint-manifest";

    /// <summary>The first <paramref name="Length"/> bytes of <paramref name="Path"/> (relative, '/'-separated) hash to <paramref name="Sha256"/>.</summary>
    public sealed record Entry(string Path, long Length, string Sha256);

    public static string PathIn(string root) => System.IO.Path.Combine(root, FileName);

    /// <summary>The manifest in <paramref name="root"/>, or null when there is none.</summary>
    /// <exception cref="StorageIntegrityException">The manifest exists but is damaged.</exception>
    public static CheckpointManifest? TryRead(string root)
    {
        var path = PathIn(root);
        if (!File.Exists(path))
            return null;
        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 2 || !lines[1].StartsWith("sha256:", StringComparison.Ordinal)
            || !string.Equals(lines[1]["sha256:".Length..].Trim(), FileDigest.Of(Encoding.UTF8.GetBytes(lines[0])), StringComparison.Ordinal))
        {
            throw new StorageIntegrityException(path, "The checkpoint manifest is damaged (its checksum does not match its content)", OperatorRemedy.ReplaceMember);
        }

        try
        {
            using var document = JsonDocument.Parse(lines[0]);
            var body = document.RootElement;
            var token = body.GetProperty("token").GetString();
            var files = new List<Entry>();
            foreach (var file in body.GetProperty("files").EnumerateArray())
                files.Add(new Entry(file.GetProperty("path").GetString()!, file.GetProperty("length").GetInt64(), file.GetProperty("sha256").GetString()!));
            return new CheckpointManifest(string.IsNullOrEmpty(token) ? null : Guid.Parse(token), files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StorageIntegrityException(path, $"The checkpoint manifest is not readable ({e.Message})", OperatorRemedy.ReplaceMember, e);
        }
    }

    /// <summary>Writes the manifest atomically and durably (temp file, fsync, rename, folder fsync).</summary>
    public void Write(string root)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("token", Token?.ToString() ?? "");
            writer.WriteStartArray("files");
            foreach (var file in Files)
            {
                writer.WriteStartObject();
                writer.WriteString("path", file.Path);
                writer.WriteNumber("length", file.Length);
                writer.WriteString("sha256", file.Sha256);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var body = buffer.ToArray();
        var text = Encoding.UTF8.GetString(body) + "\nsha256:" + FileDigest.Of(body) + "\n";
        DurableFile.WriteAtomically(PathIn(root), Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Checks every listed file against its hash, several files at a time (hashing a large state is the longest part of
    /// a restart, and one core hashes one file).
    /// </summary>
    /// <param name="root">The store's folder.</param>
    /// <param name="keep">
    /// Offered each verified file's hash state (fed exactly its listed prefix); returns true to keep it (the caller
    /// then owns it: the store continues a log file's hash from there at its next checkpoint instead of reading the
    /// file again). May be called from several threads at once.
    /// </param>
    /// <exception cref="StorageIntegrityException">A file is missing, shorter than listed, or its bytes differ.</exception>
    public void Verify(string root, Func<Entry, IncrementalHash, bool>? keep = null)
    {
        try
        {
            Parallel.ForEach(Files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, file => VerifyOne(root, file, keep));
        }
        catch (AggregateException e)
        {
            // Callers see what one file's check threw, damage first, as they did when files were checked in turn.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(
                e.InnerExceptions.OfType<StorageIntegrityException>().FirstOrDefault() ?? e.InnerExceptions[0]).Throw();
        }
    }

    private void VerifyOne(string root, Entry file, Func<Entry, IncrementalHash, bool>? keep)
    {
        var path = System.IO.Path.Combine(root, file.Path);
        if (!File.Exists(path))
            throw new StorageIntegrityException(path, $"A file of key/value checkpoint {Token} is missing", OperatorRemedy.ReplaceMember);
        var length = new FileInfo(path).Length;
        if (length < file.Length)
            throw new StorageIntegrityException(path, $"A file of key/value checkpoint {Token} is truncated ({length} bytes, the checkpoint needs {file.Length})", OperatorRemedy.ReplaceMember);
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var kept = false;
        try
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan))
                FileDigest.AppendRange(hash, stream, 0, file.Length);
            if (!string.Equals(Convert.ToHexStringLower(hash.GetCurrentHash()), file.Sha256, StringComparison.Ordinal))
                throw new StorageIntegrityException(path, $"A file of key/value checkpoint {Token} is damaged (SHA-256 of its first {file.Length} bytes does not match the manifest)", OperatorRemedy.ReplaceMember);
            kept = keep?.Invoke(file, hash) == true;
        }
        finally
        {
            if (!kept)
                hash.Dispose();
        }
    }
}
