using System.Globalization;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// What a final read found in a big key, as the history records it (a read's output): <c>seq=S bytes=L</c> for an
/// intact value of write S, <c>corrupt: why</c> otherwise; an absent key is recorded as no output at all.
/// </summary>
internal sealed record BigValueObservation(long Sequence, int Length, string? Problem)
{
    private const string CorruptPrefix = "corrupt: ";

    public bool IsIntact => Problem is null;

    public static BigValueObservation Intact(long sequence, int length) => new(sequence, length, null);

    public static BigValueObservation Corrupt(string problem) => new(0, 0, problem);

    /// <summary>The text a history records.</summary>
    public override string ToString() => Problem is null
        ? string.Create(CultureInfo.InvariantCulture, $"seq={Sequence} bytes={Length}")
        : CorruptPrefix + Problem;

    /// <summary>Reads back <see cref="ToString"/>; anything else counts as corrupt (it is not what the reader records).</summary>
    public static BigValueObservation Parse(string output)
    {
        if (output.StartsWith(CorruptPrefix, StringComparison.Ordinal))
            return Corrupt(output[CorruptPrefix.Length..]);
        return BigWrite.TryParseFields(output, out var sequence, out var length, out var keys) && keys is null
            ? Intact(sequence, length)
            : Corrupt($"an unreadable observation '{output}'");
    }
}
