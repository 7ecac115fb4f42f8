using System.CommandLine;
using GlobalZone.ClusterRunner.Tls;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz tls make-ca</c> and <c>gz tls make-member</c>: a cluster CA and member certificates as PEM files, made with
/// .NET alone (no openssl), in the form members check (<c>gz-member://CLUSTER/ID</c> plus the member's host names).
/// </summary>
internal static class TlsCommands
{
    public static Command Create()
    {
        var command = new Command("tls", "Make a cluster CA and member certificates (PEM) for GlobalZone:Tls");
        command.Subcommands.Add(MakeCa());
        command.Subcommands.Add(MakeMember());
        command.Subcommands.Add(MakeCluster());
        return command;
    }

    /// <summary>
    /// Every certificate a deployment needs from its member list (the file every member reads with <c>--config</c>):
    /// the CA unless the folder has one, then one certificate per member naming the host of its URL.
    /// </summary>
    private static Command MakeCluster()
    {
        var config = new Option<string>("--config") { Description = "The cluster's member list (e.g. deploy/config/cluster.json)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for ca.crt, ca.key and ID.crt/ID.key per member", DefaultValueFactory = _ => "tls" };
        var extraHosts = new Option<string?>("--extra-hosts") { Description = "Comma-separated names or addresses added to every member certificate (e.g. a load balancer)" };
        var command = new Command("make-cluster", "Make the CA (if OUT has none) and a certificate for every member of a cluster.json") { config, output, extraHosts };
        command.SetAction(result => CliOptions.RunAsync(() =>
        {
            var (cluster, members) = ReadMemberList(result.GetValue(config)!);
            var folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var caCert = Path.Combine(folder, "ca.crt");
            var caKey = Path.Combine(folder, "ca.key");
            if (File.Exists(caCert) != File.Exists(caKey))
                throw new Http.GzException($"{folder} holds only one of ca.crt and ca.key; restore the other or start from an empty folder.");
            if (!File.Exists(caCert))
            {
                CertificateMaker.MakeCa(cluster, caCert, caKey);
                Console.WriteLine($"CA: {Path.GetFullPath(caCert)}  key: {Path.GetFullPath(caKey)} (mode 600; keep it offline)");
            }

            var extra = (result.GetValue(extraHosts) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var (id, host) in members)
            {
                var cert = Path.Combine(folder, id + ".crt");
                CertificateMaker.MakeMember(caCert, caKey, cluster, id, [host, .. extra], cert, Path.Combine(folder, id + ".key"));
                Console.WriteLine($"Member {id} ({host}): {Path.GetFullPath(cert)}");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static (string Cluster, List<(string Id, string Host)> Members) ReadMemberList(string file)
    {
        if (!File.Exists(file))
            throw new Http.GzException($"{file} does not exist.");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip });
        if (!json.RootElement.TryGetProperty("GlobalZone", out var section)
            || !section.TryGetProperty("ClusterName", out var name) || name.GetString() is not { Length: > 0 } cluster
            || !section.TryGetProperty("Members", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array)
            throw new Http.GzException($"{file} has no GlobalZone.ClusterName and GlobalZone.Members (the member list every member reads).");
        var members = new List<(string, string)>();
        foreach (var member in list.EnumerateArray())
        {
            var id = member.TryGetProperty("Id", out var i) ? i.GetString() : null;
            var url = member.TryGetProperty("Url", out var u) ? u.GetString() : null;
            if (id is not { Length: > 0 } || !Uri.TryCreate(url, UriKind.Absolute, out var parsed))
                throw new Http.GzException($"{file}: every member needs an Id and an absolute Url.");
            members.Add((id, parsed.Host));
        }

        return (cluster, members);
    }

    private static Command MakeCa()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster name (GlobalZone:ClusterName)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for ca.crt and ca.key", DefaultValueFactory = _ => "tls" };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => (int)CertificateMaker.DefaultCaValidity.TotalDays };
        var command = new Command("make-ca", "Make a cluster CA: OUT/ca.crt (give to every member and client) and OUT/ca.key (keep offline)") { cluster, output, days };
        command.SetAction(result => CliOptions.RunAsync(() =>
        {
            var folder = result.GetValue(output)!;
            var cert = Path.Combine(folder, "ca.crt");
            var key = Path.Combine(folder, "ca.key");
            if (File.Exists(cert) || File.Exists(key))
                throw new Http.GzException($"{cert} or {key} already exists; not overwritten.");
            CertificateMaker.MakeCa(result.GetValue(cluster)!, cert, key, TimeSpan.FromDays(result.GetValue(days)));
            Console.WriteLine($"CA: {Path.GetFullPath(cert)}  key: {Path.GetFullPath(key)} (mode 600)");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command MakeMember()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster name (GlobalZone:ClusterName)", Required = true };
        var id = new Option<string>("--id") { Description = "Member id (GlobalZone:MemberId)", Required = true };
        var hosts = new Option<string>("--hosts") { Description = "Comma-separated host names and IP addresses in the member's URL", Required = true };
        var ca = new Option<string>("--ca") { Description = "Folder holding ca.crt and ca.key", DefaultValueFactory = _ => "tls" };
        var output = new Option<string?>("--out") { Description = "Folder for ID.crt and ID.key (default: the CA folder)" };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => (int)CertificateMaker.DefaultMemberValidity.TotalDays };
        var command = new Command("make-member", "Make a member certificate (TLS server and client) signed by the cluster CA") { cluster, id, hosts, ca, output, days };
        command.SetAction(result => CliOptions.RunAsync(() =>
        {
            var caFolder = result.GetValue(ca)!;
            var folder = result.GetValue(output) ?? caFolder;
            var member = result.GetValue(id)!;
            var names = result.GetValue(hosts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0)
                throw new Http.GzException("--hosts needs at least one host name or IP address.");
            var caCert = Path.Combine(caFolder, "ca.crt");
            var caKey = Path.Combine(caFolder, "ca.key");
            if (!File.Exists(caCert) || !File.Exists(caKey))
                throw new Http.GzException($"{caCert} and {caKey} are needed (gz tls make-ca).");
            var cert = Path.Combine(folder, member + ".crt");
            var key = Path.Combine(folder, member + ".key");
            CertificateMaker.MakeMember(caCert, caKey, result.GetValue(cluster)!, member, names, cert, key, TimeSpan.FromDays(result.GetValue(days)));
            Console.WriteLine($"Member {member}: {Path.GetFullPath(cert)}  key: {Path.GetFullPath(key)} (mode 600)");
            return Task.FromResult(0);
        }));
        return command;
    }
}
