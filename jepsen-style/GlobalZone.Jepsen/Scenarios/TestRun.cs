using System.Diagnostics;
using System.Globalization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;
using GlobalZone.Jepsen.Cluster;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Traffic.BigValues;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Scenarios;

/// <summary>
/// One test run from start to verdict: start a real cluster, drive the clients while the nemesis schedule runs, heal,
/// wait for recovery, do the final reads, check the history, and write the results folder.
/// </summary>
internal static class TestRun
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FinalReadPatience = TimeSpan.FromSeconds(30);

    public static async Task<RunOutcome> ExecuteAsync(RunOptions options, RunLog log, CancellationToken abort)
    {
        var wall = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var nemeses = NemesisCatalog.Parse(options.Nemesis);
        var settings = new WorkloadSettings
        {
            StaleReads = options.StaleReads,
            Keys = options.Keys,
            OperationsPerKey = options.OperationsPerKey,
            Fenced = options.LockFencing,
            ClientPauseEvery = options.ClientPauseEvery,
            ClientPause = options.ClientPause,
            LeaseTtl = options.LeaseTtl,
            LockWait = options.OperationTimeout / 2,
        };
        var workload = WorkloadCatalog.Create(options.Workload, settings);
        using var disposeWorkload = workload as IDisposable;
        var bigValueSettings = new BigValueSettings();

        var runId = string.Create(CultureInfo.InvariantCulture, $"{startedAt:yyyyMMdd-HHmmss}-{options.Scenario ?? options.Workload + "-" + ShortName(options.Nemesis)}");
        var folder = Path.GetFullPath(Path.Combine(options.OutputRoot, runId));
        Directory.CreateDirectory(folder);
        log.MirrorTo(Path.Combine(folder, ResultsFolder.HarnessLogFile));
        log.Info($"run {runId}: workload {options.Workload}, nemesis {options.Nemesis}, layout {options.Layout}, {options.Clients} clients at {options.Rate} ops/s, "
            + $"reads {(options.StaleReads ? "stale" : "linearizable")}, {options.Time.TotalSeconds:0} s, seed {options.Seed}"
            + (options.Workload is "lock" or "election" ? $", fencing {(options.LockFencing ? "on" : "off")}, holders stall every {options.ClientPauseEvery} sections" : "")
            + (options.BigValues ? $", big values ({bigValueSettings.Writers} writers, {bigValueSettings.OperationTimeout.TotalSeconds:0} s timeout)" : "")
            + (options.PreloadMegabytes > 0 ? $", preload {options.PreloadMegabytes} MiB" : "")
            + (options.Secure ? ", secure (TLS + auth)" : ""));
        log.Info($"results: {folder}");

        var clusterRoot = Path.Combine(Path.GetTempPath(), "gz-jepsen", runId);
        var notes = new List<string>();
        var random = new Random(options.Seed);
        IReadOnlyList<FaultWindow> faults = [];
        PreloadReport? preload = null;
        var recovered = false;
        double recoverySeconds = 0;
        IReadOnlyList<Operation> history;
        RunClock clock;
        List<MemberReport> members;
        var cluster = await ClusterUnderTest.StartAsync(options.Layout, clusterRoot, nemeses.Any(n => n.NeedsPartitioner), log, abort,
            peerFailpoints: nemeses.Any(n => n.NeedsPeerFailpoints), acknowledgeBeforePersisting: options.UnsafeAcknowledgeBeforePersisting, secure: options.Secure).ConfigureAwait(false);
        try
        {
            if (options.ReadFromIsolatedMember)
            {
                var leader = await cluster.FindLeaderAsync(abort).ConfigureAwait(false);
                cluster.ReadTarget = cluster.Voters.First(m => m.Id != leader?.Id);
                log.Info($"plain reads go to {cluster.ReadTarget.Id}; updates to the other voters");
            }

            using var http = new GzHttpClient(options.OperationTimeout, cluster.CreateClientHandler(), cluster.SignIn);
            // Big writes and preload transactions move a megabyte each: they get their own, longer timeout (see BigValueSettings).
            using var bigHttp = new GzHttpClient(bigValueSettings.OperationTimeout, cluster.CreateClientHandler(), cluster.SignIn);
            if (options.PreloadMegabytes > 0)
                preload = await Preload.RunAsync(cluster.Voters, bigHttp, options.PreloadMegabytes, log, abort).ConfigureAwait(false);

            var recorder = new HistoryRecorder();
            var clients = CreateClients(options, cluster, http, recorder, settings);
            var nemesisContext = new NemesisContext(cluster, random, log);

            if (workload is IObservingWorkload observing)
            {
                var streamsTransport = cluster.CreateClientHandler();
                streamsTransport.ConnectTimeout = TimeSpan.FromSeconds(2);
                observing.StartObservers(cluster.Voters, recorder, log, cluster.SignIn(streamsTransport), abort);
            }

            clock = new RunClock();
            log.Info("traffic starts");
            using (var stopIssuing = new CancellationTokenSource(options.Time))
            using (var stopIssuingOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stopIssuing.Token, abort))
            {
                var traffic = TrafficDriver.RunAsync(workload, clients, options.Rate, stopIssuingOrAbort.Token, abort, log);
                var bigTraffic = options.BigValues
                    ? BigValueWriters.RunAsync(cluster.Voters, bigHttp, recorder, bigValueSettings, options.Seed, stopIssuingOrAbort.Token, abort, log)
                    : Task.FromResult(new TrafficStats());
                var schedule = NemesisSchedule.RunAsync(nemeses, nemesisContext, clock, options.Interval, options.FaultDuration, options.Time, abort);
                faults = await schedule.ConfigureAwait(false);
                var stats = await traffic.ConfigureAwait(false);
                log.Info($"traffic done: {stats.Total} operations (ok {stats.Ok}, fail {stats.Failed}, info {stats.Indeterminate}), {faults.Count} faults");
                if (stats.HarnessErrors > 0)
                    notes.Add($"{stats.HarnessErrors} operations ended in a harness error (see harness.log); they are recorded as indeterminate");
                var bigStats = await bigTraffic.ConfigureAwait(false);
                if (options.BigValues)
                    log.Info($"big values done: {bigStats.Total} writes (ok {bigStats.Ok}, fail {bigStats.Failed}, info {bigStats.Indeterminate})");
            }

            cluster.HealEverything();
            var healedAt = Stopwatch.GetTimestamp();
            recovered = await cluster.WaitForRecoveryAsync(RecoveryTimeout, abort).ConfigureAwait(false);
            recoverySeconds = Stopwatch.GetElapsedTime(healedAt).TotalSeconds;
            if (!recovered)
                notes.Add($"the cluster did not agree on a leader within {RecoveryTimeout.TotalSeconds:0} s of healing (a liveness failure)");

            log.Info("final reads");
            var finalReads = new FinalReadContext(cluster.Voters, http, recorder, ProcessIds.FinalReads, FinalReadPatience, log);
            await workload.FinalReadsAsync(finalReads, abort).ConfigureAwait(false);
            if (options.BigValues)
            {
                var unread = await BigValueFinalReads.ReadAllAsync(finalReads, bigHttp, abort).ConfigureAwait(false);
                if (unread.Count > 0)
                    notes.Add($"big-values: some voters never answered the final reads ({string.Join(", ", unread.Select(p => $"{p.Key}: {p.Value} keys"))}); their copies are unchecked (see their logs: a member that cannot catch up?)");
            }
            history = recorder.Snapshot();
            members = cluster.Members.Select(m => new MemberReport(m.Id, m.Url, m.Site, m.Role, null)).ToList();
        }
        finally
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
        }

        var trafficSeconds = clock.Now;
        var logs = ResultsFolder.CopyMemberLogs(folder, cluster.Local.Members.Select(m => (m.Id, m.LogPath)));
        members = members.Select(m => m with { Log = logs.GetValueOrDefault(m.Id) }).ToList();
        if (!options.KeepData)
            TryDelete(clusterRoot, log);

        log.Info($"checking {history.Count} operations");
        var results = RunChecks.Validate(options.Workload, options.BigValues, history, options.CheckBudget).ToList();
        foreach (var result in results)
            log.Info($"{result.Checker}: {result.Summary}");
        var validity = ValidationResult.Worst(results.Select(r => r.Validity).Append(recovered ? Validity.Valid : Validity.Invalid));
        if (!recovered)
            results[0] = results[0] with { Summary = results[0].Summary + "; and the cluster did not recover after healing" };
        var validation = results[0];

        ResultsFolder.WriteHistory(folder, history);
        var report = new RunReport
        {
            RunId = runId,
            Verdict = validity.ToString().ToLowerInvariant(),
            ExitCode = (int)validity,
            Scenario = options.Scenario,
            ExpectedVerdict = options.Expected?.ToString().ToLowerInvariant(),
            Workload = options.Workload,
            Nemesis = options.Nemesis,
            Layout = options.Layout,
            Clients = options.Clients,
            Rate = options.Rate,
            ReadConsistency = options.StaleReads ? "stale" : "linearizable",
            ReadsFromIsolatedMember = options.ReadFromIsolatedMember,
            LockFencing = options.Workload is "lock" or "election" ? options.LockFencing : null,
            ClientPauseEvery = options.Workload is "lock" or "election" ? options.ClientPauseEvery : null,
            TimeSeconds = options.Time.TotalSeconds,
            IntervalSeconds = options.Interval.TotalSeconds,
            FaultDurationSeconds = options.FaultDuration.TotalSeconds,
            OperationTimeoutMs = options.OperationTimeout.TotalMilliseconds,
            Seed = options.Seed,
            StartedAt = startedAt,
            WallSeconds = wall.Elapsed.TotalSeconds,
            TrafficSeconds = trafficSeconds,
            Checker = RunChecks.ToReport(validation),
            OtherCheckers = results.Skip(1).Select(RunChecks.ToReport).ToList(),
            BigValues = options.BigValues,
            Preload = preload,
            Recovery = new RecoveryReport(recovered, recoverySeconds),
            Operations = OperationCounts.Of(history),
            Faults = faults,
            Unavailability = FaultUnavailability.Of(history, clock, faults),
            Clock = new ClockReport(clock.Origin, clock.Frequency),
            Members = members,
            Notes = notes,
        };
        ResultsFolder.WriteReport(folder, report, history, RunChecks.Headline(results));
        foreach (var line in ResultsFolder.Summary(report).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            log.Info(line);
        log.Info($"report: {Path.Combine(folder, ResultsFolder.ReportFile)}");
        return new RunOutcome(validity, folder, report, validation, results.Skip(1).ToList());
    }

    private static List<ClientContext> CreateClients(RunOptions options, ClusterUnderTest cluster, GzHttpClient http, HistoryRecorder recorder, WorkloadSettings settings)
    {
        var clients = new List<ClientContext>();
        var voters = cluster.Voters;
        for (var i = 0; i < options.Clients; i++)
        {
            ClientRoute route = cluster.ReadTarget is { } reader
                ? new SplitRoute(reader, new StickyRoute(voters.Where(m => m.Id != reader.Id).ToList(), i))
                : new StickyRoute(voters, i);
            clients.Add(new ClientContext(i, options.Clients, route, http, recorder, new Random(options.Seed * 31 + i + 1), settings));
        }

        return clients;
    }

    private static string ShortName(string nemesis) =>
        nemesis.Length <= 40 ? nemesis.Replace(',', '_').Replace('+', '-') : nemesis[..40].Replace(',', '_').Replace('+', '-');

    private static void TryDelete(string directory, RunLog log)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException e)
        {
            log.Info($"could not remove {directory}: {e.Message}");
        }
    }
}
