using System.CommandLine;
using System.Globalization;
using GlobalZone.Cli.Bench;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz bench scale</c>: the large-state benchmark (see <see cref="ScaleBench"/>, and <see cref="EtcdScaleBench"/> for etcd). Runs its own local cluster, so it
/// needs no endpoints; not part of CI (a 1 GiB run loads for minutes).
/// </summary>
internal static class ScaleBenchCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "State size to load: e.g. 256MB, 1GB (1 GiB = 10,000 x 100 KiB values + 1,000,000 small keys)", DefaultValueFactory = _ => "1GB" };
        var data = new Option<string?>("--data") { Description = "Folder for the cluster (default: a new temporary folder, removed afterwards)" };
        var writers = new Option<int>("--writers") { Description = "Closed-loop writers on the leader during the measurements", DefaultValueFactory = _ => 4 };
        var target = new Option<string>("--target") { Description = "What to measure: gz (GlobalZone) or etcd (the same steps on three etcd members; apt-get install etcd-server)", DefaultValueFactory = _ => "gz" };
        target.AcceptOnlyFromAmong("gz", "etcd");
        var etcdBinary = new Option<string>("--etcd") { Description = "The etcd executable for --target etcd", DefaultValueFactory = _ => "etcd" };
        var command = new Command("scale", "Large-state benchmark on its own local cluster: join time, writes during catch-up, restart time, RSS")
        {
            size, data, writers, target, etcdBinary,
        };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var bytes = ParseSize(result.GetValue(size)!);
            var keep = result.GetValue(data) is not null;
            var root = Path.GetFullPath(result.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "gz-scale-" + Guid.NewGuid().ToString("N")[..8]));
            try
            {
                var writerCount = Math.Max(1, result.GetValue(writers));
                var outcome = result.GetValue(target) == "etcd"
                    ? await new EtcdScaleBench(root, bytes, writerCount, result.GetValue(etcdBinary)!, Console.Error).RunAsync(token)
                    : await new ScaleBench(root, bytes, writerCount, Console.Error).RunAsync(token);
                Write(outcome, result.GetValue(target)!);
            }
            finally
            {
                if (!keep && Directory.Exists(root))
                    Directory.Delete(root, recursive: true);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant().Replace("IB", "B", StringComparison.Ordinal);
        var (number, unit) = t.EndsWith("GB", StringComparison.Ordinal) ? (t[..^2], 1L << 30)
            : t.EndsWith("MB", StringComparison.Ordinal) ? (t[..^2], 1L << 20)
            : (t, 1L);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (long)(value * unit)
            : throw new GzException($"--size '{text}' is not a size (e.g. 256MB, 1GB).");
    }

    private static void Write(ScaleResult r, string target)
    {
        var i = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(i, $"""
            gz bench scale --target {target}: {r.StateBytes / 1048576.0:F0} MiB ({r.LargeValues} x 100 KiB + {r.SmallKeys} small keys), loaded in {r.LoadTime.TotalSeconds:F0} s
              new member joins and catches up   {r.JoinTime.TotalSeconds:F1} s
              leader writes before               {r.Before.PerSecond:F0}/s  p50 {r.Before.P50Ms:F1} ms  p99 {r.Before.P99Ms:F1} ms  max {r.Before.MaxMs:F1} ms
              leader writes during catch-up      {r.DuringJoin.PerSecond:F0}/s  p50 {r.DuringJoin.P50Ms:F1} ms  p99 {r.DuringJoin.P99Ms:F1} ms  max {r.DuringJoin.MaxMs:F1} ms  ({r.DuringJoin.Errors} errors overall)
              member restart (kill -9 to caught up) {r.RestartTime.TotalSeconds:F1} s
            """));
        foreach (var (member, bytes) in r.RssBytes.OrderBy(p => p.Key, StringComparer.Ordinal))
            Console.WriteLine(string.Create(i, $"  RSS {member,-16} {bytes / 1048576.0:F0} MiB"));
        foreach (var line in r.SnapshotLines)
            Console.WriteLine("  " + line);
    }
}
