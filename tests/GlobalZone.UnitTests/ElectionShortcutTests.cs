using System.Runtime.CompilerServices;
using DotNext.Net.Cluster.Consensus.Raft;
using GlobalZone.Consensus;

namespace GlobalZone.UnitTests;

/// <summary>
/// Pins what leadership transfer and the stickiness window reach inside DotNext's RaftCluster (its private
/// <c>lastUpdated</c> and <c>electionTimeout</c>): a DotNext upgrade that renames them fails here, instead of
/// quietly falling back to resign-based transfers and slower elections.
/// </summary>
public sealed class ElectionShortcutTests
{
    [Theory]
    [InlineData("DotNext.Net.Cluster.Consensus.Raft.RaftCluster, DotNext.Net.Cluster")]
    [InlineData("DotNext.Net.Cluster.Consensus.Raft.Http.RaftHttpCluster, DotNext.AspNetCore.Cluster")] // what GlobalZone runs (internal type)
    public void TheDotNextFieldsBehindTimeoutNowExist(string typeName)
    {
        // An instance without running the constructor: only the field layout matters here.
        var raft = (IRaftCluster)RuntimeHelpers.GetUninitializedObject(Type.GetType(typeName, throwOnError: true)!);
        Assert.True(ElectionShortcut.IsSupported(raft));
        Assert.Null(ElectionShortcut.SinceLeaderContact(raft)); // never heard from a leader
        Assert.False(ElectionShortcut.ForgetLeaderSilentFor(raft, TimeSpan.Zero)); // nothing to forget
        Assert.True(ElectionShortcut.ForgetLeader(raft));
    }
}
