using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Cluster;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>How a data-damage nemesis damages the file it picks.</summary>
internal enum DataDamage
{
    /// <summary>Inverts 1–4 bytes at random offsets within the file's data (a disk's bit rot, a torn sector).</summary>
    BitFlip,

    /// <summary>Cuts the file at a random length (a lost tail, a partial copy).</summary>
    Truncate,
}

/// <summary>
/// Damage at rest: <c>kill -9</c> one voter, damage one of its data files (<see cref="DamageTargets"/>), start it
/// again. Detected damage makes it refuse to start (one log line naming the file); it is then repaired as an operator
/// would, by the runbook's replacement (<see cref="MemberReplacement"/>: wipe, remove, add a fresh member). Damage the
/// member does not detect (bytes no recovery reads, a log tail Raft rewrites) lets it start; the checker then judges
/// whether it served anything wrong.
/// </summary>
internal sealed class DataDamageNemesis(string name, DataDamage damage) : INemesis
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(60);

    public string Name { get; } = name;

    public bool NeedsPartitioner => false;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var cluster = context.Cluster;
        var running = cluster.Voters.Where(m => cluster.Process(m) is { IsRunning: true, IsPaused: false }).ToList();
        if (running.Count == 0)
            throw new InvalidOperationException("no running voter to damage");
        var victim = running[context.Random.Next(running.Count)];
        var process = cluster.Process(victim);
        process.Kill();

        var files = DamageTargets.Files(process.DataDirectory);
        if (files.Count == 0)
            throw new InvalidOperationException($"{victim.Id} has no data file under {string.Join(", ", DamageTargets.CandidateFolders)}");
        var file = files[context.Random.Next(files.Count)];
        var what = Damage(file, context.Random);
        var relative = Path.GetRelativePath(process.DataDirectory, file);
        context.Log.Info($"{Name}: {victim.Id} {what} in {relative}");

        var logStart = File.Exists(process.LogPath) ? new FileInfo(process.LogPath).Length : 0;
        process.Start();
        if (await StartedAsync(context.Cluster, process, token).ConfigureAwait(false))
            return $"kill -9 {victim.Id}, {what} in {relative}: started anyway (damage not read at start)";

        var refusal = RefusalLine(process.LogPath, logStart);
        context.Log.Info($"{Name}: {victim.Id} exited with {process.ExitCode}: {refusal ?? "(no refusal line in its log)"}");
        var replaced = await MemberReplacement.ReplaceAsync(context, victim, token).ConfigureAwait(false);
        return $"kill -9 {victim.Id}, {what} in {relative}: refused to start (exit {process.ExitCode}{(refusal is null ? ", no refusal line" : "")}); {replaced}";
    }

    /// <summary>Nothing to undo: a member that started runs on, one that refused was replaced.</summary>
    public Task HealAsync(NemesisContext context, CancellationToken token) => Task.CompletedTask;

    private string Damage(string file, Random random)
    {
        var length = new FileInfo(file).Length;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        if (damage == DataDamage.Truncate)
        {
            var cut = random.NextInt64(length);
            stream.SetLength(cut);
            return $"truncated {length} -> {cut} bytes";
        }

        // Aim at bytes that hold data: files are often preallocated or padded with zeros (DotNext's 16 MiB WAL chunks,
        // sector padding), and a flip there tests nothing.
        var extent = DataExtent(stream);
        var offsets = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => random.NextInt64(extent)).Order().ToList();
        foreach (var offset in offsets)
        {
            stream.Position = offset;
            var value = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)~value);
        }

        return $"flipped bytes at {string.Join(",", offsets)} of {length}";
    }

    /// <summary>Bytes up to the last non-zero one (at least 1).</summary>
    private static long DataExtent(FileStream stream)
    {
        var buffer = new byte[1 << 16];
        long extent = 1;
        stream.Position = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            var last = buffer.AsSpan(0, read).LastIndexOfAnyExcept((byte)0);
            if (last >= 0)
                extent = stream.Position - read + last + 1;
        }

        return extent;
    }

    /// <summary>True once the member serves <c>/healthz</c> (its storage opened); false once its process has exited.</summary>
    private static async Task<bool> StartedAsync(ClusterUnderTest cluster, MemberProcess process, CancellationToken token)
    {
        using var http = new HttpClient(cluster.CreateClientHandler()) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + StartPatience;
        while (DateTime.UtcNow < deadline)
        {
            if (!process.IsRunning)
                return false;
            try
            {
                using var response = await http.GetAsync($"{process.Url}/healthz", token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
            {
                // still starting
            }

            await Task.Delay(100, token).ConfigureAwait(false);
        }

        throw new TimeoutException($"{process.Id} neither served /healthz nor exited within {StartPatience.TotalSeconds:0} s; see {process.LogPath}");
    }

    private static string? RefusalLine(string logPath, long from)
    {
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = Math.Min(from, stream.Length);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').LastOrDefault(line => line.Contains("Refusing to start", StringComparison.Ordinal))?.Trim();
    }
}
