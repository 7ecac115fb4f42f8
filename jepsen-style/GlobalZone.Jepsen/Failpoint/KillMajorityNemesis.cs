namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// <c>kill -9</c> of two or three random running members at once (in a three-member group, two is a majority; in five,
/// three is): the group loses its quorum, and whatever the survivors and the restarted members hold must still include
/// every acknowledged write. Healing starts them all again on the same data.
/// </summary>
internal sealed class KillMajorityNemesis : INemesis
{
    private readonly KilledMembers killed = new();

    public string Name => "kill-majority";

    public bool NeedsPartitioner => false;

    public Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var running = context.Cluster.Members.Where(m => context.Cluster.Process(m).IsRunning).ToList();
        if (running.Count == 0)
            throw new InvalidOperationException("No member is running.");
        var count = Math.Min(running.Count, 2 + context.Random.Next(2));
        foreach (var member in running.OrderBy(_ => context.Random.Next()).Take(count))
            killed.Kill(context, member);
        return Task.FromResult(killed.Description + " at once");
    }

    public Task HealAsync(NemesisContext context, CancellationToken token) => killed.RestartAllAsync(context);
}
