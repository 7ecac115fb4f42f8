using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using GlobalZone.StateMachine;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.Consensus;

/// <summary>
/// Maps DotNext's endpoints to GlobalZone's member descriptions (id, site, role), for the members of the current
/// Raft configuration. Which members there are is DotNext's configuration (it changes with membership changes);
/// who they are comes from the replicated descriptions of members added later, else from this member's
/// configuration file.
/// </summary>
public sealed class MemberDirectory
{
    private readonly Dictionary<string, MemberOptions> configured = new(StringComparer.OrdinalIgnoreCase);
    private readonly KeyValueStateMachine state;
    private readonly IServiceProvider services;
    private IRaftCluster? raft;

    public MemberDirectory(NodeOptions options, KeyValueStateMachine state, IServiceProvider services)
    {
        this.state = state;
        this.services = services;
        Self = options.Self;
        Configured = options.Members;
        foreach (var member in options.Members)
            configured[Normalize(member.Url)] = member;
    }

    public MemberOptions Self { get; }

    /// <summary>The member list of this member's configuration file (the group as first formed).</summary>
    public IReadOnlyList<MemberOptions> Configured { get; }

    /// <summary>
    /// The members of the current Raft configuration, described; the configured list until DotNext has loaded the
    /// membership at start (and for a joining member until it is added).
    /// </summary>
    public IReadOnlyList<MemberOptions> Members
    {
        get
        {
            raft ??= services.GetService<IRaftCluster>();
            if (raft is null || raft.Members.Count == 0)
                return Configured;
            var members = new List<MemberOptions>();
            foreach (var member in raft.Members)
            {
                if (member.EndPoint is UriEndPoint uri)
                    members.Add(Describe(Normalize(uri.Uri.ToString())));
            }

            return members;
        }
    }

    public MemberOptions? Find(EndPoint? endPoint) => endPoint switch
    {
        UriEndPoint uri => Describe(Normalize(uri.Uri.ToString())),
        _ => null,
    };

    /// <summary>A member of the current configuration by id, or null.</summary>
    public MemberOptions? FindById(string id) => Members.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));

    private MemberOptions Describe(string authority)
    {
        if (state.MemberDescriptions.TryGetValue(authority, out var described))
            return new MemberOptions { Id = described.Id, Url = described.Url, Site = described.Site, Role = described.Role };
        // A member nobody described: named by its address until a description arrives.
        return configured.GetValueOrDefault(authority) ?? new MemberOptions { Id = authority, Url = authority };
    }

    public static string Normalize(string url) => new Uri(url, UriKind.Absolute).GetLeftPart(UriPartial.Authority);
}
