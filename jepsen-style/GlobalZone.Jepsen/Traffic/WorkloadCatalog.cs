using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>Every workload by name, with the checker that judges its histories.</summary>
internal static class WorkloadCatalog
{
    public static IEnumerable<(string Name, string Description)> All =>
    [
        ("register", "reads, writes and compare-and-sets of small integers over rotating keys; checked for linearizability"),
        ("set", "unique additions, then one final listing; checked for lost, unexpected and duplicated elements"),
        ("lock", "acquire a lock, increment a counter it protects, release; --lock-fencing on|off; --client-pause-every N stalls holders past their lease"),
        ("rwlock", "take a reader-writer lock (a quarter as writers, who increment a fenced counter), look at its grants, release; checked for legal states and growing tokens"),
        ("semaphore", "take one of a semaphore's 3 permits, look at its grants, release; checked for at most 3 holders and growing tokens"),
        ("election", "campaign (lock + fenced leader key), act three times as leader, resign; --lock-fencing on|off; --client-pause-every N stalls leaders past their lease"),
        ("watch", "puts under a prefix while watchers (SSE) follow it across faults; every watcher must see the same ordered events, without gaps"),
    ];

    /// <exception cref="ArgumentException">An unknown workload.</exception>
    public static IWorkload Create(string name, WorkloadSettings settings) => name switch
    {
        "register" => new RegisterWorkload(new KeyRotation(RegisterWorkload.KeyPrefix, settings.Keys, settings.OperationsPerKey)),
        "set" => new SetWorkload(),
        "lock" => new LockWorkload(settings),
        "rwlock" => new SharedLockWorkload(settings, semaphore: false),
        "semaphore" => new SharedLockWorkload(settings, semaphore: true),
        "watch" => new WatchWorkload(settings.Keys),
        "election" => new ElectionWorkload(settings),
        _ => throw Unknown(name),
    };

    /// <exception cref="ArgumentException">An unknown workload.</exception>
    public static IHistoryValidator Validator(string name) => name switch
    {
        "register" => new RegisterValidator(),
        "set" => new SetChecker(),
        "lock" => new LockChecker(),
        "rwlock" => new SharedLockChecker(semaphore: false),
        "semaphore" => new SharedLockChecker(semaphore: true),
        "watch" => new WatchChecker(),
        "election" => new ElectionChecker(),
        _ => throw Unknown(name),
    };

    private static ArgumentException Unknown(string name) =>
        new($"Unknown workload '{name}'. Known: {string.Join(", ", All.Select(w => w.Name))}.");
}
