using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The hash a <see cref="SnapshotFile"/> carries in its trailer, computed from the file's bytes in file order as they
/// arrive (a download) or are read: the receiver checks a file as it downloads it instead of reading it again after.
/// </summary>
/// <remarks>
/// Versions 1 and 3 hash every byte before the trailer in file order. Version 2 (written by the previous release and
/// still read from a leader that runs it) hashes the same bytes with the state stream's header
/// (<see cref="SnapshotFile.StateHeaderBytes"/>, written back once its dump ended) moved after the rest. A file whose
/// size is not known yet (fetched while the leader still writes it, version 3 only) is hashed with its last 32 bytes
/// held back: whatever arrives last is the trailer.
/// </remarks>
public sealed class SnapshotContentHash : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] prefix = new byte[SnapshotFile.PrefixBytes];
    private readonly byte[] stateHeader = new byte[SnapshotFile.StateHeaderBytes];
    private readonly byte[] trailer = new byte[SnapshotFile.TrailerBytes];
    private readonly long size;
    private long position;
    private long hashed;
    private int trailerLength;
    private uint version;
    private string? sha256;

    /// <param name="size">The whole file's length (from its descriptor): where the trailer starts; 0 when not known yet.</param>
    public SnapshotContentHash(long size)
    {
        if (size != 0 && size < SnapshotFile.MinimumSize)
            throw new InvalidDataException($"A snapshot file of {size} bytes is shorter than the smallest one ({SnapshotFile.MinimumSize}).");
        this.size = size;
    }

    /// <summary>Bytes fed so far.</summary>
    public long Position => position;

    /// <summary>The file's SHA-256 (lower-case hex) once <see cref="Check"/> passed.</summary>
    public string Sha256 => sha256 ?? throw new InvalidOperationException("The file has not been checked yet.");

    /// <summary>Feeds the next bytes of the file.</summary>
    /// <exception cref="InvalidDataException">More than the file's length, or a format version this build does not know.</exception>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (size == 0)
        {
            AppendHoldingBackTrailer(data);
            return;
        }

        if (position + data.Length > size)
            throw new InvalidDataException($"The snapshot file runs past the {size} bytes described.");
        var body = (int)Math.Clamp(size - SnapshotFile.TrailerBytes - position, 0, data.Length);
        Consume(data[..body]);
        data[body..].CopyTo(trailer.AsSpan(trailerLength));
        trailerLength += data.Length - body;
        position += data.Length;
    }

    // Size unknown: every byte but the last 32 seen so far is part of the body.
    private void AppendHoldingBackTrailer(ReadOnlySpan<byte> data)
    {
        position += data.Length;
        var release = trailerLength + data.Length - SnapshotFile.TrailerBytes;
        if (release > 0)
        {
            var fromHeld = Math.Min(trailerLength, release);
            Consume(trailer.AsSpan(0, fromHeld));
            trailer.AsSpan(fromHeld, trailerLength - fromHeld).CopyTo(trailer);
            trailerLength -= fromHeld;
            Consume(data[..(release - fromHeld)]);
            data = data[(release - fromHeld)..];
        }

        data.CopyTo(trailer.AsSpan(trailerLength));
        trailerLength += data.Length;
    }

    /// <summary>The next bytes before the trailer.</summary>
    private void Consume(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int take;
            if (hashed < SnapshotFile.PrefixBytes)
            {
                take = (int)Math.Min(data.Length, SnapshotFile.PrefixBytes - hashed);
                data[..take].CopyTo(prefix.AsSpan((int)hashed));
                hash.AppendData(data[..take]);
                if (hashed + take == SnapshotFile.PrefixBytes)
                {
                    if (!prefix.AsSpan(0, 8).SequenceEqual(SnapshotFile.Magic))
                        throw new InvalidDataException("The file is not a GlobalZone snapshot file.");
                    version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
                    if (version is < 1 or > SnapshotFile.CurrentVersion)
                        throw new InvalidDataException($"Snapshot file format version {version} is not supported (this build reads 1 to {SnapshotFile.CurrentVersion}).");
                    if (size == 0 && version < SnapshotFile.CurrentVersion)
                        throw new InvalidDataException($"A snapshot file of format version {version} cannot be fetched before it is complete.");
                }
            }
            else if (version == 2 && hashed < SnapshotFile.PrefixBytes + SnapshotFile.StateHeaderBytes)
            {
                var offset = (int)(hashed - SnapshotFile.PrefixBytes);
                take = Math.Min(data.Length, SnapshotFile.StateHeaderBytes - offset);
                data[..take].CopyTo(stateHeader.AsSpan(offset));
            }
            else
            {
                take = data.Length;
                hash.AppendData(data);
            }

            hashed += take;
            data = data[take..];
        }
    }

    /// <summary>
    /// Once the whole file was fed: checks it is the one <paramref name="descriptor"/> names and is intact (the size
    /// and hash only if the descriptor states them; the file's own trailer in any case).
    /// </summary>
    /// <exception cref="InvalidDataException">Short, another snapshot's, or damaged.</exception>
    public void Check(SnapshotDescriptor descriptor, string name)
    {
        if ((size != 0 && position != size) || (descriptor.Size != 0 && position != descriptor.Size) || position < SnapshotFile.MinimumSize)
            throw new InvalidDataException($"Snapshot file {name} is {position} bytes; its descriptor says {descriptor.Size}.");
        if (BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(12)) != descriptor.Index || BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(20)) != descriptor.Term)
            throw new InvalidDataException($"Snapshot file {name} is not known by index {descriptor.Index}, term {descriptor.Term}.");
        if (version == 2)
            hash.AppendData(stateHeader);
        var actual = hash.GetHashAndReset();
        if (!actual.AsSpan().SequenceEqual(trailer))
            throw new InvalidDataException($"Snapshot file {name} is damaged: its content does not match its own checksum.");
        var hex = Convert.ToHexStringLower(actual);
        if (descriptor.Sha256.Length > 0 && !string.Equals(hex, descriptor.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Snapshot file {name} is not the one described (SHA-256 {hex}, expected {descriptor.Sha256}).");
        sha256 = hex;
    }

    public void Dispose() => hash.Dispose();
}
