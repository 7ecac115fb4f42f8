using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Messaging;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>Hooks GlobalZone into the Raft member's start and stop: message handling, metadata, leader-change logs.</summary>
internal sealed partial class ClusterLifetime(GlobalZoneCluster cluster, MemberDirectory directory, LeaderContactClock leaderContact, ILogger<ClusterLifetime> logger) : IClusterMemberLifetime
{
    public void OnStart(IRaftCluster raft, IDictionary<string, string> metadata)
    {
        metadata["id"] = directory.Self.Id;
        metadata["site"] = directory.Self.Site;
        metadata["role"] = directory.Self.Role;
        if (raft is IMessageBus bus)
            bus.AddListener(cluster);
        raft.LeaderChanged += OnLeaderChanged;
        leaderContact.Attach(raft);
        LogStarted(directory.Self.Id, directory.Self.Site, directory.Self.Role, cluster.State.AppliedIndex, cluster.State.Revision);
    }

    public void OnStop(IRaftCluster raft)
    {
        raft.LeaderChanged -= OnLeaderChanged;
        leaderContact.Detach(raft);
        if (raft is IMessageBus bus)
            bus.RemoveListener(cluster);
    }

    private void OnLeaderChanged(ICluster raft, IClusterMember? leader)
    {
        var term = (raft as IRaftCluster)?.AuditTrail.Term ?? 0;
        var member = directory.Find(leader?.EndPoint);
        if (member is null)
            LogNoLeader(term);
        else
            LogLeaderChanged(member.Id, member.Site, term, cluster.State.AppliedIndex);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Member {MemberId} of site {Site} started as {Role} at applied index {Index}, revision {Revision}")]
    private partial void LogStarted(string memberId, string site, string role, long index, long revision);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Leader is now {LeaderId} in site {LeaderSite} (term {Term}, applied index {Index})")]
    private partial void LogLeaderChanged(string leaderId, string leaderSite, long term, long index);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "No leader (term {Term})")]
    private partial void LogNoLeader(long term);
}
