using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.ClusterRunner;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary>
/// <c>gz backup create</c> from a cluster under write load, <c>gz backup restore</c> into a new cluster: every key
/// comes back with its value and its create/mod revisions and version, nothing written after the backup does,
/// and the new cluster carries on from the backup's revision under its own name.
/// </summary>
public sealed class BackupRestoreTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_restored_cluster_has_every_key_at_its_revision_and_nothing_newer()
    {
        string backupFile;
        Dictionary<string, string> atBackup;
        long backupRevision;
        SuiteSecurity.Credentials? credentials;
        await using (var source = await TestCluster.StartAsync("backup-src", "2+1+0", output))
        {
            credentials = source.Credentials;
            var endpoints = source.Members.Select(m => m.Url).ToArray();
            var client = source.Client(source.Members[0]);
            for (var i = 0; i < 60; i++)
                await KvHttp.PutAsync(client, $"data/k{i:D3}", $"{{\"i\":{i}}}");
            for (var i = 0; i < 60; i += 3)
                await KvHttp.PutAsync(client, $"data/k{i:D3}", $"{{\"i\":{i},\"again\":true}}");
            for (var i = 1; i < 60; i += 10)
                Assert.True((await client.DeleteAsync($"/v1/kv/data/k{i:D3}")).IsSuccessStatusCode);
            await client.PutAsync("/v1/kv/data/raw?raw", new ByteArrayContent([0, 1, 2, 255]));

            // Writers keep going while the backup is taken: it must still be one consistent revision.
            using var stopWriters = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                var n = 0;
                var writerClient = source.Client(source.Members[1]);
                while (!stopWriters.IsCancellationRequested)
                    await KvHttp.PutAsync(writerClient, $"load/{n++ % 20}", n.ToString());
            });

            backupFile = Path.Combine(source.Cluster.Settings.RootDirectory, "state.gzbackup");
            var create = await GzTool.RunAsync(endpoints, Timeout, "backup", "create", backupFile);
            Assert.True(create.ExitCode == 0, create.ToString());
            await stopWriters.CancelAsync();
            await writer;

            var verify = await GzTool.RunAsync(endpoints, Timeout, "backup", "verify", backupFile, "--json");
            Assert.True(verify.ExitCode == 0, verify.ToString());
            using (var header = JsonDocument.Parse(verify.Stdout))
            {
                backupRevision = header.RootElement.GetProperty("revision").GetInt64();
                Assert.Equal("test-backup-src", header.RootElement.GetProperty("clusterName").GetString());
            }

            // A flipped byte or a cut-off file is caught before anything trusts it.
            var bytes = await File.ReadAllBytesAsync(backupFile);
            var corrupted = backupFile + ".corrupted";
            bytes[^10] ^= 0x40;
            await File.WriteAllBytesAsync(corrupted, bytes);
            var badVerify = await GzTool.RunAsync(endpoints, Timeout, "backup", "verify", corrupted);
            Assert.True(badVerify.ExitCode == 1 && badVerify.Stderr.Contains("SHA-256", StringComparison.Ordinal), badVerify.ToString());
            await File.WriteAllBytesAsync(corrupted, bytes[..^100]);
            var badRestore = await GzTool.RunAsync(endpoints, Timeout, "backup", "restore", corrupted, "--data-dir", corrupted + ".dir", "--cluster-name", "x");
            Assert.True(badRestore.ExitCode == 1 && badRestore.Stderr.Contains("body is", StringComparison.Ordinal), badRestore.ToString());
            Assert.False(Directory.Exists(corrupted + ".dir"));

            // What the cluster held at the backup's revision: the data/ keys are no longer written, and the load/
            // keys' records tell which writes came before the backup (modRevision <= its revision).
            atBackup = await ListAsync(client, "data/");
            Assert.Equal(60 - 6 + 1, atBackup.Count);
            foreach (var (key, record) in await ListAsync(client, "load/"))
            {
                if (JsonDocument.Parse(record).RootElement.GetProperty("createRevision").GetInt64() <= backupRevision)
                    atBackup[key] = "present";
            }

            // Writes after the backup exist in the source only.
            await KvHttp.PutAsync(client, "after/backup", "true");
        }

        var layout = ClusterLayout.Parse("2+1+0");
        var root = Path.Combine(Path.GetDirectoryName(backupFile)!, "restored");
        await using var restored = LocalCluster.Create(layout, new ClusterSettings
        {
            RootDirectory = root,
            ClusterName = "test-backup-restored",
            LowerElectionTimeoutMs = 300,
            UpperElectionTimeoutMs = 600,
            Tls = credentials is not null, // the suite's security mode: the restored users sign in below
        });
        try
        {
            foreach (var member in restored.Members)
            {
                var restore = await GzTool.RunAsync([], Timeout, "backup", "restore", backupFile, "--data-dir", member.DataDirectory, "--cluster-name", "test-backup-restored");
                Assert.True(restore.ExitCode == 0, restore.ToString());
            }

            // The old cluster's name is refused: a restore makes a new cluster.
            var sameName = await GzTool.RunAsync([], Timeout, "backup", "restore", backupFile, "--data-dir", Path.Combine(root, "other"), "--cluster-name", "test-backup-src");
            Assert.True(sameName.ExitCode != 0, sameName.ToString());

            restored.StartAll();
            await restored.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            HttpMessageHandler handler = restored.CreateHandler();
            if (credentials is not null)
            {
                // Users and roles come back with the state: root signs in to the new cluster with the same password.
                using var signIn = new HttpClient(restored.CreateHandler());
                var token = await LocalAuth.SignInAsync(signIn, restored.Members, credentials.User, credentials.Password, CancellationToken.None);
                handler = new BearerTokenHandler(token, handler);
            }

            using var http = new HttpClient(handler) { BaseAddress = new Uri(restored.Members[2].Url), Timeout = TimeSpan.FromSeconds(15) };

            var cluster = await http.GetFromJsonAsync<JsonElement>("/v1/cluster");
            Assert.Equal("test-backup-restored", cluster.GetProperty("clusterName").GetString());
            Assert.True(cluster.GetProperty("revision").GetInt64() >= backupRevision);

            var data = await ListAsync(http, "data/");
            foreach (var (key, record) in atBackup.Where(e => e.Key.StartsWith("data/", StringComparison.Ordinal)))
                Assert.Equal(record, data.GetValueOrDefault(key));
            Assert.Equal(atBackup.Count(e => e.Key.StartsWith("data/", StringComparison.Ordinal)), data.Count);
            var load = await ListAsync(http, "load/");
            Assert.Equal(atBackup.Keys.Where(k => k.StartsWith("load/", StringComparison.Ordinal)).Order(), load.Keys.Order());
            Assert.All(load.Values, r => Assert.True(JsonDocument.Parse(r).RootElement.GetProperty("modRevision").GetInt64() <= backupRevision, r));
            Assert.Null(await KvHttp.GetValueAsync(http, "after/backup"));

            // The new cluster goes on from the backup's revision.
            var next = await KvHttp.PutAsync(http, "after/restore", "1");
            Assert.Equal(backupRevision + 1, next);
        }
        finally
        {
            await restored.StopAllAsync(TimeSpan.FromSeconds(10));
            foreach (var member in restored.Members.Where(m => Directory.Exists(m.DataDirectory)))
                Directory.Delete(member.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_data_folder_does_not_start_under_another_clusters_name()
    {
        await using var cluster = await TestCluster.StartAsync("identity", "1+1+0", output);
        var member = cluster.Members[0];
        await member.StopAsync(TimeSpan.FromSeconds(10));

        // Same data folder, configuration naming another cluster.
        var config = await File.ReadAllTextAsync(member.ConfigPath);
        await File.WriteAllTextAsync(member.ConfigPath, config.Replace("\"test-identity\"", "\"someone-else\"", StringComparison.Ordinal));
        member.Start();
        await Eventually.TrueAsync(() => Task.FromResult(!member.IsRunning), TimeSpan.FromSeconds(20), "the member to refuse to start");
        var log = await File.ReadAllTextAsync(member.LogPath);
        Assert.Contains("belongs to cluster 'test-identity'", log);
    }

    /// <summary>Every key under a prefix with its whole record (value, revisions, version) as JSON text.</summary>
    private static async Task<Dictionary<string, string>> ListAsync(HttpClient client, string prefix)
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        using var page = JsonDocument.Parse(await client.GetStringAsync($"/v1/kv/{prefix}?prefix&limit=10000"));
        foreach (var record in page.RootElement.GetProperty("kvs").EnumerateArray())
            records[record.GetProperty("key").GetString()!] = record.GetRawText();
        Assert.False(page.RootElement.GetProperty("more").GetBoolean());
        return records;
    }
}
