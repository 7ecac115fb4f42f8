namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// The runbook's replacement of a failed member, under load (see <see cref="MemberReplacement"/>): a follower voter is
/// killed, wiped, removed and replaced by a fresh member in its site. Healing has nothing to undo: the group is whole
/// again, with the newcomer.
/// </summary>
internal sealed class ReplaceMemberNemesis : INemesis
{
    public string Name => "replace-member";

    public bool NeedsPartitioner => false;

    public async Task<string> InjectAsync(NemesisContext context, CancellationToken token)
    {
        var victim = await VictimChoice.ChooseAsync(Victim.Follower, context, token).ConfigureAwait(false);
        if (victim.IsWitness)
            throw new InvalidOperationException("no follower voter to replace");
        return await MemberReplacement.ReplaceAsync(context, victim, token).ConfigureAwait(false);
    }

    public Task HealAsync(NemesisContext context, CancellationToken token) => Task.CompletedTask;
}
