using System.Globalization;
using System.Text;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// The bytes of a big value: a header naming the key, the write's sequence number and the value's length, then a
/// filler drawn from a generator seeded by that header. Every byte therefore depends on (key, sequence, length), so a
/// value that is cut short, padded, mixed with another write's or flipped anywhere no longer matches what its header
/// says it is. The header is plain printable text ending in '|' and the filler only letters, digits, '-' and '_', so
/// the same text is a JSON string's content as it is (no escaping), which lets transactions carry it as JSON.
/// </summary>
internal static class BigValueContent
{
    private const string HeaderStart = "gz-big ";
    private static readonly byte[] Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8.ToArray();

    /// <summary>The value written to <paramref name="key"/> by its write number <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length too short for the header.</exception>
    public static byte[] Create(string key, long sequence, int length)
    {
        var header = Header(key, sequence, length);
        if (length < header.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A big value needs at least {header.Length} bytes for its header.");
        var value = new byte[length];
        header.CopyTo(value, 0);
        Fill(value.AsSpan(header.Length), header);
        return value;
    }

    /// <summary>
    /// What a stored value is: the (sequence, length) its header claims when every byte matches, else a problem. A value
    /// stored as JSON (a transaction's put) is the same text in quotes.
    /// </summary>
    public static BigValueObservation Inspect(string key, ReadOnlySpan<byte> stored, bool json)
    {
        var text = stored;
        if (json)
        {
            if (text.Length < 2 || text[0] != (byte)'"' || text[^1] != (byte)'"')
                return BigValueObservation.Corrupt($"a JSON value that is not a plain string ({stored.Length} bytes)");
            text = text[1..^1];
        }

        var end = text.IndexOf((byte)'|');
        if (end < 0 || !text.StartsWith(Encoding.ASCII.GetBytes(HeaderStart)))
            return BigValueObservation.Corrupt($"no header ({text.Length} bytes)");
        var fields = Encoding.ASCII.GetString(text[HeaderStart.Length..end]).Split(' ');
        if (fields.Length != 3 || !fields[0].StartsWith("key=", StringComparison.Ordinal)
            || !long.TryParse(fields[1].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !int.TryParse(fields[2].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            return BigValueObservation.Corrupt("an unreadable header");
        if (fields[0][4..] != key)
            return BigValueObservation.Corrupt($"the value of another key ({fields[0][4..]}, write {sequence})");
        if (text.Length != length)
            return BigValueObservation.Corrupt($"write {sequence} should be {length} bytes long, is {text.Length}");
        var expected = Create(key, sequence, length);
        var mismatch = text.CommonPrefixLength(expected);
        return mismatch == length
            ? BigValueObservation.Intact(sequence, length)
            : BigValueObservation.Corrupt($"write {sequence} ({length} bytes) differs from what was written at byte {mismatch}");
    }

    private static byte[] Header(string key, long sequence, int length)
        => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{HeaderStart}key={key} seq={sequence} bytes={length}|"));

    // xorshift64 seeded with the header's FNV-1a hash: cheap (a megabyte in a few milliseconds) and different for
    // every (key, sequence, length).
    private static void Fill(Span<byte> filler, byte[] header)
    {
        var state = 14695981039346656037UL;
        foreach (var b in header)
            state = (state ^ b) * 1099511628211UL;
        if (state == 0)
            state = 1;
        for (var i = 0; i < filler.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            filler[i] = Alphabet[(int)(state & 63)];
        }
    }
}
