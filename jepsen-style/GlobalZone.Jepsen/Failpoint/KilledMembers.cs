using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// The members a process nemesis killed with <c>kill -9</c>, remembered until its heal starts them again on the same
/// data (a member something else already restarted is left alone).
/// </summary>
internal sealed class KilledMembers
{
    private readonly List<MemberSpec> killed = [];

    public void Kill(NemesisContext context, MemberSpec member)
    {
        context.Cluster.Process(member).Kill();
        killed.Add(member);
    }

    /// <summary>"kill -9 a,b" for the fault's description.</summary>
    public string Description => "kill -9 " + string.Join(",", killed.Select(m => m.Id));

    public Task RestartAllAsync(NemesisContext context)
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
