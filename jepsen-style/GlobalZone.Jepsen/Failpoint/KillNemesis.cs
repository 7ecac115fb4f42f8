namespace GlobalZone.Jepsen.Failpoint;

/// <summary><c>kill -9</c> of one member (no shutdown, no flush); healing starts it again on the same data.</summary>
internal sealed class KillNemesis(string name, Victim victim) : INemesis
{
    private readonly KilledMembers killed = new();

    public string Name { get; } = name;

    public bool NeedsPartitioner => false;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var member = await VictimChoice.ChooseAsync(victim, context, token).ConfigureAwait(false);
        killed.Kill(context, member);
        return $"kill -9 {member.Id}";
    }

    public Task HealAsync(NemesisContext context, CancellationToken token) => killed.RestartAllAsync(context);
}
