namespace GlobalZone.IntegrationTests.Operations;

/// <summary>
/// <c>gz semaphore NAME -n N -- COMMAND</c> and <c>gz lock NAME --read|--write -- COMMAND</c> against a real cluster:
/// several gz processes at once, each appending "start"/"end" lines to one journal while it holds; the journal is then
/// replayed to check who held at the same time.
/// </summary>
public sealed class GzSharedLockTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Each holder writes "start MODE TOKEN", stays a second, writes "end MODE TOKEN" (short appends are atomic).
    private const string Script = "echo \"start $GZ_LOCK_MODE $GZ_LOCK_TOKEN\" >> \"$0\"; sleep 1; echo \"end $GZ_LOCK_MODE $GZ_LOCK_TOKEN\" >> \"$0\"";

    [Fact]
    public async Task A_semaphore_of_two_never_has_three_holders_and_every_command_runs()
    {
        await using var cluster = await TestCluster.StartAsync("gz-semaphore", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var journal = Path.Combine(cluster.Cluster.Settings.RootDirectory, "semaphore.txt");

        var runs = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            GzTool.RunAsync(endpoints.Skip(i % endpoints.Length).Concat(endpoints.Take(i % endpoints.Length)), Timeout,
                "semaphore", "jobs/pool", "-n", "2", "--ttl", "10", "--", "sh", "-c", Script, journal)));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));

        var holds = Replay(await File.ReadAllLinesAsync(journal));
        Assert.Equal(5, holds.Tokens.Count);
        Assert.Equal(5, holds.Tokens.Distinct().Count());
        Assert.All(holds.Modes, m => Assert.Equal("permit", m));
        Assert.InRange(holds.MostAtOnce, 1, 2);
    }

    [Fact]
    public async Task Readers_share_the_lock_and_a_writer_holds_it_alone()
    {
        await using var cluster = await TestCluster.StartAsync("gz-rwlock", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var journal = Path.Combine(cluster.Cluster.Settings.RootDirectory, "rwlock.txt");

        string[] modes = ["--read", "--read", "--write", "--read", "--write"];
        var runs = await Task.WhenAll(modes.Select((mode, i) =>
            GzTool.RunAsync(endpoints.Skip(i % endpoints.Length).Concat(endpoints.Take(i % endpoints.Length)), Timeout,
                "lock", "jobs/config", mode, "--ttl", "10", "--", "sh", "-c", Script, journal)));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));

        var holds = Replay(await File.ReadAllLinesAsync(journal));
        Assert.Equal(5, holds.Tokens.Distinct().Count());
        Assert.Equal(3, holds.Modes.Count(m => m == "read"));
        Assert.Equal(2, holds.Modes.Count(m => m == "write"));
        Assert.False(holds.WriterBesideAnother, "a writer held beside another holder:\n" + string.Join('\n', holds.Lines));
    }

    private sealed record Holds(List<long> Tokens, List<string> Modes, int MostAtOnce, bool WriterBesideAnother, string[] Lines);

    /// <summary>Replays the journal: who held at once, and whether a writer ever shared the lock.</summary>
    private Holds Replay(string[] lines)
    {
        output.WriteLine(string.Join('\n', lines));
        var active = new Dictionary<long, string>();
        var tokens = new List<long>();
        var modes = new List<string>();
        var most = 0;
        var writerBesideAnother = false;
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            Assert.Equal(3, parts.Length);
            var token = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            if (parts[0] == "start")
            {
                active.Add(token, parts[1]);
                tokens.Add(token);
                modes.Add(parts[1]);
                most = Math.Max(most, active.Count);
                writerBesideAnother |= active.Count > 1 && active.Values.Contains("write");
            }
            else
            {
                Assert.Equal("end", parts[0]);
                Assert.True(active.Remove(token), $"'{line}' ends a hold that never started");
            }
        }

        Assert.Empty(active);
        return new Holds(tokens, modes, most, writerBesideAnother, lines);
    }
}
