using System.Text.RegularExpressions;

namespace GlobalZone.DeployTests;

/// <summary>The systemd unit and the per-member environment files against publish.sh and the member list.</summary>
public sealed partial class SystemdTests
{
    private static readonly string Unit = DeployFiles.Text("systemd/globalzone@.service");

    private static string Directive(string name)
        => Regex.Match(Unit, $"^{name}=(.*)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value.Trim() : throw new Xunit.Sdk.XunitException($"No {name}= in the unit");

    [Fact]
    public void The_unit_starts_the_published_server_with_the_shared_member_list()
    {
        var exec = Directive("ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // publish.sh puts the server in <out>/server; the tarball unpacks to /opt/globalzone.
        Assert.Equal("/opt/globalzone/server/" + ServerAssemblyName(), exec[0]);
        Assert.Contains("-o \"$out/server\"", DeployFiles.Text("publish.sh"));
        Assert.Equal(["--config", DeployConstants.ClusterConfigPath], exec[1..]);
        Assert.Equal("/etc/globalzone/%i.env", Directive("EnvironmentFile"));
        Assert.Equal("globalzone/%i", Directive("StateDirectory"));
        Assert.Equal("SIGTERM", Directive("KillSignal"));
        Assert.NotEqual("root", Directive("User"));
    }

    [Fact]
    public void Every_document_the_unit_names_is_in_the_published_tarball()
    {
        // Documentation=file:///opt/globalzone/X: publish.sh must put X into the tarball that unpacks to /opt/globalzone.
        var publish = DeployFiles.Text("publish.sh");
        var tarLine = publish.Split('\n').Single(l => l.TrimStart().StartsWith("tar ", StringComparison.Ordinal));
        var documents = Directive("Documentation").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            Assert.StartsWith("file:///opt/globalzone/", document);
            var name = document["file:///opt/globalzone/".Length..];
            Assert.Contains($"\"$out/{name}\"", publish);
            Assert.Contains($" {name}", tarLine);
        }
    }

    [Fact]
    public void There_is_one_environment_file_per_member_naming_it_and_its_state_directory()
    {
        var members = ServerSettings.Flatten(DeployFiles.Json("config/cluster.json"))
            .Where(s => s.Key.EndsWith(":Id", StringComparison.Ordinal)).Select(s => s.Value!).Order().ToList();
        var files = Directory.GetFiles(DeployFiles.Path("systemd/env"), "*.env").Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToList();
        Assert.Equal(members, files);
        foreach (var id in files)
        {
            var env = DeployFiles.EnvironmentFile($"systemd/env/{id}.env");
            Assert.Equal(id, env["GlobalZone__MemberId"]);
            // StateDirectory=globalzone/%i is /var/lib/globalzone/<member>, the only writable path (ProtectSystem=strict).
            Assert.Equal($"/var/lib/globalzone/{id}", env["GlobalZone__DataDirectory"]);
            Assert.Equal("/var/lib/globalzone/%i", Directive("ReadWritePaths"));
            foreach (var key in env.Keys.Where(k => k.StartsWith("GlobalZone", StringComparison.OrdinalIgnoreCase)))
                Assert.True(ServerSettings.IsKnown(ServerSettings.EnvironmentKey(key)), $"{id}.env: {key} is not a setting the server reads");
            Assert.All(env.Keys, k => Assert.Matches("^(GlobalZone__|DOTNET_|ASPNETCORE_)", k));
        }
    }

    internal static string ServerAssemblyName()
    {
        var project = File.ReadAllText(Path.Combine(DeployFiles.RepositoryRoot, "src/GlobalZone.Server/GlobalZone.Server.csproj"));
        return AssemblyName().Match(project).Groups[1].Value;
    }

    [GeneratedRegex("<AssemblyName>([^<]+)</AssemblyName>")]
    private static partial Regex AssemblyName();
}
