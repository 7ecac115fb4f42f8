using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Validate;

/// <summary>What a checker found: a verdict, a one-line summary, figures for the report, and the operations to look at.</summary>
internal sealed record ValidationResult
{
    /// <summary>Which checker spoke, e.g. "linearizability" or "set".</summary>
    public required string Checker { get; init; }

    public required Validity Validity { get; init; }

    /// <summary>One line a person reads first.</summary>
    public required string Summary { get; init; }

    /// <summary>Longer explanation (a counterexample, the lost elements), plain text.</summary>
    public string Details { get; init; } = "";

    /// <summary>Named counts, e.g. lost=0, keys=12.</summary>
    public IReadOnlyDictionary<string, long> Figures { get; init; } = new Dictionary<string, long>();

    /// <summary>The operations that break the property (drawn in red on the timeline).</summary>
    public IReadOnlyList<Operation> Offending { get; init; } = [];

    /// <summary>Operations around the offending ones that explain them (drawn in grey on the timeline).</summary>
    public IReadOnlyList<Operation> Context { get; init; } = [];

    /// <summary>Combines several results (e.g. safety and liveness): invalid if any is, else unknown if any is.</summary>
    public static Validity Worst(IEnumerable<Validity> verdicts)
    {
        var worst = Validity.Valid;
        foreach (var verdict in verdicts)
        {
            if (verdict == Validity.Invalid)
                return Validity.Invalid;
            if (verdict == Validity.Unknown)
                worst = Validity.Unknown;
        }

        return worst;
    }
}
