using System.CommandLine;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz local</c>: runs a three-site cluster on 127.0.0.1 in the foreground (default 2+2+1: two voters in dc1,
/// two in dc2, the witness in dc3), data in a folder that survives restarts. Ctrl-C stops every member cleanly;
/// running it again resumes the same data on the same ports. <c>--wan</c> adds simulated round trips between the
/// sites to member-to-member traffic (see <see cref="SimulatedWan"/>), to see geography's effect on elections and commits;
/// <c>--tls</c> makes a CA and member certificates, <c>--auth</c> turns authentication on with user root (see <see cref="LocalAuth"/>).
/// </summary>
internal static class LocalClusterCommand
{
    public static Command Create()
    {
        var layout = new Option<string>("--layout") { Description = "Voters per site and the witness: DC1+DC2+WITNESS", DefaultValueFactory = _ => "2+2+1" };
        var data = new Option<string>("--data") { Description = "Folder for every member's data and log", DefaultValueFactory = _ => Path.Combine("data", "local") };
        var basePort = new Option<int>("--base-port") { Description = "Port of the first member; the others follow", DefaultValueFactory = _ => 7101 };
        var logFormat = new Option<string>("--log-format") { Description = "Member log format: text or json", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var wan = WanOption.Create("Simulate a WAN between the sites: round-trip ms per site pair added to member-to-member traffic. "
            + $"'--wan' alone or '--wan global' = {SimulatedWan.GlobalPreset}; or give pairs, e.g. --wan dc1-dc2=2,dc1-dc3=80,dc2-dc3=80");
        var tls = new Option<bool>("--tls")
        {
            Description = "https with mutual TLS between members: a CA and member certificates are made in DATA/tls (kept across runs)",
        };
        var auth = new Option<bool>("--auth")
        {
            Description = "Turn authentication on: user root (role root) with a random password kept in DATA/auth/root-password",
        };
        var command = new Command("local", "Run a local three-site GlobalZone cluster until Ctrl-C") { layout, data, basePort, logFormat, wan, tls, auth };
        command.SetAction((result, token) => RunAsync(
            result.GetValue(layout)!, result.GetValue(data)!, result.GetValue(basePort), result.GetValue(logFormat) == "json",
            WanOption.Spec(result, wan), result.GetValue(tls), result.GetValue(auth), token));
        return command;
    }

    private static async Task<int> RunAsync(string layoutText, string dataDirectory, int basePort, bool jsonLogs, string? wanSpec, bool tls, bool auth, CancellationToken token)
    {
        var layout = ClusterLayout.Parse(layoutText, basePort);
        var root = Path.GetFullPath(dataDirectory);
        // The membership kept in the data folders names the members by URL, http:// or https://: a folder made one way
        // cannot be run the other way.
        var madeWithTls = Directory.Exists(Path.Combine(root, "tls"));
        var hasData = layout.Members.Any(m => Directory.Exists(Path.Combine(root, m.Id, "data")));
        if (hasData && madeWithTls != tls)
        {
            Console.Error.WriteLine($"{root} holds a cluster made {(madeWithTls ? "with" : "without")} --tls; run it the same way or use another --data folder.");
            return 2;
        }

        var settings = new ClusterSettings { RootDirectory = root, LogFormat = jsonLogs ? "json" : null, Tls = tls };
        if (wanSpec is not null)
        {
            var sites = layout.Members.Select(m => m.Site).Distinct().ToList();
            var unknown = SimulatedWan.Parse(wanSpec).Keys.Where(pair => !sites.Any(a => sites.Any(b => string.Equals(pair, $"{a}-{b}", StringComparison.OrdinalIgnoreCase)))).ToList();
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"--wan names sites this layout does not have: {string.Join(", ", unknown)} (sites: {string.Join(", ", sites)}).");
                return 2;
            }

            var (lower, upper) = SimulatedWan.ElectionTimeouts(wanSpec);
            settings = settings.WithWan(wanSpec) with { LowerElectionTimeoutMs = lower, UpperElectionTimeoutMs = upper };
        }
        var cluster = LocalCluster.Create(layout, settings);
        await using (cluster)
        {
            Console.WriteLine($"GlobalZone local cluster ({layoutText}), data in {root}");
            if (wanSpec is not null)
                Console.WriteLine($"Simulated WAN (round trips, member-to-member traffic only): {SimulatedWan.Describe(wanSpec)}; "
                    + $"elections {settings.LowerElectionTimeoutMs}–{settings.UpperElectionTimeoutMs} ms to match");
            cluster.StartAll();
            foreach (var member in cluster.Members)
                Console.WriteLine($"  {member.Id,-7} site {member.Spec.Site}  {member.Spec.Role,-8} {member.Url}   log: {member.LogPath}");

            try
            {
                var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), token: token);
                var ca = cluster.Certificates is { } certificates ? $" --cacert {certificates.CaCertFile}" : "";
                var endpoints = $"--endpoints {string.Join(',', cluster.Voters.Select(v => v.Url))}";
                if (auth)
                {
                    await LocalAuth.EnableAsync(cluster, token);
                    var passwordFile = LocalAuth.PasswordFile(root);
                    Console.WriteLine($"Leader: {leader.Id} ({leader.Url}). Authentication is on: user {LocalAuth.RootUser}, password in {passwordFile}. Try:");
                    Console.WriteLine($"  export GZ_USER={LocalAuth.RootUser} GZ_PASSWORD=$(cat {passwordFile})");
                    Console.WriteLine($"  gz{ca} {endpoints} kv put hello '\"world\"'");
                    Console.WriteLine($"  TOKEN=$(curl -s{ca} {cluster.Voters.First().Url}/v1/auth/token -d \"{{\\\"name\\\":\\\"root\\\",\\\"password\\\":\\\"$GZ_PASSWORD\\\"}}\" | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')");
                    Console.WriteLine($"  curl{ca} -H \"Authorization: Bearer $TOKEN\" {cluster.Voters.First().Url}/v1/kv/hello");
                }
                else
                {
                    Console.WriteLine($"Leader: {leader.Id} ({leader.Url}). Try: curl{ca} -XPUT {cluster.Voters.First().Url}/v1/kv/hello -d '\"world\"'");
                    if (ca.Length > 0)
                        Console.WriteLine($"      or: gz{ca} {endpoints} status");
                }
            }
            catch (TimeoutException e)
            {
                Console.Error.WriteLine($"No leader yet: {e.Message} (members keep trying; see their logs)");
            }

            Console.WriteLine("Press Ctrl-C to stop every member.");
            var reported = new HashSet<string>();
            try
            {
                while (!token.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                    foreach (var member in cluster.Members.Where(m => !m.IsRunning && reported.Add(m.Id)))
                        Console.Error.WriteLine($"Member {member.Id} exited; see {member.LogPath}");
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C
            }

            Console.WriteLine("Stopping members...");
            await cluster.StopAllAsync(TimeSpan.FromSeconds(15));
            Console.WriteLine("Stopped. Run the same command again to resume with the same data.");
        }

        return 0;
    }
}
