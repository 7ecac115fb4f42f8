using System.Text.Json;

namespace GlobalZone.Contracts;

/// <summary>
/// <c>cluster-identity.json</c> in a member's data folder: the cluster the data belongs to. The server writes it on
/// first start and refuses to start when its configuration names another cluster; <c>gz backup restore</c> writes
/// it with the new cluster's name, so restored data cannot be started as a member of the cluster it came from.
/// </summary>
public sealed record ClusterIdentityFile
{
    public const string FileName = "cluster-identity.json";

    public required string ClusterName { get; init; }

    /// <summary>Where the data came from when it was seeded from a backup (else null).</summary>
    public string? RestoredFromCluster { get; init; }

    public long? RestoredRevision { get; init; }

    public string? RestoredBackupSha256 { get; init; }

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The identity recorded in a data folder, or null when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but cannot be read as an identity.</exception>
    public static ClusterIdentityFile? TryRead(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            return new ClusterIdentityFile
            {
                ClusterName = root.GetProperty("clusterName").GetString() ?? throw new InvalidDataException("clusterName is null."),
                RestoredFromCluster = root.TryGetProperty("restoredFromCluster", out var from) ? from.GetString() : null,
                RestoredRevision = root.TryGetProperty("restoredRevision", out var revision) ? revision.GetInt64() : null,
                RestoredBackupSha256 = root.TryGetProperty("restoredBackupSha256", out var sha) ? sha.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a valid cluster identity: {e.Message}", e);
        }
    }

    /// <summary>Writes the identity atomically (temp file, then rename).</summary>
    public void Write(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = PathIn(dataDirectory);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("clusterName", ClusterName);
            if (RestoredFromCluster is not null)
                writer.WriteString("restoredFromCluster", RestoredFromCluster);
            if (RestoredRevision is { } revision)
                writer.WriteNumber("restoredRevision", revision);
            if (RestoredBackupSha256 is not null)
                writer.WriteString("restoredBackupSha256", RestoredBackupSha256);
            writer.WriteEndObject();
        }

        File.Move(temp, path, overwrite: true);
    }
}
