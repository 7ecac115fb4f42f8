using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GlobalZone.DeployTests;

/// <summary>The container image definition and the three-site compose file.</summary>
public sealed class ContainerTests
{
    private static readonly string[] Dockerfile = File.ReadAllLines(DeployFiles.Path("docker/Dockerfile"));

    /// <summary>Instructions of the final stage (after the last FROM), continuation lines joined.</summary>
    private static List<(string Instruction, string Arguments)> FinalStage()
    {
        var joined = new List<string>();
        var current = "";
        foreach (var raw in Dockerfile.Where(l => !l.TrimStart().StartsWith('#')))
        {
            var line = raw.TrimEnd();
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            joined.Add((current + line).Trim());
            current = "";
        }

        var instructions = joined.Where(l => l.Length > 0).Select(l => (Instruction: l.Split(' ')[0].ToUpperInvariant(), Arguments: l[(l.IndexOf(' ') + 1)..].Trim())).ToList();
        return instructions.Skip(instructions.FindLastIndex(i => i.Instruction == "FROM")).ToList();
    }

    private static string[] ExecForm(string arguments) => JsonNode.Parse(arguments)!.AsArray().Select(n => n.AsString()).ToArray();

    [Fact]
    public void The_image_runs_the_server_as_a_non_root_user_with_the_shared_member_list()
    {
        var stage = FinalStage();
        var user = stage.Last(i => i.Instruction == "USER").Arguments;
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
        var entry = ExecForm(stage.Single(i => i.Instruction == "ENTRYPOINT").Arguments);
        Assert.Equal(["dotnet", $"/opt/globalzone/server/{SystemdTests.ServerAssemblyName()}.dll", "--config", DeployConstants.ClusterConfigPath], entry);
        Assert.Equal(DeployConstants.MemberPort.ToString(), stage.Single(i => i.Instruction == "EXPOSE").Arguments);
        // The data folder the server is told to use is the volume, and the user can write it.
        Assert.Contains("GlobalZone__DataDirectory=/var/lib/globalzone", stage.Single(i => i.Instruction == "ENV").Arguments);
        Assert.Contains("[\"/var/lib/globalzone\"]", stage.Single(i => i.Instruction == "VOLUME").Arguments);
        Assert.Contains("chown app:app /var/lib/globalzone", stage.Single(i => i.Instruction == "RUN").Arguments);
        Assert.Equal("app", user);
    }

    [Fact]
    public void The_health_check_asks_the_members_healthz_through_gz_on_the_member_port()
    {
        var check = FinalStage().Single(i => i.Instruction == "HEALTHCHECK").Arguments;
        var command = ExecForm(check[(check.IndexOf("CMD ", StringComparison.Ordinal) + 4)..]);
        Assert.Equal(["dotnet", "/opt/globalzone/gz/gz.dll", "health", "--url", $"http://127.0.0.1:{DeployConstants.MemberPort}"], command);
        // `gz health` without --ready asks /healthz (ServerStartTests runs it against a real server).
        Assert.Contains("\"/healthz\"", File.ReadAllText(Path.Combine(DeployFiles.RepositoryRoot, "src/GlobalZone.Cli/Commands/HealthCommand.cs")));
    }

    [Fact]
    public void The_build_stage_publishes_projects_that_exist()
    {
        var publishes = Regex.Matches(string.Join('\n', Dockerfile), @"dotnet publish (\S+\.csproj)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, publishes.Count);
        Assert.All(publishes, p => Assert.True(File.Exists(Path.Combine(DeployFiles.RepositoryRoot, p)), p));
    }

    [Fact]
    public void Compose_runs_every_member_of_its_list_with_matching_names_ports_and_paths()
    {
        var compose = DeployFiles.Yaml("compose/compose.yaml").Single();
        var members = ServerSettings.BindAndValidate(ServerSettings.Flatten(DeployFiles.Json("compose/cluster.json"))
            .Append(KeyValuePair.Create<string, string?>("GlobalZone:MemberId", "dc1-a"))).Members;
        var services = compose["services"]!.AsObject();
        Assert.Equal(members.Select(m => m.Id).Order(), services.Select(s => s.Key).Order());
        var hostPorts = new HashSet<string>();
        foreach (var member in members)
        {
            var service = services[member.Id]!;
            var url = new Uri(member.Url);
            Assert.Equal(url.Host, service["hostname"].AsString());
            Assert.Equal(member.Id, service["environment"]!["GlobalZone__MemberId"].AsString());
            Assert.Equal(member.Site, service["labels"]!["globalzone.site"].AsString());
            Assert.All(service["environment"]!.AsObject(), e => Assert.True(ServerSettings.IsKnown(ServerSettings.EnvironmentKey(e.Key)), e.Key));

            var port = service["ports"]!.AsArray().Single().AsString().Split(':');
            Assert.Equal("127.0.0.1", port[0]);
            Assert.True(hostPorts.Add(port[1]), $"host port {port[1]} used twice");
            Assert.Equal(url.Port.ToString(), port[2]);

            var dataDirectory = service["environment"]!["GlobalZone__DataDirectory"].AsString();
            Assert.Contains(service["volumes"]!.AsArray(), v => v.AsString() == $"{member.Id}-data:{dataDirectory}");
            Assert.Contains(member.Id + "-data", compose["volumes"]!.AsObject().Select(v => v.Key));
            var config = service["configs"]!.AsArray().Single()!;
            Assert.Equal(DeployConstants.ClusterConfigPath, config["target"].AsString());
            Assert.Equal("./cluster.json", compose["configs"]![config["source"].AsString()]!["file"].AsString());

            var build = service["build"]!;
            Assert.True(File.Exists(Path.GetFullPath(Path.Combine(DeployFiles.Path("compose"), build["context"].AsString(), build["dockerfile"].AsString()))));
        }
    }
}
