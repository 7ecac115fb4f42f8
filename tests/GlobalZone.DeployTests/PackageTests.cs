using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GlobalZone.Testing;
using Xunit.Abstractions;

namespace GlobalZone.DeployTests;

/// <summary>
/// What a user of the packages does, with the packages deploy/pack.sh makes: gz installed from the folder as a local
/// .NET tool answers <c>--version</c> and <c>status</c> against a running cluster, and a new console app that adds
/// GlobalZone.Client from the folder (net8.0 and net10.0) takes a lock on that cluster and prints its fencing token.
/// Restores use the folder plus the machine's configured source, through a package cache of the test's own (so a
/// package of the same version from an earlier run is never reused), falling back to the machine's cache for the
/// packages the client depends on.
/// </summary>
public sealed partial class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("gz-packages-").FullName;

    [Fact]
    public async Task The_packages_install_gz_as_a_tool_and_give_a_console_app_a_working_lock()
    {
        var version = VersionPrefix();
        var packages = Path.Combine(root, "packages");
        // --incremental: this checkout's Release build (the tests' own) is reused instead of a from-scratch one.
        await RunAsync(DeployFiles.RepositoryRoot, TimeSpan.FromMinutes(8), "bash", "deploy/pack.sh", "--incremental", packages);
        CheckPackages(packages, version);
        WriteNuGetConfig(root, packages);

        // gz as a local tool.
        var tool = Directory.CreateDirectory(Path.Combine(root, "tool")).FullName;
        await RunAsync(tool, TimeSpan.FromMinutes(1), "dotnet", "new", "tool-manifest");
        ForgetEarlierToolRestores();
        await RunAsync(tool, TimeSpan.FromMinutes(2), "dotnet", "tool", "install", "--add-source", packages, "GlobalZone.Cli", "--version", version);
        var shown = await RunAsync(tool, TimeSpan.FromMinutes(1), "dotnet", "gz", "--version");
        Assert.StartsWith(version, shown.Trim(), StringComparison.Ordinal);

        // A console app that adds the client from the folder and takes a lock.
        var app = Path.Combine(root, "app");
        await RunAsync(root, TimeSpan.FromMinutes(1), "dotnet", "new", "console", "-o", app, "-n", "LockApp", "--framework", "net10.0");
        await RunAsync(app, TimeSpan.FromMinutes(2), "dotnet", "add", "package", "GlobalZone.Client", "--version", version);
        var project = Path.Combine(app, "LockApp.csproj");
        var csproj = await File.ReadAllTextAsync(project);
        // Both frameworks the package targets; no apphost, so net8.0 needs nothing the machine lacks.
        csproj = csproj.Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFrameworks>net8.0;net10.0</TargetFrameworks><UseAppHost>false</UseAppHost>", StringComparison.Ordinal);
        await File.WriteAllTextAsync(project, csproj);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), LockProgram);
        await RunAsync(app, TimeSpan.FromMinutes(3), "dotnet", "build", "-c", "Release");

        // Both against a running cluster, started only now: the builds above would slow its start on a small machine.
        await using var cluster = await TestCluster.StartAsync("packages", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(",", cluster.Members.Select(m => m.Url));
        var gzEnvironment = new Dictionary<string, string>(SuiteSecurity.ToolEnvironment(cluster.Members[0].Url)) { ["GZ_ENDPOINTS"] = endpoints };
        var status = await RunAsync(tool, TimeSpan.FromMinutes(1), gzEnvironment, "dotnet", "gz", "status");
        Assert.Contains(leader.Id, status);

        var credentials = SuiteSecurity.For(cluster.Members[0].Url);
        var appEnvironment = new Dictionary<string, string>
        {
            ["GZ_ENDPOINTS"] = endpoints,
            ["GZ_CACERT"] = credentials?.CaCertFile ?? "",
            ["GZ_TOKEN"] = credentials?.Token ?? "",
        };
        var printed = await RunAsync(app, TimeSpan.FromMinutes(1), appEnvironment, "dotnet", "run", "--no-build", "-c", "Release", "-f", "net10.0");
        var token = long.Parse(FencingToken().Match(printed).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(token > 0, printed);
        // The net8.0 build is a real one too (the runtime to run it may not be on this machine).
        Assert.True(File.Exists(Path.Combine(app, "bin", "Release", "net8.0", "GlobalZone.Client.dll")));
    }

    private const string LockProgram = """
        using GlobalZone.Client;

        static string? env(string name) => Environment.GetEnvironmentVariable(name);
        await using var client = new GlobalZoneClient(new GlobalZoneClientOptions
        {
            Endpoints = [.. env("GZ_ENDPOINTS")!.Split(',')],
            CaCertificateFile = string.IsNullOrEmpty(env("GZ_CACERT")) ? null : env("GZ_CACERT"),
            Token = string.IsNullOrEmpty(env("GZ_TOKEN")) ? null : env("GZ_TOKEN"),
        });
        await using var handle = await client.Locks.AcquireAsync("packages/console-app", TimeSpan.FromSeconds(30));
        Console.WriteLine($"fencing token {handle.FencingToken}");
        """;

    [GeneratedRegex(@"fencing token (\d+)")]
    private static partial Regex FencingToken();

    /// <summary>The one version every package carries: Directory.Build.props' VersionPrefix.</summary>
    private static string VersionPrefix()
        => XDocument.Load(Path.Combine(DeployFiles.RepositoryRoot, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;

    private void CheckPackages(string folder, string version)
    {
        foreach (var id in new[] { "GlobalZone.Contracts", "GlobalZone.Client", "GlobalZone.Cli" })
        {
            Assert.True(File.Exists(Path.Combine(folder, $"{id}.{version}.snupkg")), $"{id}: no symbols package");
            using var package = ZipFile.OpenRead(Path.Combine(folder, $"{id}.{version}.nupkg"));
            var entries = package.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("README.md", entries);
            using var nuspecStream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            var nuspec = XDocument.Load(nuspecStream);
            string? Meta(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.Equal(version, Meta("version"));
            Assert.Equal("MIT", Meta("license"));
            Assert.Equal("README.md", Meta("readme"));
            Assert.False(string.IsNullOrWhiteSpace(Meta("description")));
            Assert.NotNull(nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == "repository")?.Attribute("url"));
            output.WriteLine($"{id}: {entries.Count} files");
            if (id == "GlobalZone.Cli")
            {
                Assert.Contains("tools/net10.0/any/gz.dll", entries);
                // gz local starts members: the server travels with the tool.
                Assert.Contains("tools/net10.0/any/globalzone-server.dll", entries);
            }
            else
            {
                Assert.Contains($"lib/net8.0/{id}.dll", entries);
                Assert.Contains($"lib/net10.0/{id}.dll", entries);
                // Source Link: the symbols' PDB maps its sources to the repository (raw file URLs at the built commit).
                using var symbols = ZipFile.OpenRead(Path.Combine(folder, $"{id}.{version}.snupkg"));
                using var pdb = new MemoryStream();
                using (var entry = symbols.GetEntry($"lib/net10.0/{id}.pdb")!.Open())
                    entry.CopyTo(pdb);
                Assert.Contains("https://raw.githubusercontent.com/", System.Text.Encoding.UTF8.GetString(pdb.ToArray()));
            }
        }
    }

    /// <summary>
    /// dotnet remembers where it restored a local tool (~/.dotnet/toolResolverCache/1/globalzone.cli) and keeps the
    /// first entry for an id and version: an earlier run's entry would point into that run's deleted package cache.
    /// </summary>
    private static void ForgetEarlierToolRestores()
    {
        var home = Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cache = Path.Combine(home, ".dotnet", "toolResolverCache");
        if (!Directory.Exists(cache))
            return;
        foreach (var entry in Directory.GetFiles(cache, "globalzone.cli", SearchOption.AllDirectories))
            File.Delete(entry);
    }

    private void WriteNuGetConfig(string directory, string packages)
    {
        // The folder is added to the machine's own sources (nothing is cleared); the machine's package cache is a
        // read-only fallback, so the client's dependencies need no download.
        var machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                           ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="globalzone-local" value="{packages}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machineCache}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    private Task<string> RunAsync(string directory, TimeSpan timeout, string file, params string[] args)
        => RunAsync(directory, timeout, new Dictionary<string, string>(), file, args);

    private async Task<string> RunAsync(string directory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // The test host's MSBuild variables would point child builds at its own MSBuild; remove them.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        // A package cache of the test's own; no build servers or MSBuild nodes left running after the test.
        info.Environment["NUGET_PACKAGES"] = Path.Combine(root, "nuget-cache");
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment)
            info.Environment[name] = value;

        var started = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }

        var text = await stdout;
        output.WriteLine($"{file} {string.Join(' ', args)}: exit {process.ExitCode} after {started.Elapsed.TotalSeconds:0.0} s");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed:\n{text}\n{await stderr}");
        return text;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; the temporary folder is left behind
        }
    }
}
