using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Tests.EndToEnd;

/// <summary>A fact that needs iptables partitions (root on Linux); skipped, saying why, elsewhere.</summary>
public sealed class RequiresPartitionsFactAttribute : FactAttribute
{
    public RequiresPartitionsFactAttribute()
    {
        if (!NetworkPartitioner.IsAvailable(out var reason))
            Skip = reason;
    }
}
