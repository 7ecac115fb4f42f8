using System.Globalization;
using System.Text;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The verdict for a whole history: linearizable iff every key is (linearizability is compositional), not
/// linearizable if any key is not, otherwise unknown if any key could not be decided.
/// </summary>
/// <param name="Verdict">The overall verdict.</param>
/// <param name="Keys">One verdict per key, ordered by key.</param>
/// <param name="Elapsed">Time spent on the whole check.</param>
public sealed record CheckResult(Verdict Verdict, IReadOnlyList<KeyVerdict> Keys, TimeSpan Elapsed)
{
    /// <summary>The counterexample of the first key (in key order) that is not linearizable, if any.</summary>
    public Counterexample? Counterexample
    {
        get
        {
            foreach (var key in Keys)
            {
                if (key.Counterexample is not null)
                {
                    return key.Counterexample;
                }
            }
            return null;
        }
    }

    /// <summary>Combines per-key verdicts into the history's verdict.</summary>
    internal static Verdict Combine(IEnumerable<KeyVerdict> keys)
    {
        var overall = Verdict.Linearizable;
        foreach (var key in keys)
        {
            if (key.Verdict == Verdict.NotLinearizable)
            {
                return Verdict.NotLinearizable;
            }
            if (key.Verdict == Verdict.Unknown)
            {
                overall = Verdict.Unknown;
            }
        }
        return overall;
    }

    /// <summary>A summary line, per-key verdicts that are not linearizable, and the first counterexample.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Verdict} ({Keys.Count} keys, {Elapsed.TotalMilliseconds:F0} ms)").AppendLine();
        foreach (var key in Keys)
        {
            if (key.Verdict != Verdict.Linearizable)
            {
                text.Append(CultureInfo.InvariantCulture, $"  key \"{key.Key}\": {key.Verdict} ({key.OperationCount} operations)").AppendLine();
            }
        }
        if (Counterexample is { } counterexample)
        {
            text.Append(counterexample.Describe());
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}
