using System.Diagnostics.Metrics;

namespace GlobalZone.Consensus;

/// <summary>
/// Instruments recorded inside the consensus layer, where the events happen (the server's metrics exporter
/// listens to every <c>GlobalZone.*</c> meter). Gauges that only read state live with the exporter instead.
/// </summary>
public static class ConsensusInstruments
{
    public const string MeterName = "GlobalZone.Consensus";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>How long a FASTER checkpoint of the state machine took (it runs on the applier, between entries).</summary>
    public static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>(
        "globalzone.checkpoint.duration", unit: "ms", description: "Duration of FASTER checkpoints of the key/value state");

    /// <summary>How long one group commit of the Raft log took (one FasterLog commit: a write to disk and its flush).</summary>
    public static readonly Histogram<double> LogCommitDuration = Meter.CreateHistogram<double>(
        "globalzone.raft_log.commit.duration", unit: "ms", description: "Duration of one FasterLog commit of the Raft log");

    /// <summary>How many entries one group commit made durable (the batching that keeps writes fast under load).</summary>
    public static readonly Histogram<long> LogCommitEntries = Meter.CreateHistogram<long>(
        "globalzone.raft_log.commit.entries", unit: "{entry}", description: "Entries made durable by one FasterLog commit of the Raft log");
}
