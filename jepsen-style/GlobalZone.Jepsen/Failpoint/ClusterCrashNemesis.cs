using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>Every member killed with <c>kill -9</c> at once (a power cut); healing starts them all again.</summary>
internal sealed class ClusterCrashNemesis : INemesis
{
    private readonly List<MemberSpec> killed = [];

    public string Name => "crash-cluster";

    public bool NeedsPartitioner => false;

    public Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        foreach (var member in context.Cluster.Members)
        {
            var process = context.Cluster.Process(member);
            if (!process.IsRunning)
                continue;
            process.Kill();
            killed.Add(member);
        }

        return Task.FromResult("kill -9 " + string.Join(",", killed.Select(m => m.Id)));
    }

    public Task HealAsync(NemesisContext context, CancellationToken token)
    {
        foreach (var member in killed)
        {
            var process = context.Cluster.Process(member);
            if (!process.IsRunning)
                process.Start();
        }

        killed.Clear();
        return Task.CompletedTask;
    }
}
