using System.Globalization;

namespace GlobalZone.Consensus;

/// <summary>
/// The simulated WAN's table: the round-trip time to add to a member-to-member request, by the pair of sites
/// (this member's and the destination's). Configured as <c>GlobalZone:Wan:dc1-dc2=5</c> (milliseconds, either
/// order of the two sites; <c>dc1-dc1</c> sets a delay inside a site). Pairs not listed get no delay.
/// </summary>
/// <remarks>
/// Figures are <b>round trips</b>, like the ping times between regions: half is added before a request leaves and
/// half after its response arrives, so a heartbeat reaches its follower one way later and the leader learns the
/// answer a full round trip later. This is how <c>cockroach demo --global</c> presents region latencies.
/// </remarks>
public sealed class WanLatencies
{
    private readonly Dictionary<string, TimeSpan> roundTripByAuthority;

    private WanLatencies(Dictionary<string, TimeSpan> roundTripByAuthority) => this.roundTripByAuthority = roundTripByAuthority;

    /// <summary>True when no pair of sites has a delay (the handler is then not installed).</summary>
    public bool IsEmpty => roundTripByAuthority.Count == 0;

    /// <summary>Builds this member's table from its options.</summary>
    /// <exception cref="ArgumentException">A key does not name two known sites, or a figure is negative or not a number.</exception>
    public static WanLatencies From(NodeOptions options)
    {
        var sites = options.Members.Select(m => m.Site).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var byPair = new Dictionary<(string, string), TimeSpan>();
        foreach (var (key, milliseconds) in options.Wan)
        {
            if (double.IsNaN(milliseconds) || milliseconds < 0 || milliseconds > 10_000)
                throw new ArgumentException($"GlobalZone:Wan:{key} must be a round trip from 0 to 10000 ms, not {milliseconds.ToString(CultureInfo.InvariantCulture)}.");
            var pair = FindPair(key, sites)
                ?? throw new ArgumentException($"GlobalZone:Wan:{key} must name two sites as SITE-SITE; the sites are {string.Join(", ", sites)}.");
            byPair[pair] = TimeSpan.FromMilliseconds(milliseconds);
            byPair[(pair.Item2, pair.Item1)] = TimeSpan.FromMilliseconds(milliseconds);
        }

        var self = options.Self;
        var byAuthority = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
        foreach (var member in options.Members)
        {
            if (member.Id != self.Id && byPair.TryGetValue((self.Site.ToLowerInvariant(), member.Site.ToLowerInvariant()), out var roundTrip) && roundTrip > TimeSpan.Zero)
                byAuthority[MemberDirectory.Normalize(member.Url)] = roundTrip;
        }

        return new WanLatencies(byAuthority);
    }

    /// <summary>The round trip to add to a request to <paramref name="destination"/> (zero for unknown addresses).</summary>
    public TimeSpan RoundTripTo(Uri destination)
        => destination.IsAbsoluteUri && roundTripByAuthority.TryGetValue(destination.GetLeftPart(UriPartial.Authority), out var roundTrip) ? roundTrip : TimeSpan.Zero;

    private static (string, string)? FindPair(string key, List<string> sites)
    {
        // Site names may contain '-' themselves, so match known names rather than splitting.
        foreach (var first in sites)
        {
            foreach (var second in sites)
            {
                if (string.Equals(key, first + "-" + second, StringComparison.OrdinalIgnoreCase))
                    return (first.ToLowerInvariant(), second.ToLowerInvariant());
            }
        }

        return null;
    }
}
