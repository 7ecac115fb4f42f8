namespace GlobalZone.Server.Hosting;

/// <summary>
/// The routes a member keeps serving when it refuses clients (it stopped applying, or it is stopping): its own status
/// (<c>/v1/cluster</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>) and member-to-member traffic (<c>/internal</c>,
/// DotNext's <c>/cluster-consensus</c>), which the rest of the group still needs from it.
/// </summary>
internal static class MemberOwnRoutes
{
    private static readonly string[] StillServed = ["/v1/cluster", "/healthz", "/readyz", "/metrics", "/internal", "/cluster-consensus"];

    public static bool IsStillServed(PathString path) => Array.Exists(StillServed, p => path.StartsWithSegments(p));
}
