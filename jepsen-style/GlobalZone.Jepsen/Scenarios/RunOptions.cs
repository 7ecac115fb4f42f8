using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Scenarios;

/// <summary>Everything that defines one run. Defaults are those of <c>gz-jepsen run</c>.</summary>
internal sealed record RunOptions
{
    /// <summary>The named scenario these options came from, if any.</summary>
    public string? Scenario { get; init; }

    /// <summary>What the scenario expects the verdict to be (e.g. the stale-read proof expects invalid).</summary>
    public Validity? Expected { get; init; }

    public string Workload { get; init; } = "register";

    /// <summary>The <c>--nemesis</c> specification (see <see cref="Failpoint.NemesisCatalog"/>).</summary>
    public string Nemesis { get; init; } = "partition-random-halves";

    /// <summary>How long clients issue operations.</summary>
    public TimeSpan Time { get; init; } = TimeSpan.FromSeconds(60);

    public string Layout { get; init; } = "2+2+1";

    public int Clients { get; init; } = 10;

    /// <summary>Target operations per second over all clients.</summary>
    public double Rate { get; init; } = 100;

    /// <summary>Plain reads use <c>?consistency=stale</c>.</summary>
    public bool StaleReads { get; init; }

    /// <summary>
    /// Plain reads all go to one follower (which <c>partition-isolate-follower</c> then cuts off) while updates go to the
    /// other voters: the set-up that exposes stale reads.
    /// </summary>
    public bool ReadFromIsolatedMember { get; init; }

    /// <summary>Quiet time before each fault.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long each fault lasts.</summary>
    public TimeSpan FaultDuration { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>A call without an answer by then is indeterminate (info).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Register keys in use at once.</summary>
    public int Keys { get; init; } = 5;

    /// <summary>Operations per register key before a fresh key replaces it.</summary>
    public int OperationsPerKey { get; init; } = 200;

    /// <summary>Lock workload: protected writes carry the fencing token.</summary>
    public bool LockFencing { get; init; } = true;

    /// <summary>Lock workload: every Nth critical section stalls past its lease (0 = never).</summary>
    public int ClientPauseEvery { get; init; }

    /// <summary>Lock workload: how long a stalled holder stalls.</summary>
    public TimeSpan ClientPause { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Lock workload: each client's lease TTL.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Background writers put values near the value limit and transactions at the request limit into keys of their
    /// own beside the workload; a second check (big-values) verifies them after healing.
    /// </summary>
    public bool BigValues { get; init; }

    /// <summary>
    /// The cluster runs with security on, as production would: https with mutual TLS between members, and
    /// authentication on (user root); every harness client signs in and sends a bearer token. Not with the watch
    /// workload or the peer-failpoint nemeses yet (refused with a message).
    /// </summary>
    public bool Secure { get; init; }

    /// <summary>
    /// TEST-ONLY: members start with <c>GlobalZone:Testing:AcknowledgeBeforePersisting</c>, so their Raft log counts and
    /// acknowledges entries before they are on disk. Only the harness's own proof runs set it: they show that a fault
    /// (<c>kill-after-ack</c>) catches the loss it exists to catch.
    /// </summary>
    public bool UnsafeAcknowledgeBeforePersisting { get; init; }

    /// <summary>MiB of state loaded before traffic starts (0 = none).</summary>
    public int PreloadMegabytes { get; init; }

    /// <summary>Time the checker may spend before answering unknown.</summary>
    public TimeSpan CheckBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Seeds every random choice of the harness (not the cluster's own timing, which no seed controls).</summary>
    public int Seed { get; init; } = Environment.TickCount & 0xFFFF;

    /// <summary>Parent folder of the run's results folder.</summary>
    public string OutputRoot { get; init; } = Path.Combine("jepsen-style", "results");

    /// <summary>Keep the members' data folders after the run (they are deleted otherwise; logs are always kept).</summary>
    public bool KeepData { get; init; }
}
