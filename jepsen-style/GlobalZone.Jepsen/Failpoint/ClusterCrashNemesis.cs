namespace GlobalZone.Jepsen.Failpoint;

/// <summary>Every member killed with <c>kill -9</c> at once (a power cut); healing starts them all again.</summary>
internal sealed class ClusterCrashNemesis : INemesis
{
    private readonly KilledMembers killed = new();

    public string Name => "crash-cluster";

    public bool NeedsPartitioner => false;

    public Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        foreach (var member in context.Cluster.Members.Where(m => context.Cluster.Process(m).IsRunning))
            killed.Kill(context, member);
        return Task.FromResult(killed.Description);
    }

    public Task HealAsync(NemesisContext context, CancellationToken token) => killed.RestartAllAsync(context);
}
