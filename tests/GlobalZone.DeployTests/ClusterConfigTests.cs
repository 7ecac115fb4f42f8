using System.Text.Json.Nodes;
using GlobalZone.Consensus;

namespace GlobalZone.DeployTests;

/// <summary>The member lists (systemd, compose, Kubernetes): real settings, a valid three-site group for every member.</summary>
public sealed class ClusterConfigTests
{
    public static TheoryData<string> MemberLists => new() { "config/cluster.json", "compose/cluster.json", "kubernetes/configmap.yaml" };

    internal static JsonNode Load(string file)
        => file.EndsWith(".yaml", StringComparison.Ordinal)
            ? JsonNode.Parse(DeployFiles.Yaml(file).Single()["data"]!["cluster.json"].AsString())!
            : DeployFiles.Json(file);

    [Theory]
    [MemberData(nameof(MemberLists))]
    public void Every_key_is_a_setting_the_server_reads(string file)
    {
        var unknown = ServerSettings.Flatten(Load(file)).Select(s => s.Key).Where(k => !ServerSettings.IsKnown(k)).ToList();
        Assert.Empty(unknown);
    }

    [Theory]
    [MemberData(nameof(MemberLists))]
    public void The_list_is_two_voters_in_dc1_two_in_dc2_and_the_witness_in_dc3_on_one_port(string file)
    {
        var settings = ServerSettings.Flatten(Load(file));
        var firstId = settings.First(s => s.Key == "GlobalZone:Members:0:Id").Value;
        var members = ServerSettings.BindAndValidate(settings.Append(KeyValuePair.Create<string, string?>("GlobalZone:MemberId", firstId))).Members;
        Assert.Equal(5, members.Count);
        Assert.Equal(2, members.Count(m => m.Site == "dc1" && m.Role == MemberRoles.Voter));
        Assert.Equal(2, members.Count(m => m.Site == "dc2" && m.Role == MemberRoles.Voter));
        Assert.Single(members, m => m.Site == "dc3" && m.IsWitness);
        Assert.All(members, m => Assert.Equal(DeployConstants.MemberPort, new Uri(m.Url).Port));
    }

    [Theory]
    [MemberData(nameof(MemberLists))]
    public void Each_member_can_start_with_it_given_only_its_id(string file)
    {
        var settings = ServerSettings.Flatten(Load(file));
        Assert.DoesNotContain(settings, s => s.Key is "GlobalZone:MemberId" or "GlobalZone:DataDirectory");
        foreach (var id in settings.Where(s => s.Key.EndsWith(":Id", StringComparison.Ordinal)).Select(s => s.Value!))
        {
            var options = ServerSettings.BindAndValidate(settings.Append(KeyValuePair.Create<string, string?>("GlobalZone:MemberId", id)));
            Assert.Equal(id, options.Self.Id);
            Assert.Equal("dc1", options.PreferredLeaderSite);
        }
    }
}

/// <summary>Facts the deploy files share.</summary>
internal static class DeployConstants
{
    /// <summary>The port every member listens on in deploy/ (inside its host, container or pod).</summary>
    public const int MemberPort = 7100;

    /// <summary>Where every layout mounts the member list; the server is started with <c>--config</c> pointing here.</summary>
    public const string ClusterConfigPath = "/etc/globalzone/cluster.json";
}
