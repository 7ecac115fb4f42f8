using System.CommandLine;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Scenarios;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Commands;

/// <summary>
/// <c>gz-jepsen run</c>: one test run. Exit code 0 = valid, 1 = invalid, 2 = unknown or the run itself failed.
/// A <c>--scenario</c> presets the options; options given explicitly override the preset.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var defaults = new RunOptions();
        var scenario = new Option<string?>("--scenario") { Description = "A named scenario (see 'list'); explicit options override its settings" };
        var workload = new Option<string>("--workload") { Description = "register | set | lock | watch", DefaultValueFactory = _ => defaults.Workload };
        var nemesis = new Option<string>("--nemesis") { Description = "Faults: a name, a,b (take turns), a+b (together), all, none (see 'list')", DefaultValueFactory = _ => defaults.Nemesis };
        var time = new Option<double>("--time") { Description = "Seconds of traffic", DefaultValueFactory = _ => defaults.Time.TotalSeconds };
        var layout = new Option<string>("--layout") { Description = "Voters per site and the witness: DC1+DC2+WITNESS", DefaultValueFactory = _ => defaults.Layout };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients", DefaultValueFactory = _ => defaults.Clients };
        var rate = new Option<double>("--rate") { Description = "Target operations per second, all clients together", DefaultValueFactory = _ => defaults.Rate };
        var readConsistency = new Option<string>("--read-consistency") { Description = "linearizable | stale (plain reads)", DefaultValueFactory = _ => "linearizable" };
        readConsistency.AcceptOnlyFromAmong("linearizable", "stale");
        var readFromIsolated = new Option<bool>("--read-from-isolated") { Description = "Send every plain read to one follower (which partition-isolate-follower cuts off)" };
        var interval = new Option<double>("--interval") { Description = "Quiet seconds before each fault", DefaultValueFactory = _ => defaults.Interval.TotalSeconds };
        var faultDuration = new Option<double>("--fault-duration") { Description = "Seconds each fault lasts", DefaultValueFactory = _ => defaults.FaultDuration.TotalSeconds };
        var opTimeout = new Option<int>("--op-timeout") { Description = "Milliseconds before a call counts as indeterminate", DefaultValueFactory = _ => (int)defaults.OperationTimeout.TotalMilliseconds };
        var keys = new Option<int>("--keys") { Description = "Register keys in use at once", DefaultValueFactory = _ => defaults.Keys };
        var opsPerKey = new Option<int>("--ops-per-key") { Description = "Operations per register key before a fresh key", DefaultValueFactory = _ => defaults.OperationsPerKey };
        var checkBudget = new Option<double>("--check-timeout") { Description = "Seconds the checker may take before answering unknown", DefaultValueFactory = _ => defaults.CheckBudget.TotalSeconds };
        var seed = new Option<int?>("--seed") { Description = "Seed for the harness's random choices (default: random, printed)" };
        var output = new Option<string>("--out") { Description = "Folder that receives the run's results folder", DefaultValueFactory = _ => defaults.OutputRoot };
        var keepData = new Option<bool>("--keep-data") { Description = "Keep the members' data folders (under the temp folder)" };
        var lockFencing = new Option<string>("--lock-fencing") { Description = "lock workload: on | off (protected writes carry the fencing token)", DefaultValueFactory = _ => "on" };
        lockFencing.AcceptOnlyFromAmong("on", "off");
        var clientPauseEvery = new Option<int>("--client-pause-every") { Description = "lock workload: every Nth critical section stalls past its lease (0 = never)" };
        var clientPause = new Option<double>("--client-pause") { Description = "lock workload: seconds a stalled holder stalls", DefaultValueFactory = _ => defaults.ClientPause.TotalSeconds };
        var bigValues = new Option<bool>("--big-values") { Description = "Beside the workload, 2 writers put values near the value limit and 128-put transactions at the request limit; checked after healing (big-values)" };
        var secure = new Option<bool>("--secure") { Description = "Run the cluster with TLS (mutual between members) and authentication on; the harness's clients sign in" };
        var preloadMb = new Option<int>("--preload-mb") { Description = "MiB of state loaded (100 KiB values and some small keys) before traffic starts" };
        var leaseTtl = new Option<double>("--lease-ttl") { Description = "lock workload: seconds of each client's lease", DefaultValueFactory = _ => defaults.LeaseTtl.TotalSeconds };

        var command = new Command("run", "Start a cluster, run a workload under faults, check the history, write a results folder")
        {
            scenario, workload, nemesis, time, layout, clients, rate, readConsistency, readFromIsolated, interval, faultDuration, opTimeout,
            keys, opsPerKey, checkBudget, seed, output, keepData, lockFencing, clientPauseEvery, clientPause, leaseTtl, bigValues, preloadMb, secure,
        };
        command.SetAction(async (result, token) =>
        {
            RunOptions options;
            try
            {
                options = new RunOptions();
                if (result.GetValue(scenario) is { } name)
                    options = ScenarioCatalog.Apply(name, options);
                // Explicit options win over the scenario's preset (or the defaults); unspecified ones never override it.
                bool Given(Option option) => result.GetResult(option) is { Implicit: false };
                T Pick<T>(Option<T> option, T preset) => Given(option) ? result.GetValue(option)! : preset;
                options = options with
                {
                    Workload = Pick(workload, options.Workload),
                    Nemesis = Pick(nemesis, options.Nemesis),
                    Time = TimeSpan.FromSeconds(Pick(time, options.Time.TotalSeconds)),
                    Layout = Pick(layout, options.Layout),
                    Clients = Pick(clients, options.Clients),
                    Rate = Pick(rate, options.Rate),
                    StaleReads = Pick(readConsistency, options.StaleReads ? "stale" : "linearizable") == "stale",
                    ReadFromIsolatedMember = Pick(readFromIsolated, options.ReadFromIsolatedMember),
                    Interval = TimeSpan.FromSeconds(Pick(interval, options.Interval.TotalSeconds)),
                    FaultDuration = TimeSpan.FromSeconds(Pick(faultDuration, options.FaultDuration.TotalSeconds)),
                    OperationTimeout = TimeSpan.FromMilliseconds(Pick(opTimeout, (int)options.OperationTimeout.TotalMilliseconds)),
                    Keys = Pick(keys, options.Keys),
                    OperationsPerKey = Pick(opsPerKey, options.OperationsPerKey),
                    CheckBudget = TimeSpan.FromSeconds(Pick(checkBudget, options.CheckBudget.TotalSeconds)),
                    Seed = result.GetValue(seed) ?? options.Seed,
                    OutputRoot = Pick(output, options.OutputRoot),
                    KeepData = Pick(keepData, options.KeepData),
                    LockFencing = Pick(lockFencing, options.LockFencing ? "on" : "off") == "on",
                    ClientPauseEvery = Pick(clientPauseEvery, options.ClientPauseEvery),
                    ClientPause = TimeSpan.FromSeconds(Pick(clientPause, options.ClientPause.TotalSeconds)),
                    LeaseTtl = TimeSpan.FromSeconds(Pick(leaseTtl, options.LeaseTtl.TotalSeconds)),
                    BigValues = Pick(bigValues, options.BigValues),
                    Secure = Pick(secure, options.Secure),
                    PreloadMegabytes = Pick(preloadMb, options.PreloadMegabytes),
                };
                // Changing what a scenario runs voids what it expects.
                if (options.Scenario is not null && (Given(readConsistency) || Given(workload) || Given(nemesis) || Given(lockFencing) || Given(clientPauseEvery)))
                    options = options with { Expected = null };
                if (options.Clients < 1 || options.Rate <= 0 || options.Time <= TimeSpan.Zero)
                    throw new ArgumentException("--clients, --rate and --time must be positive.");
                if (options.PreloadMegabytes < 0)
                    throw new ArgumentException("--preload-mb must be 0 or more.");
                // Refuse unknown names before starting anything.
                _ = NemesisCatalog.Parse(options.Nemesis);
                _ = WorkloadCatalog.Validator(options.Workload);
                _ = ClusterLayout.Parse(options.Layout);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return (int)Validity.Unknown;
            }

            using var log = RunLog.Console();
            try
            {
                var outcome = await TestRun.ExecuteAsync(options, log, token);
                return (int)outcome.Validity;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                log.Info("aborted; the members were killed and the network healed");
                return (int)Validity.Unknown;
            }
            catch (Exception e)
            {
                // Whatever broke, the answer is "unknown" (exit code 2), never a verdict; the cluster is already gone.
                log.Info($"the run failed: {e}");
                return (int)Validity.Unknown;
            }
        });
        return command;
    }
}
