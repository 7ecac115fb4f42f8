using GlobalZone.Jepsen.Cluster;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>What nemeses act on: the cluster, the run's seeded random source, and the log.</summary>
internal sealed class NemesisContext(ClusterUnderTest cluster, Random random, RunLog log)
{
    public ClusterUnderTest Cluster { get; } = cluster;

    public Random Random { get; } = random;

    public RunLog Log { get; } = log;
}
