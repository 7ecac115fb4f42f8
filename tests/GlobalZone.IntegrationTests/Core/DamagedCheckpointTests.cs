using GlobalZone.Storage.Integrity;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// A member whose latest key/value checkpoint was damaged while it was down refuses to start, with one log line
/// naming the file and the remedy, and a distinct exit code; the rest of the group keeps serving reads and writes.
/// </summary>
public sealed class DamagedCheckpointTests(ITestOutputHelper output)
{
    /// <summary>Exit code of a refused start (StartupRefusal.ExitCode in the server).</summary>
    private const int RefusedExitCode = 3;

    [Fact]
    public async Task A_member_with_a_damaged_checkpoint_refuses_to_start_and_the_others_keep_serving()
    {
        await using var cluster = await TestCluster.StartAsync("damaged-checkpoint", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        var victim = cluster.AnyFollowerOf(leader);
        var acknowledged = new Dictionary<string, long>();
        for (var i = 0; i < 30; i++)
            acknowledged[$"dc/k{i:D3}"] = await KvHttp.PutAsync(cluster.Client(leader), $"dc/k{i:D3}", $"{{\"n\":{i}}}");
        await KvHttp.AssertHoldsAsync(cluster.Client(victim), "dc/", acknowledged);

        victim.Kill();
        var kv = Path.Combine(victim.DataDirectory, "state", "kv");
        var manifest = CheckpointManifest.TryRead(kv) ?? throw new InvalidOperationException($"no checkpoint manifest in {kv}");
        var target = manifest.Files.First(f => f.Path.StartsWith("checkpoints/cpr-checkpoints/", StringComparison.Ordinal));
        var damaged = Path.Combine(kv, target.Path);
        FlipByte(damaged, target.Length / 2);
        output.WriteLine($"flipped a byte of {damaged}");

        var logBefore = File.ReadAllText(victim.LogPath).Length;
        victim.Start();
        await Eventually.TrueAsync(() => Task.FromResult(!victim.IsRunning), TimeSpan.FromSeconds(60), $"{victim.Id} to refuse to start");
        Assert.Equal(RefusedExitCode, victim.ExitCode);
        var log = File.ReadAllText(victim.LogPath)[logBefore..];
        var refusals = log.Split('\n').Where(line => line.Contains("Refusing to start", StringComparison.Ordinal)).ToList();
        var refusal = Assert.Single(refusals);
        Assert.Contains(damaged, refusal, StringComparison.Ordinal);
        Assert.Contains("gz member add", refusal, StringComparison.Ordinal);
        output.WriteLine(refusal);

        // The other two are a majority: writes and linearizable reads go on through either of them.
        var survivors = cluster.Members.Where(m => m.Id != victim.Id).ToList();
        for (var i = 30; i < 60; i++)
            acknowledged[$"dc/k{i:D3}"] = await KvHttp.PutAsync(cluster.Client(survivors[i % 2]), $"dc/k{i:D3}", $"{{\"n\":{i}}}");
        foreach (var member in survivors)
            await KvHttp.AssertHoldsAsync(cluster.Client(member), "dc/", acknowledged);
    }

    [Fact]
    public async Task A_data_folder_without_a_format_file_is_refused_as_an_earlier_releases_with_the_backup_commands()
    {
        await using var cluster = await TestCluster.StartAsync("legacy-folder", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        var victim = cluster.AnyFollowerOf(leader);
        await victim.StopAsync(TimeSpan.FromSeconds(10));
        // What an earlier release left: the same folders, but neither a FORMAT file nor a checkpoint manifest. (Without
        // FORMAT alone a folder with a manifest is this release's, its first start interrupted: it is accepted.)
        File.Delete(Path.Combine(victim.DataDirectory, "FORMAT"));
        File.Delete(CheckpointManifest.PathIn(Path.Combine(victim.DataDirectory, "state", "kv")));

        var logBefore = File.ReadAllText(victim.LogPath).Length;
        victim.Start();
        await Eventually.TrueAsync(() => Task.FromResult(!victim.IsRunning), TimeSpan.FromSeconds(60), $"{victim.Id} to refuse to start");
        Assert.Equal(RefusedExitCode, victim.ExitCode);
        var refusal = Assert.Single(File.ReadAllText(victim.LogPath)[logBefore..].Split('\n'), line => line.Contains("Refusing to start", StringComparison.Ordinal));
        Assert.Contains("earlier release", refusal, StringComparison.Ordinal);
        Assert.Contains("gz backup create", refusal, StringComparison.Ordinal);
        Assert.Contains("gz backup restore", refusal, StringComparison.Ordinal);
        output.WriteLine(refusal);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)~value);
    }
}
