using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace GlobalZone.DeployTests;

/// <summary>TLS in the deploy files: certificates made from a member list, and systemd, compose and Kubernetes pointing at them.</summary>
public sealed class TlsDeployTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gz-deploy-tls-").FullName;

    [Fact]
    public async Task Make_certificates_issues_the_ca_and_a_certificate_per_member_naming_its_id_and_host()
    {
        var script = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        script.ArgumentList.Add(DeployFiles.Path("make-certificates.sh"));
        script.ArgumentList.Add(DeployFiles.Path("config/cluster.json"));
        script.ArgumentList.Add(folder);
        // The test folder's gz, so the script does not build one.
        script.Environment["PATH"] = $"{Shim()}:{Environment.GetEnvironmentVariable("PATH")}";
        using var run = Process.Start(script)!;
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        Assert.True(run.ExitCode == 0, output + errors);

        var cluster = DeployFiles.Json("config/cluster.json")["GlobalZone"]!;
        var name = cluster["ClusterName"].AsString();
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.crt")));
        foreach (var member in cluster["Members"]!.AsArray())
        {
            var id = member!["Id"].AsString();
            var host = new Uri(member["Url"].AsString()).Host;
            using var cert = X509Certificate2.CreateFromPemFile(Path.Combine(folder, id + ".crt"), Path.Combine(folder, id + ".key"));
            Assert.True(cert.HasPrivateKey);
            Assert.Equal(ca.Subject, cert.Issuer);
            var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.Contains(host, names.EnumerateDnsNames());
            Assert.Contains($"gz-member://{name}/{id}", names.Format(false), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Systemd_environment_files_carry_the_tls_settings_for_their_own_member_ready_to_uncomment()
    {
        foreach (var file in Directory.GetFiles(DeployFiles.Path("systemd/env"), "*.env"))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            var commented = File.ReadAllLines(file).Where(l => l.StartsWith("#GlobalZone__Tls__", StringComparison.Ordinal))
                .Select(l => l[1..].Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal($"/etc/globalzone/tls/{id}.crt", commented["GlobalZone__Tls__CertFile"]);
            Assert.Equal($"/etc/globalzone/tls/{id}.key", commented["GlobalZone__Tls__KeyFile"]);
            Assert.Equal("/etc/globalzone/tls/ca.crt", commented["GlobalZone__Tls__CaFile"]);
            Assert.All(commented.Keys, key => Assert.True(ServerSettings.IsKnown(ServerSettings.EnvironmentKey(key)), $"{id}.env: {key}"));
        }
    }

    [Fact]
    public void The_compose_tls_overlay_gives_every_member_its_certificate_an_https_member_list_and_an_https_health_check()
    {
        var plain = DeployFiles.Yaml("compose/compose.yaml").Single()["services"]!.AsObject().Select(p => p.Key).Order().ToList();
        var overlay = DeployFiles.Yaml("compose/compose.tls.yaml").Single();
        Assert.Equal("./cluster.tls.json", overlay["configs"]!["cluster"]!["file"].AsString());
        var services = overlay["services"]!.AsObject();
        Assert.Equal(plain, services.Select(p => p.Key).Order().ToList());
        foreach (var (id, service) in services)
        {
            Assert.Equal($"/etc/globalzone/tls/{id}.crt", service!["environment"]!["GlobalZone__Tls__CertFile"].AsString());
            Assert.Equal($"/etc/globalzone/tls/{id}.key", service["environment"]!["GlobalZone__Tls__KeyFile"].AsString());
            Assert.Contains("./tls:/etc/globalzone/tls:ro", service["volumes"]!.AsArray().Select(v => v.AsString()));
            var health = string.Join(" ", service["healthcheck"]!["test"]!.AsArray().Select(v => v.AsString()));
            Assert.Contains($"--url https://{id}:7100 --cacert /etc/globalzone/tls/ca.crt", health, StringComparison.Ordinal);
        }

        var http = DeployFiles.Json("compose/cluster.json")["GlobalZone"]!["Members"]!.AsArray();
        var https = DeployFiles.Json("compose/cluster.tls.json")["GlobalZone"]!["Members"]!.AsArray();
        Assert.Equal(http.Select(m => m!["Url"].AsString().Replace("http://", "https://", StringComparison.Ordinal)), https.Select(m => m!["Url"].AsString()));
    }

    [Fact]
    public void The_kubernetes_tls_patch_points_the_tls_settings_at_the_pods_own_files_in_a_mounted_secret()
    {
        var patch = DeployFiles.Yaml("kubernetes/tls/statefulset-tls-patch.yaml").Single()["spec"]!["template"]!["spec"]!;
        var container = patch["containers"]!.AsArray().Single()!;
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"].AsString(), e => e!["value"].AsString());
        Assert.Equal("/etc/globalzone-tls/$(GlobalZone__MemberId).crt", env["GlobalZone__Tls__CertFile"]);
        Assert.Equal("/etc/globalzone-tls/$(GlobalZone__MemberId).key", env["GlobalZone__Tls__KeyFile"]);
        Assert.Equal("/etc/globalzone-tls/ca.crt", env["GlobalZone__Tls__CaFile"]);
        Assert.Equal("/etc/globalzone-tls", container["volumeMounts"]!.AsArray().Single()!["mountPath"].AsString());
        Assert.Equal("globalzone-tls", patch["volumes"]!.AsArray().Single()!["secret"]!["secretName"].AsString());
    }

    /// <summary>A <c>gz</c> on PATH that runs the test folder's build.</summary>
    private string Shim()
    {
        var bin = Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName;
        var gz = Path.Combine(bin, "gz");
        File.WriteAllText(gz, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "gz.dll")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(gz, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
