using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary><c>kill -9</c> of one member (no shutdown, no flush); healing starts it again on the same data.</summary>
internal sealed class KillNemesis(string name, Victim victim) : INemesis
{
    private readonly List<MemberSpec> killed = [];

    public string Name { get; } = name;

    public bool NeedsPartitioner => false;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var member = await VictimChoice.ChooseAsync(victim, context, token).ConfigureAwait(false);
        context.Cluster.Process(member).Kill();
        killed.Add(member);
        return $"kill -9 {member.Id}";
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
