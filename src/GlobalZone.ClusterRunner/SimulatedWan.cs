using System.Globalization;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// A simulated WAN for a local cluster: round-trip milliseconds between sites, which every member adds to its
/// member-to-member requests (the server's <c>GlobalZone:Wan:SITE-SITE</c> settings; half before a request leaves,
/// half after its answer). Written <c>dc1-dc2=5,dc1-dc3=30,dc2-dc3=30</c>.
/// </summary>
public static class SimulatedWan
{
    /// <summary>Two nearby data centers and a distant third (the witness's): like <c>cockroach demo --global</c>'s regions.</summary>
    public const string GlobalPreset = "dc1-dc2=5,dc1-dc3=30,dc2-dc3=30";

    /// <summary>Parses <c>SITE-SITE=MS,...</c>; <c>global</c> (or an empty string) means <see cref="GlobalPreset"/>.</summary>
    /// <exception cref="FormatException">A part is not <c>SITE-SITE=MS</c> with a non-negative number.</exception>
    public static IReadOnlyDictionary<string, double> Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || string.Equals(spec.Trim(), "global", StringComparison.OrdinalIgnoreCase))
            spec = GlobalPreset;
        var pairs = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0 || !part[..equals].Contains('-')
                || !double.TryParse(part[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds < 0)
                throw new FormatException($"'{part}' is not SITE-SITE=MILLISECONDS (e.g. dc1-dc3=30).");
            pairs[part[..equals].Trim()] = milliseconds;
        }

        return pairs;
    }

    /// <summary>The settings with the WAN's round trips added to <see cref="ClusterSettings.Extra"/>.</summary>
    public static ClusterSettings WithWan(this ClusterSettings settings, string spec)
    {
        var extra = new Dictionary<string, string>(settings.Extra);
        foreach (var (pair, milliseconds) in Parse(spec))
            extra[$"Wan:{pair}"] = milliseconds.ToString(CultureInfo.InvariantCulture);
        return settings with { Extra = extra };
    }

    /// <summary>
    /// Election timeouts that match the WAN's slowest round trip R: lower = max(750, 25 × R) ms rounded up to 50 ms,
    /// upper = 2 × lower (heartbeats every 0.2 × lower, RPC timeout 0.75 × lower: see RaftTimingOptions). An election
    /// needs two round trips to a majority (pre-vote, vote) and a heartbeat must cross the slowest link several times
    /// within the lower timeout, so 25 round trips leaves room for a slow link's jitter without needless elections,
    /// while loopback and nearby sites keep the 750 ms floor that bounds a crashed leader's cost to about a second.
    /// </summary>
    public static (int Lower, int Upper) ElectionTimeouts(string spec)
    {
        var slowest = Parse(spec).Values.DefaultIfEmpty(0).Max();
        var lower = Math.Max(750, (int)Math.Ceiling(25 * slowest / 50) * 50);
        return (lower, 2 * lower);
    }

    /// <summary>How a spec reads back, for a start-up banner.</summary>
    public static string Describe(string spec)
        => string.Join(", ", Parse(spec).Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)} ms"));
}
