using System.Collections.Immutable;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Member descriptions: the replicated "who is who" for members added after the group formed. Which members
// form the Raft configuration is DotNext's business (configuration entries in the log); this only names them.
public sealed partial class KeyValueStateMachine
{
    private volatile ImmutableDictionary<string, MemberDescription> memberDescriptions = ImmutableDictionary.Create<string, MemberDescription>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Replicated member descriptions by URL authority (scheme://host:port). Lock-free to read.</summary>
    public ImmutableDictionary<string, MemberDescription> MemberDescriptions => memberDescriptions;

    /// <summary>Raised on the applier when a description is recorded or replaced.</summary>
    public event Action? MembersDescribed;

    private CommandResult ApplyMemberDescribe(MemberDescribeCommand describe)
    {
        var member = describe.Member;
        if (member.Id.Length == 0 || member.Site.Length == 0 || !Uri.TryCreate(member.Url, UriKind.Absolute, out var url)
            || string.Join("", member.Id, member.Url, member.Site, member.Role).Contains('\n'))
            return CommandResult.Rejected(revision, "A member description needs an id, an absolute URL and a site, without line breaks.");
        var authority = url.GetLeftPart(UriPartial.Authority);
        member = member with { Url = authority };
        writes.Upsert(StorageKeys.ForMember(authority), member.Encode());
        IndexMember(member.Encode());
        Notify(() => MembersDescribed?.Invoke());
        return new CommandResult(CommandStatus.Applied, revision, true, []);
    }

    private void IndexMember(byte[] value)
    {
        if (MemberDescription.TryDecode(value) is { } member)
            memberDescriptions = memberDescriptions.SetItem(member.Url, member);
    }
}
