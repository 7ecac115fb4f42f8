namespace GlobalZone.Consensus;

/// <summary>Names of GlobalZone's member-to-member messages (sent over DotNext's Raft HTTP endpoint).</summary>
internal static class MessageNames
{
    /// <summary>A member asks the leader for a confirmed read index. Body: empty.</summary>
    public const string ReadIndex = "gz.read-index";

    /// <summary>Any member asks another for its log progress. Body: empty. Reply: a JSON <see cref="MemberProgressReport"/>.</summary>
    public const string Progress = "gz.progress";

    /// <summary>A leader about to hand over asks a voter not to campaign for a while. Body: see <see cref="CampaignHold"/>.</summary>
    public const string HoldCampaign = "gz.hold-campaign";

    /// <summary>A leader that stepped down for a transfer tells a member to stop refusing votes on its account. Body: see <see cref="LeadershipTransfer"/>.</summary>
    public const string ForgetLeader = "gz.forget-leader";

    /// <summary>A leader that stepped down for a transfer tells the target to campaign now (Raft's TimeoutNow). Body: term (8 bytes LE), former leader id.</summary>
    public const string TimeoutNow = "gz.timeout-now";
}

/// <summary>First byte of a reply to a forwarded proposal (<see cref="InternalRoutes.ProposeBatch"/>) or to <see cref="MessageNames.ReadIndex"/>.</summary>
internal enum LeaderReply : byte
{
    /// <summary>Followed by the index (and for a proposal, the encoded result).</summary>
    Ok = 0,

    /// <summary>The receiver is not the leader; nothing was appended, so the sender may retry elsewhere.</summary>
    NotLeader = 1,

    /// <summary>The command was appended but leadership was lost before it was known to commit.</summary>
    OutcomeUnknown = 2,
}
