namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// A network partition made with iptables DROP rules between members' loopback addresses (clients, which connect
/// from 127.0.0.1, are never cut off). Healing removes every cut the run's partitioner holds.
/// </summary>
internal sealed class PartitionNemesis(string name, Func<NemesisContext, CancellationToken, Task<PartitionPlan>> plan) : INemesis
{
    public string Name { get; } = name;

    public bool NeedsPartitioner => true;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var partition = await plan(context, token).ConfigureAwait(false);
        foreach (var (a, b) in partition.Cuts)
            context.Cluster.Partitioner.Cut(a, b);
        return partition.Description;
    }

    public Task HealAsync(NemesisContext context, CancellationToken token)
    {
        context.Cluster.Partitioner.HealAll();
        return Task.CompletedTask;
    }
}
