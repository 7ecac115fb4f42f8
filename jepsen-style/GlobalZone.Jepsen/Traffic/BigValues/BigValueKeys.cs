using System.Globalization;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// Where big values live: writer W puts raw values into <c>big/W/raw/0..</c> (a few keys in turn) and transactions
/// into <c>big/W/txn/000..</c> (one group, every key in each transaction). Each key has one writer, so its writes
/// are sequential; no workload uses the <c>big/</c> prefix, so the workload's checker never sees these keys.
/// </summary>
internal static class BigValueKeys
{
    public const string Prefix = "big/";

    public static bool Owns(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Raw(int writer, int slot) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{writer}/raw/{slot}");

    /// <summary>The prefix of a writer's transaction group, the key its transactions are recorded under.</summary>
    public static string TransactionGroup(int writer) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{writer}/txn/");

    /// <summary>Key <paramref name="index"/> of a transaction group.</summary>
    public static string InGroup(string group, int index) => string.Create(CultureInfo.InvariantCulture, $"{group}{index:D3}");

    /// <summary>Every key a recorded write put: the key itself, or each key of the transaction's group.</summary>
    public static IEnumerable<string> Written(string recordedKey, BigWrite write)
        => write.TransactionKeys is { } keys ? Enumerable.Range(0, keys).Select(i => InGroup(recordedKey, i)) : [recordedKey];
}
