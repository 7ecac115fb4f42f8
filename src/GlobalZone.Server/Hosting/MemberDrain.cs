namespace GlobalZone.Server.Hosting;

/// <summary>
/// Whether this member is stopping. From the stop signal on (before a leader hands over, see
/// <see cref="HandOffFirstLifetime"/>), or from the application's stopping if it stops another way, the member answers
/// client requests with 503 <c>member-stopping</c> (<see cref="StoppingMemberGuard"/>) and <c>/readyz</c> says
/// <c>stopping</c>, so clients and load balancers move to another member at once instead of waiting on one whose Raft
/// member is about to stop answering (measured before: a linearizable read sent to a member stopping on SIGTERM hung
/// until the client's 3 s timeout).
/// </summary>
internal sealed class MemberDrain
{
    private int draining;

    public MemberDrain(IHostApplicationLifetime lifetime)
        => lifetime.ApplicationStopping.Register(Begin);

    public bool IsDraining => Volatile.Read(ref draining) != 0;

    public void Begin() => Volatile.Write(ref draining, 1);
}
