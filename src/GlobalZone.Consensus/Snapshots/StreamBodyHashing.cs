using System.Security.Cryptography;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// Passes writes to a file and feeds every byte written at or after <paramref name="hashFrom"/> into a hash. Writes
/// there must come in order (a dump's body does); writes before it (the header written back at the end) are not hashed.
/// Leaves the file open.
/// </summary>
internal sealed class StreamBodyHashing(Stream file, IncrementalHash hash, long hashFrom) : Stream
{
    private readonly long start = hashFrom;
    private long hashedUntil = hashFrom;

    public override bool CanRead => false;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => file.Position = value;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var at = file.Position;
        var end = at + buffer.Length;
        if (end > start)
        {
            var skip = (int)Math.Max(0, start - at);
            if (Math.Max(at, start) != hashedUntil)
                throw new InvalidOperationException($"The snapshot body must be written in order (a write at {Math.Max(at, start)}, hashed until {hashedUntil}).");
            hash.AppendData(buffer[skip..]);
            hashedUntil = end;
        }

        file.Write(buffer);
    }

    public override void Flush() => file.Flush();

    public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);

    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
