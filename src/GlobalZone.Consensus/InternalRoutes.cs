namespace GlobalZone.Consensus;

/// <summary>Member-to-member HTTP routes that are not DotNext's (clients have no use for them).</summary>
public static class InternalRoutes
{
    /// <summary>A follower forwards an encoded command to the leader: body = command, reply = leader reply bytes.</summary>
    public const string Propose = "/internal/v1/propose";

    /// <summary>Several forwarded commands at once: body and reply in <see cref="ForwardedBatch"/> form.</summary>
    public const string ProposeBatch = "/internal/v1/propose-batch";
}
