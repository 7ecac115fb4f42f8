using System.Globalization;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// A big-value write as the history records it (a write's input): <c>seq=S bytes=L</c> for a raw put of one key,
/// <c>seq=S bytes=L keys=N</c> for a transaction that put a value of L bytes, write S, into each of the N keys of a
/// writer's transaction group (the operation's key is then the group's prefix, see <see cref="BigValueKeys"/>).
/// </summary>
/// <param name="Sequence">The writer's write number (increasing, so per key too).</param>
/// <param name="Length">Bytes of each value written.</param>
/// <param name="TransactionKeys">For a transaction, how many keys of the group it put; null for a raw put.</param>
internal sealed record BigWrite(long Sequence, int Length, int? TransactionKeys)
{
    /// <summary>Bytes this write carried (all of a transaction's values together).</summary>
    public long TotalBytes => (long)Length * (TransactionKeys ?? 1);

    public override string ToString() => TransactionKeys is { } keys
        ? string.Create(CultureInfo.InvariantCulture, $"seq={Sequence} bytes={Length} keys={keys}")
        : string.Create(CultureInfo.InvariantCulture, $"seq={Sequence} bytes={Length}");

    /// <summary>Reads back <see cref="ToString"/>; null for anything else.</summary>
    public static BigWrite? Parse(string? input)
        => input is not null && TryParseFields(input, out var sequence, out var length, out var keys) ? new BigWrite(sequence, length, keys) : null;

    internal static bool TryParseFields(string text, out long sequence, out int length, out int? keys)
    {
        sequence = 0;
        length = 0;
        keys = null;
        var fields = text.Split(' ');
        if (fields.Length is < 2 or > 3
            || !fields[0].StartsWith("seq=", StringComparison.Ordinal) || !long.TryParse(fields[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            || !fields[1].StartsWith("bytes=", StringComparison.Ordinal) || !int.TryParse(fields[1].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out length))
            return false;
        if (fields.Length == 2)
            return true;
        if (!fields[2].StartsWith("keys=", StringComparison.Ordinal) || !int.TryParse(fields[2].AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            return false;
        keys = count;
        return true;
    }
}
