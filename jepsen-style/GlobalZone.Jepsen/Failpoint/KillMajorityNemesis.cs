using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// <c>kill -9</c> of two or three random running members at once (in a three-member group, two is a majority; in five,
/// three is): the group loses its quorum, and whatever the survivors and the restarted members hold must still include
/// every acknowledged write. Healing starts them all again on the same data.
/// </summary>
internal sealed class KillMajorityNemesis : INemesis
{
    private readonly List<MemberSpec> killed = [];

    public string Name => "kill-majority";

    public bool NeedsPartitioner => false;

    public Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var running = context.Cluster.Members.Where(m => context.Cluster.Process(m).IsRunning).ToList();
        if (running.Count == 0)
            throw new InvalidOperationException("No member is running.");
        var count = Math.Min(running.Count, 2 + context.Random.Next(2));
        foreach (var member in running.OrderBy(_ => context.Random.Next()).Take(count))
        {
            context.Cluster.Process(member).Kill();
            killed.Add(member);
        }

        return Task.FromResult("kill -9 " + string.Join(",", killed.Select(m => m.Id)) + " at once");
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
