using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>What final reads need: members to ask, the recorder, and how long they may keep retrying.</summary>
internal sealed class FinalReadContext(IReadOnlyList<MemberSpec> voters, GzHttpClient http, HistoryRecorder recorder, int process, TimeSpan patience, RunLog log)
{
    public IReadOnlyList<MemberSpec> Voters { get; } = voters;

    public GzHttpClient Http { get; } = http;

    public HistoryRecorder Recorder { get; } = recorder;

    /// <summary>The process id final reads use (above every client's).</summary>
    public int Process { get; } = process;

    /// <summary>How long one final read may keep retrying across members before the run gives up on it.</summary>
    public TimeSpan Patience { get; } = patience;

    public RunLog Log { get; } = log;
}
