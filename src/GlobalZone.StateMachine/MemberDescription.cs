using System.Text;

namespace GlobalZone.StateMachine;

/// <summary>
/// What the group knows about a member added after the group was formed: its id, base URL, site and role.
/// Replicated (and carried in snapshots) so that every member, including ones restarted or caught up from a
/// snapshot later, can name a member that is in no member's configuration file.
/// </summary>
public sealed record MemberDescription(string Id, string Url, string Site, string Role)
{
    public byte[] Encode()
    {
        var text = string.Join('\n', Id, Url, Site, Role);
        return Encoding.UTF8.GetBytes(text);
    }

    public static MemberDescription? TryDecode(ReadOnlySpan<byte> bytes)
    {
        var parts = Encoding.UTF8.GetString(bytes).Split('\n');
        return parts.Length == 4 ? new MemberDescription(parts[0], parts[1], parts[2], parts[3]) : null;
    }
}
