using GlobalZone.Contracts;

namespace GlobalZone.Client.Internal;

/// <summary>
/// The client's view of the cluster: members (from the seed URLs, then from <c>GET /v1/cluster</c>), their sites, the
/// witness (never asked: it serves no clients), the leader, and which members failed lately. Orders the candidates
/// for each request. Thread-safe; pure logic (time comes from a <see cref="TimeProvider"/>).
/// </summary>
internal sealed class ClusterTopology
{
    private static readonly TimeSpan FirstQuarantine = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxQuarantine = TimeSpan.FromSeconds(10);

    private readonly object gate = new();
    private readonly List<MemberEndpoint> members = [];
    private readonly string? site;
    private readonly TimeProvider time;
    private Uri? leader;
    private int rotation;

    public ClusterTopology(IEnumerable<Uri> seeds, string? site, TimeProvider time)
    {
        this.site = site;
        this.time = time;
        foreach (var seed in seeds)
            GetOrAdd(Normalize(seed));
        if (members.Count == 0)
            throw new ArgumentException("At least one member URL is needed.", nameof(seeds));
    }

    /// <summary>The leader's URL as last learned, or null.</summary>
    public Uri? Leader
    {
        get
        {
            lock (gate)
                return leader;
        }
    }

    /// <summary>When discovery last succeeded (null: never).</summary>
    public DateTimeOffset? LastDiscovery { get; private set; }

    /// <summary>Every known endpoint, for diagnostics.</summary>
    public IReadOnlyList<MemberEndpoint> Snapshot()
    {
        lock (gate)
            return members.ToList();
    }

    /// <summary>
    /// Candidates for one request, best first: never the witness; quarantined members last (by when they come back),
    /// so that a request still has somewhere to go when every member failed lately.
    /// </summary>
    public IReadOnlyList<Uri> Candidates(RequestKind kind)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            var usable = members.Where(m => !m.IsWitness).ToList();
            if (usable.Count == 0)
                return [];

            // Rotating the start spreads reads over the preferred group instead of piling them on its first member.
            var start = rotation++ & int.MaxValue;
            var rotated = usable.Select((m, i) => (Member: m, Order: (i - start % usable.Count + usable.Count) % usable.Count)).ToList();
            var healthy = rotated.Where(x => x.Member.UnhealthyUntil <= now).ToList();
            var quarantined = rotated.Where(x => x.Member.UnhealthyUntil > now).OrderBy(x => x.Member.UnhealthyUntil).Select(x => x.Member.Url);
            IEnumerable<Uri> preferred = kind switch
            {
                RequestKind.Write => healthy
                    .OrderBy(x => SameUrl(x.Member.Url, leader) ? 0 : 1)
                    .ThenBy(x => x.Member.IsDiscovered ? 0 : 1)
                    .ThenBy(x => IsOwnSite(x.Member) ? 0 : 1)
                    .ThenBy(x => x.Order)
                    .Select(x => x.Member.Url),
                _ => healthy
                    .OrderBy(x => x.Member.IsDiscovered ? 0 : 1)
                    .ThenBy(x => IsOwnSite(x.Member) ? 0 : 1)
                    .ThenBy(x => x.Order)
                    .Select(x => x.Member.Url),
            };
            return preferred.Concat(quarantined).ToList();
        }
    }

    /// <summary>Takes in what a member said about the cluster: members, sites, witness, leader.</summary>
    public void Apply(ClusterStatus status)
    {
        lock (gate)
        {
            foreach (var member in status.Members)
            {
                if (!Uri.TryCreate(member.Url, UriKind.Absolute, out var url))
                    continue;
                var endpoint = GetOrAdd(Normalize(url));
                endpoint.Id = member.Id;
                endpoint.Site = member.Site;
                endpoint.IsWitness = member.IsWitness;
                endpoint.IsDiscovered = true;
            }

            // A member that knows no leader (an election is on) clears the hint: writes then go to any voter.
            leader = status.LeaderUrl is { } leaderUrl && Uri.TryCreate(leaderUrl, UriKind.Absolute, out var parsed) ? Normalize(parsed) : null;
            LastDiscovery = time.GetUtcNow();
        }
    }

    /// <summary>Takes in a leader hint (the <c>X-GZ-Leader</c> header). True when it names a member the client did not know (time to refresh).</summary>
    public bool ObserveLeader(string? leaderUrl)
    {
        if (leaderUrl is null || !Uri.TryCreate(leaderUrl, UriKind.Absolute, out var parsed))
            return false;
        var url = Normalize(parsed);
        lock (gate)
        {
            if (SameUrl(url, leader))
                return false;
            leader = url;
            var unknown = Find(url) is null;
            GetOrAdd(url);
            return unknown;
        }
    }

    /// <summary>The member answered (any HTTP answer): it is reachable.</summary>
    public void MarkReachable(Uri url)
    {
        lock (gate)
        {
            if (Find(url) is { } endpoint)
            {
                endpoint.ConsecutiveFailures = 0;
                endpoint.UnhealthyUntil = default;
            }
        }
    }

    /// <summary>The member could not be reached or timed out: skip it for a while (longer after each failure in a row).</summary>
    public void MarkUnreachable(Uri url)
    {
        lock (gate)
        {
            if (Find(url) is not { } endpoint)
                return;
            endpoint.ConsecutiveFailures++;
            var quarantine = TimeSpan.FromTicks(Math.Min(MaxQuarantine.Ticks, FirstQuarantine.Ticks << Math.Min(endpoint.ConsecutiveFailures - 1, 16)));
            endpoint.UnhealthyUntil = time.GetUtcNow() + quarantine;
            if (SameUrl(url, leader))
                leader = null;
        }
    }

    /// <summary>The member said it is the witness (421): never ask it again.</summary>
    public void MarkWitness(Uri url)
    {
        lock (gate)
        {
            if (Find(url) is { } endpoint)
                endpoint.IsWitness = true;
        }
    }

    /// <summary><c>scheme://host:port</c>, the form members are compared in.</summary>
    internal static Uri Normalize(Uri url) => new(url.GetLeftPart(UriPartial.Authority).TrimEnd('/') + "/");

    private bool IsOwnSite(MemberEndpoint member) => site is not null && string.Equals(member.Site, site, StringComparison.OrdinalIgnoreCase);

    private MemberEndpoint GetOrAdd(Uri normalized)
    {
        if (Find(normalized) is { } existing)
            return existing;
        var endpoint = new MemberEndpoint(normalized);
        members.Add(endpoint);
        return endpoint;
    }

    private MemberEndpoint? Find(Uri url)
    {
        var normalized = Normalize(url);
        return members.FirstOrDefault(m => SameUrl(m.Url, normalized));
    }

    private static bool SameUrl(Uri? a, Uri? b) => a is not null && b is not null && Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}
