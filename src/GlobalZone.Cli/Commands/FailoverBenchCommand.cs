using System.CommandLine;
using GlobalZone.Cli.Bench;
using GlobalZone.Cli.Http;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz bench failover</c>: N trials of each fault on its own local 2+2+1 group, printing the distribution of the
/// write and read unavailability windows (see <see cref="FailoverBench"/>). Not part of CI; a short run is.
/// </summary>
internal static class FailoverBenchCommand
{
    public static Command Create()
    {
        var trials = new Option<int>("--trials") { Description = "Trials of each fault", DefaultValueFactory = _ => 10 };
        var faults = new Option<string>("--faults")
        {
            Description = $"Comma-separated faults to run: {string.Join(", ", FailoverBench.Faults)}",
            DefaultValueFactory = _ => string.Join(",", FailoverBench.Faults),
        };
        faults.Validators.Add(result =>
        {
            var unknown = Split(result.Tokens.Count > 0 ? result.Tokens[0].Value : "").Except(FailoverBench.Faults).ToList();
            if (unknown.Count > 0)
                result.AddError($"Unknown fault(s) {string.Join(", ", unknown)}; choose among {string.Join(", ", FailoverBench.Faults)}.");
        });
        var wan = WanOption.Create($"Simulated round trips between sites, as for gz local (e.g. 'global' = {SimulatedWan.GlobalPreset}); election timeouts follow");
        var data = new Option<string?>("--data") { Description = "Folder for the cluster (default: a new temporary folder, removed afterwards)" };
        var command = new Command("failover", "Failover benchmark on its own local 2+2+1 group: write and read gaps per fault")
        {
            trials, faults, wan, data,
        };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var n = result.GetValue(trials);
            if (n < 1)
                throw new GzException("--trials must be at least 1.");
            var keep = result.GetValue(data) is not null;
            var root = Path.GetFullPath(result.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "gz-failover-" + Guid.NewGuid().ToString("N")[..8]));
            var wanSpec = WanOption.Spec(result, wan);
            try
            {
                var outcome = await new FailoverBench(root, wanSpec, n, Console.Error).RunAsync(Split(result.GetValue(faults)!).ToList(), token);
                Console.WriteLine($"gz bench failover: 2+2+1, {n} trial(s) per fault, {(wanSpec is null ? "loopback" : "simulated WAN " + SimulatedWan.Describe(wanSpec))}; windows in ms");
                foreach (var r in outcome)
                {
                    Console.WriteLine($"  {r.Fault,-17} write gap  {FailoverBench.Describe(r.WriteGapsMs)}");
                    Console.WriteLine($"  {"",-17} read gap   {FailoverBench.Describe(r.ReadGapsMs)}");
                    Console.WriteLine($"  {"",-17} new leader {FailoverBench.Describe(r.LeaderAfterMs)}");
                }
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

    private static IEnumerable<string> Split(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
