using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>A workload with observers that run beside the clients for the whole run (e.g. watchers).</summary>
internal interface IObservingWorkload : IWorkload
{
    /// <summary>Starts the observers before traffic begins; <see cref="IWorkload.FinalReadsAsync"/> lets them catch up and stops them.</summary>
    /// <param name="transport">Their connection handler (the cluster's CA trusted, signed in when the run is secure); the workload owns it.</param>
    void StartObservers(IReadOnlyList<MemberSpec> voters, HistoryRecorder recorder, RunLog log, HttpMessageHandler transport, CancellationToken abort);
}
