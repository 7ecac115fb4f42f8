using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>SIGSTOP of one member (a stalled process: its sockets stay open, nothing answers); healing sends SIGCONT.</summary>
internal sealed class PauseNemesis(string name, Victim victim) : INemesis
{
    private readonly List<MemberSpec> paused = [];

    public string Name { get; } = name;

    public bool NeedsPartitioner => false;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var member = await VictimChoice.ChooseAsync(victim, context, token).ConfigureAwait(false);
        context.Cluster.Process(member).Pause();
        paused.Add(member);
        return $"SIGSTOP {member.Id}";
    }

    public Task HealAsync(NemesisContext context, CancellationToken token)
    {
        foreach (var member in paused)
            context.Cluster.Process(member).Resume();
        paused.Clear();
        return Task.CompletedTask;
    }
}
