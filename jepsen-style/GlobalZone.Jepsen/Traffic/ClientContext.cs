using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// One concurrent client of a run: the Jepsen process id its operations carry, the member it talks to, its random
/// source, and the shared recorder and HTTP client. One operation at a time per client.
/// </summary>
internal sealed class ClientContext(int index, int processStride, ClientRoute route, GzHttpClient http, HistoryRecorder recorder, Random random, WorkloadSettings settings)
{
    /// <summary>Position of the client (0..clients-1).</summary>
    public int Index { get; } = index;

    /// <summary>
    /// The process id of the client's next operation. A process has at most one call in flight and an indeterminate
    /// call never ends, so after one the client goes on as a new process (Jepsen's rule).
    /// </summary>
    public int Process { get; private set; } = index;

    public GzHttpClient Http { get; } = http;

    public HistoryRecorder Recorder { get; } = recorder;

    public Random Random { get; } = random;

    public WorkloadSettings Settings { get; } = settings;

    public MemberSpec Target(CallPurpose purpose) => route.Current(purpose);

    /// <summary>Moves to another member when the answer says this one is unusable.</summary>
    public void Observe(CallPurpose purpose, CallResult call)
    {
        if (call.Outcome.CallsForFailover())
            route.FailOver(purpose);
    }

    /// <summary>The last operation was indeterminate: continue as a fresh process.</summary>
    public void Crashed() => Process += processStride;
}
