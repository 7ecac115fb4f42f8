namespace GlobalZone.StateMachine;

// Change notifications for lease and lock changes. Collected during apply (under the write lock) and raised after
// it, on the applier, so handlers see the state that caused them and never run under the lock.
public sealed partial class KeyValueStateMachine
{
    private readonly List<Action> pendingNotifications = new();

    /// <summary>A lease was granted or renewed at the index in the record; counts down from now. Must not block.</summary>
    public event Action<LeaseRecord>? LeaseRenewed;

    /// <summary>A lease was revoked or expired. Must not block.</summary>
    public event Action<long>? LeaseEnded;

    /// <summary>A lock's holder or queue changed; the record is null once the lock is free and unqueued. Must not block.</summary>
    public event Action<string, LockRecord?>? LockChanged;

    private void Notify(Action notification) => pendingNotifications.Add(notification);

    private void DispatchNotifications()
    {
        if (pendingNotifications.Count == 0)
            return;
        var batch = pendingNotifications.ToArray();
        pendingNotifications.Clear();
        foreach (var notification in batch)
            notification();
    }
}
