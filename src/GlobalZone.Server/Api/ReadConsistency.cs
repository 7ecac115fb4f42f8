using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>?consistency=linearizable</c> (default): a read index confirmed by the leader, then a local read.
/// <c>?consistency=stale</c>: the local state as it is (waiting only for writes this member has already acknowledged,
/// so a client reads its own writes on the member it wrote through); the answer says how old it may be, and with
/// <c>maxStaleness=5s</c> the member refuses (503) when its data may be older than that. Data age is not the time since
/// the leader was last heard: it counts from the latest leader contact whose commit index this member has applied, so
/// a member whose apply lags (checkpoint, replay, stuck apply) refuses too. When the lag is only apply and a recent
/// contact's index can be applied before the bound runs out, the read waits for it instead of refusing.
/// </summary>
internal static class ReadConsistency
{
    /// <summary>False after writing a 4xx/503 problem (unknown mode, bad maxStaleness, too stale).</summary>
    public static async Task<bool> PrepareAsync(HttpContext context, GlobalZoneCluster cluster)
    {
        var query = context.Request.Query;
        var mode = query["consistency"].ToString();
        TimeSpan? maxStaleness = null;
        if (query.TryGetValue("maxStaleness", out var maxText))
        {
            if (mode != "stale")
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, "maxStaleness applies only to consistency=stale.");
                return false;
            }

            if (!Durations.TryParse(maxText, out var parsed) || parsed <= TimeSpan.Zero)
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, "maxStaleness must be a positive duration such as 500ms, 5s or 1m.");
                return false;
            }

            maxStaleness = parsed;
        }

        switch (mode)
        {
            case "" or "linearizable":
                await cluster.EnsureLinearizableAsync(context.RequestAborted);
                break;
            case "stale":
                if (cluster.Directory.Self.IsWitness)
                    throw new WitnessServesNoClientsException();
                // Stale, but never older than what this member has itself acknowledged to a client.
                await cluster.WaitForAcknowledgedWritesAsync(context.RequestAborted);
                if (maxStaleness is { } limit)
                {
                    var clock = context.RequestServices.GetRequiredService<LeaderContactClock>();
                    if (!await clock.WaitFreshAsync(limit, context.RequestAborted))
                    {
                        var age = clock.DataAge;
                        var contact = clock.SinceLastContact;
                        StampHeaders(context, cluster);
                        context.Response.Headers.RetryAfter = "1";
                        await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.TooStale, "This member may be too far behind.",
                            age is null
                                ? $"This member has not yet applied what a leader told it; it cannot promise data within {Durations.Describe(limit)}."
                                : $"This member's data may be {Durations.Describe(age.Value)} old, more than maxStaleness {Durations.Describe(limit)}"
                                  + (contact is { } c && c < age ? $" (it heard from the leader {Durations.Describe(c)} ago, but has not yet applied what the leader had committed then)." : "."),
                            cluster.Leader?.Url, cluster.State.Revision);
                        return false;
                    }
                }

                break;
            default:
                await Problems.BadRequest(context, ProblemTypes.BadRequest, $"Unknown consistency '{mode}'; use 'linearizable' or 'stale'.");
                return false;
        }

        StampHeaders(context, cluster);
        return true;
    }

    public static void StampHeaders(HttpContext context, GlobalZoneCluster cluster)
    {
        var headers = context.Response.Headers;
        headers[HeaderNames.Revision] = cluster.State.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers[HeaderNames.AppliedIndex] = cluster.State.AppliedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers[HeaderNames.Member] = cluster.Directory.Self.Id;
        var clock = context.RequestServices.GetService<LeaderContactClock>();
        if (!cluster.IsLeader && clock?.SinceLastContact is { } age)
            headers[HeaderNames.LeaderContactAge] = ((long)age.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (clock?.DataAge is { } dataAge)
            headers[HeaderNames.DataAge] = ((long)dataAge.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (cluster.Leader is { } leader)
            headers[HeaderNames.Leader] = leader.Url;
    }
}
