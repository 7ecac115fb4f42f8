namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// Records a member's description before the leader adds it to the Raft configuration, so that every member can
/// name it (id, site, role) as soon as it starts replicating to it. Fields must not contain line breaks.
/// </summary>
public sealed record MemberDescribeCommand(MemberDescription Member) : Command
{
    public override CommandKind Kind => CommandKind.MemberDescribe;
}
