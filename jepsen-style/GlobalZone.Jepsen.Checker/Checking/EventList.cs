namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The call and return events of one key's operations, sorted by time, as a doubly-linked list over arrays.
/// Linearizing an operation "lifts" its call and return out of the list; backtracking "unlifts" them, which
/// restores the exact previous links because lifts and unlifts happen in stack order.
/// Node i (0 ≤ i &lt; 2n) is the i-th event in time order; node <see cref="Head"/> is a sentinel before all of them.
/// </summary>
internal sealed class EventList
{
    private const int None = -1;

    private readonly int[] next;
    private readonly int[] previous;

    // For a call node, the node of its return; None for return nodes.
    private readonly int[] returnOf;

    // Which operation (index into the key's operation list) each node belongs to.
    private readonly int[] operationOf;

    public EventList(IReadOnlyList<Operation> operations)
    {
        var count = operations.Count;
        var events = new Event[count * 2];
        for (var i = 0; i < count; i++)
        {
            var operation = operations[i];
            events[2 * i] = new Event(operation.InvokeTime, IsReturn: false, i);
            // An indeterminate call may take effect any time after its invocation: its return is at +infinity.
            var returnTime = operation.IsIndeterminate ? long.MaxValue : operation.CompleteTime!.Value;
            events[2 * i + 1] = new Event(returnTime, IsReturn: true, i);
        }
        Array.Sort(events, CompareEvents);

        Head = events.Length;
        next = new int[events.Length + 1];
        previous = new int[events.Length + 1];
        returnOf = new int[events.Length + 1];
        operationOf = new int[events.Length + 1];
        var returnNodeOfOperation = new int[count];
        for (var node = 0; node < events.Length; node++)
        {
            operationOf[node] = events[node].Operation;
            returnOf[node] = None;
            if (events[node].IsReturn)
            {
                returnNodeOfOperation[events[node].Operation] = node;
            }
            next[node] = node + 1 < events.Length ? node + 1 : None;
            previous[node] = node > 0 ? node - 1 : Head;
        }
        for (var node = 0; node < events.Length; node++)
        {
            if (!events[node].IsReturn)
            {
                returnOf[node] = returnNodeOfOperation[events[node].Operation];
            }
        }
        next[Head] = events.Length > 0 ? 0 : None;
        previous[Head] = None;
        returnOf[Head] = None;
        operationOf[Head] = None;
    }

    /// <summary>The sentinel node before the first event.</summary>
    public int Head { get; }

    /// <summary>Whether every event has been lifted, i.e. every operation is linearized.</summary>
    public bool IsEmpty => next[Head] == None;

    /// <summary>The first event still in the list.</summary>
    public int First => next[Head];

    public int Next(int node) => next[node];

    public bool IsCall(int node) => returnOf[node] != None;

    public int OperationOf(int node) => operationOf[node];

    /// <summary>Removes a call node and its return from the list.</summary>
    public void Lift(int call)
    {
        Unlink(call);
        Unlink(returnOf[call]);
    }

    /// <summary>Puts back a call node and its return, undoing the most recent <see cref="Lift"/> still in effect.</summary>
    public void Unlift(int call)
    {
        Relink(returnOf[call]);
        Relink(call);
    }

    private void Unlink(int node)
    {
        next[previous[node]] = next[node];
        if (next[node] != None)
        {
            previous[next[node]] = previous[node];
        }
    }

    private void Relink(int node)
    {
        next[previous[node]] = node;
        if (next[node] != None)
        {
            previous[next[node]] = node;
        }
    }

    // Earlier first; at equal times calls before returns, so operations that merely touch count as concurrent
    // (the lenient reading when a clock is coarse); then by operation for a deterministic order.
    private static int CompareEvents(Event left, Event right)
    {
        var byTime = left.Time.CompareTo(right.Time);
        if (byTime != 0)
        {
            return byTime;
        }
        var byKind = left.IsReturn.CompareTo(right.IsReturn);
        return byKind != 0 ? byKind : left.Operation.CompareTo(right.Operation);
    }

    private readonly record struct Event(long Time, bool IsReturn, int Operation);
}
