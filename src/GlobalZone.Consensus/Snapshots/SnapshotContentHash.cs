using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The hash a <see cref="SnapshotFile"/> carries in its trailer, computed from the file's bytes in file order as they
/// arrive (a download) or are read: the receiver checks a file as it downloads it instead of reading it again after.
/// </summary>
/// <remarks>
/// Version 1 hashes every byte before the trailer in file order. Version 2 hashes the same bytes with the state
/// stream's header (<see cref="SnapshotFile.StateHeaderBytes"/>, which names the index the dump reflects and is written
/// back once the dump ends) moved after the rest: prefix, the stream after its header, the header. That lets the writer
/// hash as it writes too; with version 1 both ends read the whole file once more only to hash it (a 1 GiB state: seconds
/// of a join, on the loaded leader).
/// </remarks>
public sealed class SnapshotContentHash : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] prefix = new byte[SnapshotFile.PrefixBytes];
    private readonly byte[] stateHeader = new byte[SnapshotFile.StateHeaderBytes];
    private readonly byte[] trailer = new byte[SnapshotFile.TrailerBytes];
    private readonly long size;
    private long position;
    private uint version;

    /// <param name="size">The whole file's length (from its descriptor): where the trailer starts.</param>
    public SnapshotContentHash(long size)
    {
        if (size < SnapshotFile.MinimumSize)
            throw new InvalidDataException($"A snapshot file of {size} bytes is shorter than the smallest one ({SnapshotFile.MinimumSize}).");
        this.size = size;
    }

    /// <summary>Bytes fed so far.</summary>
    public long Position => position;

    /// <summary>Feeds the next bytes of the file.</summary>
    /// <exception cref="InvalidDataException">More than the file's length, or a format version this build does not know.</exception>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (position + data.Length > size)
            throw new InvalidDataException($"The snapshot file runs past the {size} bytes described.");
        while (!data.IsEmpty)
        {
            int take;
            if (position < SnapshotFile.PrefixBytes)
            {
                take = (int)Math.Min(data.Length, SnapshotFile.PrefixBytes - position);
                data[..take].CopyTo(prefix.AsSpan((int)position));
                hash.AppendData(data[..take]);
                if (position + take == SnapshotFile.PrefixBytes)
                {
                    if (!prefix.AsSpan(0, 8).SequenceEqual(SnapshotFile.Magic))
                        throw new InvalidDataException("The file is not a GlobalZone snapshot file.");
                    version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
                    if (version is not (1 or SnapshotFile.CurrentVersion))
                        throw new InvalidDataException($"Snapshot file format version {version} is not supported (this build reads 1 to {SnapshotFile.CurrentVersion}).");
                }
            }
            else if (position < SnapshotFile.PrefixBytes + SnapshotFile.StateHeaderBytes)
            {
                var offset = (int)(position - SnapshotFile.PrefixBytes);
                take = Math.Min(data.Length, SnapshotFile.StateHeaderBytes - offset);
                data[..take].CopyTo(stateHeader.AsSpan(offset));
                if (version == 1)
                    hash.AppendData(data[..take]);
            }
            else if (position < size - SnapshotFile.TrailerBytes)
            {
                take = (int)Math.Min(data.Length, size - SnapshotFile.TrailerBytes - position);
                hash.AppendData(data[..take]);
            }
            else
            {
                var offset = (int)(position - (size - SnapshotFile.TrailerBytes));
                take = data.Length;
                data.CopyTo(trailer.AsSpan(offset));
            }

            position += take;
            data = data[take..];
        }
    }

    /// <summary>
    /// Once the whole file was fed: checks it is the one <paramref name="descriptor"/> names and is intact.
    /// </summary>
    /// <exception cref="InvalidDataException">Short, another snapshot's, or damaged.</exception>
    public void Check(SnapshotDescriptor descriptor, string name)
    {
        if (position != size || size != descriptor.Size)
            throw new InvalidDataException($"Snapshot file {name} is {position} bytes; its descriptor says {descriptor.Size}.");
        if (BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(12)) != descriptor.Index || BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(20)) != descriptor.Term)
            throw new InvalidDataException($"Snapshot file {name} is not known by index {descriptor.Index}, term {descriptor.Term}.");
        if (version == SnapshotFile.CurrentVersion)
            hash.AppendData(stateHeader);
        var actual = hash.GetHashAndReset();
        if (!actual.AsSpan().SequenceEqual(trailer))
            throw new InvalidDataException($"Snapshot file {name} is damaged: its content does not match its own checksum.");
        if (!string.Equals(Convert.ToHexStringLower(actual), descriptor.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Snapshot file {name} is not the one described (SHA-256 {Convert.ToHexStringLower(actual)}, expected {descriptor.Sha256}).");
    }

    public void Dispose() => hash.Dispose();
}
