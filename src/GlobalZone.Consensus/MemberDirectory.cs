using System.Net;
using Microsoft.AspNetCore.Connections;

namespace GlobalZone.Consensus;

/// <summary>Maps DotNext's endpoints to GlobalZone's member descriptions (id, site, role).</summary>
public sealed class MemberDirectory
{
    private readonly Dictionary<string, MemberOptions> byUrl = new(StringComparer.OrdinalIgnoreCase);

    public MemberDirectory(NodeOptions options)
    {
        Self = options.Self;
        Members = options.Members;
        foreach (var member in options.Members)
            byUrl[Normalize(member.Url)] = member;
    }

    public MemberOptions Self { get; }

    public IReadOnlyList<MemberOptions> Members { get; }

    public MemberOptions? Find(EndPoint? endPoint) => endPoint switch
    {
        UriEndPoint uri => byUrl.GetValueOrDefault(Normalize(uri.Uri.ToString())),
        _ => null,
    };

    public static string Normalize(string url) => new Uri(url, UriKind.Absolute).GetLeftPart(UriPartial.Authority);
}
