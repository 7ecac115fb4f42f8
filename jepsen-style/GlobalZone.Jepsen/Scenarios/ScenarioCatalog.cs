using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Scenarios;

/// <summary>
/// Named, repeatable runs (etcd's robustness scenarios): each a preset of <see cref="RunOptions"/>; options given on the
/// command line still override the preset.
/// </summary>
internal static class ScenarioCatalog
{
    private const string PartitionTurns = "partition-random-halves,partition-isolate-leader,partition-majorities-ring,partition-dc1-dc2,partition-isolate-site";
    private const string ProcessTurns = "kill-leader,pause-leader,kill-random,pause-random,crash-cluster";

    private static readonly (string Name, string Description, Func<RunOptions, RunOptions> Apply)[] Entries =
    [
        ("stale-read-proof", "PROOF THE CHECKER CAN FAIL: stale reads from a follower the nemesis isolates while writes go on through the majority; expects invalid",
            o => o with
            {
                Workload = "register", StaleReads = true, ReadFromIsolatedMember = true, Nemesis = "partition-isolate-follower",
                Time = TimeSpan.FromSeconds(15), Interval = TimeSpan.FromSeconds(3), FaultDuration = TimeSpan.FromSeconds(10),
                Clients = 6, Rate = 60, Keys = 2, Expected = Validity.Invalid,
            }),
        ("stale-read-control", "the stale-read proof with linearizable reads: the isolated follower must refuse rather than lie; expects valid",
            o => o with
            {
                Workload = "register", StaleReads = false, ReadFromIsolatedMember = true, Nemesis = "partition-isolate-follower",
                Time = TimeSpan.FromSeconds(15), Interval = TimeSpan.FromSeconds(3), FaultDuration = TimeSpan.FromSeconds(10),
                Clients = 6, Rate = 60, Keys = 2, Expected = Validity.Valid,
            }),
        ("register-partitions", "register under every partition shape in turn",
            o => o with { Workload = "register", Nemesis = PartitionTurns, Expected = Validity.Valid }),
        ("register-processes", "register under kill -9, pause and whole-cluster crash in turn",
            o => o with { Workload = "register", Nemesis = ProcessTurns, Expected = Validity.Valid }),
        ("register-all", "register under every nemesis in turn, five minutes",
            o => o with { Workload = "register", Nemesis = "all", Time = TimeSpan.FromMinutes(5), Expected = Validity.Valid }),
        ("set-kill", "set (lost-write detection) under kill -9 of the leader and of random members",
            o => o with { Workload = "set", Nemesis = "kill-leader,kill-random", Time = TimeSpan.FromSeconds(40), Interval = TimeSpan.FromSeconds(4), FaultDuration = TimeSpan.FromSeconds(5), Expected = Validity.Valid }),
        ("set-replace", "set while follower voters are replaced one after another (kill -9 + wipe, remove, add a fresh member)",
            o => o with { Workload = "set", Nemesis = "replace-member", Time = TimeSpan.FromSeconds(60), Interval = TimeSpan.FromSeconds(3), FaultDuration = TimeSpan.FromSeconds(3), Expected = Validity.Valid }),
        ("large-state", "set with big values beside it while follower voters are replaced, on 300 MiB of preloaded state: each newcomer must catch up on a large state (a snapshot transfer); not in CI",
            o => o with
            {
                // A replacement every 15 s rather than set-replace's 6 s: a newcomer needs time to receive hundreds of
                // megabytes before the next follower is taken away, or the group runs on its bare majority for the whole run.
                Workload = "set", Nemesis = "replace-member", BigValues = true, PreloadMegabytes = 300, Time = TimeSpan.FromSeconds(60),
                Interval = TimeSpan.FromSeconds(10), FaultDuration = TimeSpan.FromSeconds(5), Expected = Validity.Valid,
            }),
        ("set-all", "set under every nemesis in turn, five minutes",
            o => o with { Workload = "set", Nemesis = "all", Time = TimeSpan.FromMinutes(5), Expected = Validity.Valid }),
        ("lock-unfenced-pause", "PROOF: lock holders stall past their lease and write without fencing; expects invalid (a lock alone protects nothing)",
            o => o with
            {
                Workload = "lock", LockFencing = false, ClientPauseEvery = 5, Nemesis = "none", Time = TimeSpan.FromSeconds(20),
                Clients = 4, Rate = 20, Expected = Validity.Invalid,
            }),
        ("lock-fenced-pause", "lock holders stall past their lease but write with the fencing token; expects valid",
            o => o with
            {
                Workload = "lock", LockFencing = true, ClientPauseEvery = 5, Nemesis = "none", Time = TimeSpan.FromSeconds(20),
                Clients = 4, Rate = 20, Expected = Validity.Valid,
            }),
        ("lock-fenced-faults", "fenced lock under partitions and kill -9 of the leader, holders stalling too",
            o => o with
            {
                Workload = "lock", LockFencing = true, ClientPauseEvery = 10, Nemesis = "partition-isolate-leader,kill-leader,partition-random-halves",
                Time = TimeSpan.FromSeconds(60), Clients = 4, Rate = 20, Expected = Validity.Valid,
            }),
        ("rwlock-faults", "reader-writer lock under partitions and kill -9 of the leader: every grant list legal, tokens growing, writers' fenced increments never interleaved",
            o => o with
            {
                Workload = "rwlock", Nemesis = "partition-isolate-leader,kill-leader,partition-random-halves",
                Time = TimeSpan.FromSeconds(60), Clients = 6, Rate = 30, Expected = Validity.Valid,
            }),
        ("semaphore-faults", "a semaphore of 3 under partitions and kill -9 of the leader: never more than 3 holders, tokens growing",
            o => o with
            {
                Workload = "semaphore", Nemesis = "partition-isolate-leader,kill-leader,partition-random-halves",
                Time = TimeSpan.FromSeconds(60), Clients = 6, Rate = 30, Expected = Validity.Valid,
            }),
        ("election-unfenced-pause", "PROOF: elected leaders stall past their lease and act without fencing; expects invalid (an election alone protects nothing)",
            o => o with
            {
                Workload = "election", LockFencing = false, ClientPauseEvery = 4, Nemesis = "none", Time = TimeSpan.FromSeconds(20),
                Clients = 4, Rate = 20, Expected = Validity.Invalid,
            }),
        ("election-fenced-faults", "fenced election under partitions and kill -9 of the leader, leaders stalling too",
            o => o with
            {
                Workload = "election", LockFencing = true, ClientPauseEvery = 10, Nemesis = "partition-isolate-leader,kill-leader,partition-random-halves",
                Time = TimeSpan.FromSeconds(60), Clients = 4, Rate = 20, Expected = Validity.Valid,
            }),
        ("watch-faults", "watchers follow a prefix across leader kills and partitions; every watcher must see the same events",
            o => o with
            {
                Workload = "watch", Nemesis = "kill-leader,partition-isolate-leader,kill-random,partition-random-halves",
                Time = TimeSpan.FromSeconds(40), Interval = TimeSpan.FromSeconds(4), FaultDuration = TimeSpan.FromSeconds(5), Expected = Validity.Valid,
            }),
    ];

    public static IEnumerable<(string Name, string Description)> All => Entries.Select(e => (e.Name, e.Description));

    /// <exception cref="ArgumentException">An unknown scenario name.</exception>
    public static RunOptions Apply(string name, RunOptions options)
    {
        foreach (var entry in Entries)
        {
            if (entry.Name == name)
                return entry.Apply(options) with { Scenario = name };
        }

        throw new ArgumentException($"Unknown scenario '{name}'. Known: {string.Join(", ", Entries.Select(e => e.Name))}.");
    }
}
