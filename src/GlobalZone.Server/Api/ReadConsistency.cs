using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>?consistency=linearizable</c> (default): a read index confirmed by the leader, then a local read.
/// <c>?consistency=stale</c>: the local state as it is, never waiting; the answer says how old it may be.
/// </summary>
internal static class ReadConsistency
{
    /// <summary>False after writing a 400 for an unknown mode.</summary>
    public static async Task<bool> PrepareAsync(HttpContext context, GlobalZoneCluster cluster)
    {
        var mode = context.Request.Query["consistency"].ToString();
        switch (mode)
        {
            case "" or "linearizable":
                await cluster.EnsureLinearizableAsync(context.RequestAborted);
                break;
            case "stale":
                if (cluster.Directory.Self.IsWitness)
                    throw new WitnessServesNoClientsException();
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
    }
}
