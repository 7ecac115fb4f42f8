using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GlobalZone.Cli.Bench;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz bench</c>: the project's benchmark. Closed-loop clients against a running cluster (GlobalZone, or etcd
/// through its JSON gateway for comparison), a warm-up, then a measured run printing throughput and
/// p50/p90/p99/p99.9/max latency; a live progress line on stderr; <c>--json</c> for scripts.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "write | read (linearizable) | stale-read | mixed", DefaultValueFactory = _ => "write" };
        mode.AcceptOnlyFromAmong("write", "read", "stale-read", "mixed");
        var target = new Option<string>("--target") { Description = "globalzone, or etcd (its v3 JSON gateway at the endpoints)", DefaultValueFactory = _ => "globalzone" };
        target.AcceptOnlyFromAmong("globalzone", "etcd");
        var clients = new Option<int>("--clients") { Description = "Concurrent closed-loop clients", DefaultValueFactory = _ => 32 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds", DefaultValueFactory = _ => 20 };
        var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds before measuring (JIT, connections)", DefaultValueFactory = _ => 5 };
        var valueSize = new Option<int>("--value-size") { Description = "Value bytes per write", DefaultValueFactory = _ => 64 };
        var keys = new Option<int>("--keys") { Description = "Keys preloaded for reads", DefaultValueFactory = _ => 1000 };
        var pattern = new Option<string>("--write-pattern") { Description = "unique (a new key per write) or hot (overwrite --hot-keys keys)", DefaultValueFactory = _ => "unique" };
        pattern.AcceptOnlyFromAmong("unique", "hot");
        var hotKeys = new Option<int>("--hot-keys") { Description = "Key count for --write-pattern hot", DefaultValueFactory = _ => 10 };
        var readRatio = new Option<double>("--read-ratio") { Description = "Fraction of reads in mixed mode", DefaultValueFactory = _ => 0.5 };
        var member = new Option<string?>("--member") { Description = "Send everything to this one member URL (default: every voter, round-robin)" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No live progress line" };
        var command = new Command("bench", "Load-test a running cluster: throughput and latency percentiles")
        {
            mode, target, clients, duration, warmup, valueSize, keys, pattern, hotKeys, readRatio, member, noProgress, CliOptions.Json,
        };
        command.Add(ScaleBenchCommand.Create());
        command.Add(FailoverBenchCommand.Create());
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var settings = new BenchSettings
            {
                Target = result.GetValue(target)!,
                Mode = result.GetValue(mode) switch
                {
                    "read" => BenchMode.Read,
                    "stale-read" => BenchMode.StaleRead,
                    "mixed" => BenchMode.Mixed,
                    _ => BenchMode.Write,
                },
                Endpoints = CliOptions.ResolveEndpoints(result),
                Clients = Positive(result.GetValue(clients), "--clients"),
                Duration = TimeSpan.FromSeconds(Positive(result.GetValue(duration), "--duration")),
                Warmup = TimeSpan.FromSeconds(Math.Max(0, result.GetValue(warmup))),
                ValueSize = Positive(result.GetValue(valueSize), "--value-size"),
                Keys = Positive(result.GetValue(keys), "--keys"),
                WritePattern = result.GetValue(pattern) == "hot" ? WritePattern.Hot : WritePattern.Unique,
                HotKeys = Positive(result.GetValue(hotKeys), "--hot-keys"),
                ReadRatio = Math.Clamp(result.GetValue(readRatio), 0, 1),
                Progress = !result.GetValue(noProgress),
                Credentials = CliAuth.Resolve(result),
            };
            var memberUri = result.GetValue(member) is { Length: > 0 } one ? CliOptions.ParseEndpoints(one)[0] : null;
            using IBenchTarget system = settings.Target == "etcd"
                ? new EtcdTarget(settings, memberUri)
                : await GlobalZoneTarget.CreateAsync(settings, memberUri, token);
            var outcome = await new BenchRunner(settings, system).RunAsync(token);
            if (result.GetValue(CliOptions.Json))
                WriteJson(outcome);
            else
                WriteText(outcome);
            return outcome.Latency.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T>
        => value > T.Zero ? value : throw new GzException($"{name} must be positive.");

    private static string ModeName(BenchSettings s) => s.Mode switch
    {
        BenchMode.Write => $"write ({(s.WritePattern == WritePattern.Hot ? $"{s.HotKeys} hot keys" : "unique keys")})",
        BenchMode.Read => "linearizable read",
        BenchMode.StaleRead => "stale read",
        _ => $"mixed ({s.ReadRatio:P0} linearizable reads)",
    };

    private static void WriteText(BenchResult r)
    {
        var s = r.Settings;
        var l = r.Latency;
        var errors = r.Errors.Values.Sum();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            gz bench: {s.Target}, {ModeName(s)}, {s.Clients} clients, {s.ValueSize}-byte values
              target      {r.TargetDescription}
              measured    {r.Measured.TotalSeconds:F1} s after {s.Warmup.TotalSeconds:F0} s warm-up
              requests    {l.Count} ok, {errors} errors{(errors > 0 ? " (" + string.Join(", ", r.Errors.Select(e => $"{e.Key}: {e.Value}")) + ")" : "")}
              throughput  {r.Throughput:F0} req/s
              latency ms  p50 {l.P50:F2}  p90 {l.P90:F2}  p99 {l.P99:F2}  p99.9 {l.P999:F2}  max {l.Max:F2}  mean {l.Mean:F2}
              leadership  {r.LeadershipBefore ?? "?"}{(r.LeaderChanged ? $" -> {r.LeadershipAfter ?? "?"}  WARNING: the leader changed while measuring" : " (unchanged)")}
            """));
    }

    private static void WriteJson(BenchResult r)
    {
        var s = r.Settings;
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("target", s.Target);
            w.WriteString("mode", s.Mode switch { BenchMode.Write => "write", BenchMode.Read => "read", BenchMode.StaleRead => "stale-read", _ => "mixed" });
            w.WriteString("writePattern", s.WritePattern == WritePattern.Hot ? "hot" : "unique");
            w.WriteString("description", r.TargetDescription);
            w.WriteNumber("clients", s.Clients);
            w.WriteNumber("valueSize", s.ValueSize);
            w.WriteNumber("warmupSeconds", s.Warmup.TotalSeconds);
            w.WriteNumber("measuredSeconds", Math.Round(r.Measured.TotalSeconds, 3));
            w.WriteNumber("ok", r.Latency.Count);
            w.WriteNumber("throughput", Math.Round(r.Throughput, 1));
            w.WriteStartObject("latencyMs");
            w.WriteNumber("p50", Math.Round(r.Latency.P50, 3));
            w.WriteNumber("p90", Math.Round(r.Latency.P90, 3));
            w.WriteNumber("p99", Math.Round(r.Latency.P99, 3));
            w.WriteNumber("p999", Math.Round(r.Latency.P999, 3));
            w.WriteNumber("max", Math.Round(r.Latency.Max, 3));
            w.WriteNumber("mean", Math.Round(r.Latency.Mean, 3));
            w.WriteEndObject();
            w.WriteString("leadershipBefore", r.LeadershipBefore);
            w.WriteString("leadershipAfter", r.LeadershipAfter);
            w.WriteBoolean("leaderChanged", r.LeaderChanged);
            w.WriteStartObject("errors");
            foreach (var (kind, count) in r.Errors)
                w.WriteNumber(kind, count);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }
}
