using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>Every workload by name, with the checker that judges its histories.</summary>
internal static class WorkloadCatalog
{
    public static IEnumerable<(string Name, string Description)> All =>
    [
        ("register", "reads, writes and compare-and-sets of small integers over rotating keys; checked for linearizability"),
        ("set", "unique additions, then one final listing; checked for lost, unexpected and duplicated elements"),
    ];

    /// <exception cref="ArgumentException">An unknown workload.</exception>
    public static IWorkload Create(string name, WorkloadSettings settings) => name switch
    {
        "register" => new RegisterWorkload(new KeyRotation(RegisterWorkload.KeyPrefix, settings.Keys, settings.OperationsPerKey)),
        "set" => new SetWorkload(),
        _ => throw Unknown(name),
    };

    /// <exception cref="ArgumentException">An unknown workload.</exception>
    public static IHistoryValidator Validator(string name) => name switch
    {
        "register" => new RegisterValidator(),
        "set" => new SetChecker(),
        _ => throw Unknown(name),
    };

    private static ArgumentException Unknown(string name) =>
        new($"Unknown workload '{name}'. Known: {string.Join(", ", All.Select(w => w.Name))}.");
}
