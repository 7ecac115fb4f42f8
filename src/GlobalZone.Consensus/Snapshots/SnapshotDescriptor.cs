using System.Text.Json;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// What DotNext carries in an InstallSnapshot call: not the state, which may be gigabytes and would have to cross in
/// one RPC timeout, but where to fetch it. The receiver downloads the file out of band (see
/// <see cref="SnapshotReceiver"/>) and answers DotNext only once its state reflects <see cref="Index"/>.
/// </summary>
public sealed record SnapshotDescriptor
{
    public const int CurrentVersion = 1;

    /// <summary>Descriptors are a few hundred bytes; anything longer is not one.</summary>
    public const int MaxEncodedBytes = 16 << 10;

    public int FormatVersion { get; init; } = CurrentVersion;

    /// <summary>
    /// False while the sender is still writing the file (it starts on the first call that needs it). With a
    /// <see cref="SnapshotId"/> and <see cref="Url"/> the receiver may fetch it already (it grows until complete; size
    /// and hash are not known yet, the file's own trailer vouches for it); without, it only says "not yet".
    /// </summary>
    public required bool Ready { get; init; }

    /// <summary>Names one file; empty while not <see cref="Ready"/> and not fetchable yet.</summary>
    public string SnapshotId { get; init; } = "";

    /// <summary>
    /// The file's format version (<see cref="SnapshotFile.CurrentVersion"/>); 0 from a sender of an earlier release
    /// (version 1 or 2). From 3 on a new member may install the file while it arrives.
    /// </summary>
    public int FileFormat { get; init; }

    /// <summary>True when the receiver may start fetching: the file is complete, or being written and fetchable.</summary>
    public bool Fetchable => Ready || SnapshotId.Length > 0;

    /// <summary>Raft index and term the snapshot is known by (the sender's checkpoint).</summary>
    public required long Index { get; init; }

    public required long Term { get; init; }

    /// <summary>The index the file's state reflects (at least <see cref="Index"/>: the dump is taken from the live state).</summary>
    public long ReflectedIndex { get; init; }

    /// <summary>Length of the whole file in bytes.</summary>
    public long Size { get; init; }

    /// <summary>SHA-256 of the file without its 32-byte trailer (which holds the same hash), lower-case hex.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>Absolute URL to GET the file from (a member-to-member route, Range-resumable).</summary>
    public string Url { get; init; } = "";

    public byte[] Encode()
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("formatVersion", FormatVersion);
            writer.WriteBoolean("ready", Ready);
            writer.WriteString("snapshotId", SnapshotId);
            writer.WriteNumber("index", Index);
            writer.WriteNumber("term", Term);
            writer.WriteNumber("reflectedIndex", ReflectedIndex);
            writer.WriteNumber("size", Size);
            writer.WriteString("sha256", Sha256);
            writer.WriteString("url", Url);
            writer.WriteNumber("fileFormat", FileFormat);
            writer.WriteEndObject();
        }

        return json.ToArray();
    }

    /// <exception cref="InvalidDataException">Not a descriptor, or a version this build does not read.</exception>
    public static SnapshotDescriptor Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var version = root.GetProperty("formatVersion").GetInt32();
            if (version != CurrentVersion)
                throw new InvalidDataException($"Snapshot descriptor version {version} is not supported (this build reads {CurrentVersion}).");
            var descriptor = new SnapshotDescriptor
            {
                FormatVersion = version,
                Ready = root.GetProperty("ready").GetBoolean(),
                SnapshotId = root.GetProperty("snapshotId").GetString() ?? "",
                Index = root.GetProperty("index").GetInt64(),
                Term = root.GetProperty("term").GetInt64(),
                ReflectedIndex = root.GetProperty("reflectedIndex").GetInt64(),
                Size = root.GetProperty("size").GetInt64(),
                Sha256 = root.GetProperty("sha256").GetString() ?? "",
                Url = root.GetProperty("url").GetString() ?? "",
                // Absent from senders of an earlier release.
                FileFormat = root.TryGetProperty("fileFormat", out var format) ? format.GetInt32() : 0,
            };
            if (descriptor.Ready && (descriptor.Size < SnapshotFile.MinimumSize || descriptor.Sha256.Length != 64 || descriptor.ReflectedIndex < descriptor.Index))
                throw new InvalidDataException("The snapshot descriptor is incomplete or inconsistent.");
            if (descriptor.Fetchable && (!SnapshotFile.IsValidId(descriptor.SnapshotId)
                    || !Uri.TryCreate(descriptor.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
                throw new InvalidDataException("The snapshot descriptor is incomplete or inconsistent.");
            return descriptor;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException("Not a snapshot descriptor: " + e.Message, e);
        }
    }
}
