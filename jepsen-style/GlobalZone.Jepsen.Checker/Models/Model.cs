namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The sequential specification the history is checked against: a start state and a step function that says
/// whether an operation, with the outcome it observed, is possible in a state and what state it leaves.
/// States must be immutable values: the search keeps old states on its backtracking stack and in its cache.
/// A model must also be stateless itself, as keys are searched in parallel with one model instance.
/// </summary>
/// <typeparam name="TState">The model's state type.</typeparam>
public abstract class Model<TState>
{
    /// <summary>The state before any operation (for one key).</summary>
    public abstract TState InitialState { get; }

    /// <summary>Whether the model gives meaning to this kind of call; the checker rejects histories with others.</summary>
    public abstract bool Supports(OperationKind kind);

    /// <summary>
    /// Applies <paramref name="operation"/> to <paramref name="state"/>. Returns false when the operation's observed
    /// outcome is impossible in that state (e.g. a read returning another value).
    /// </summary>
    public abstract bool Step(TState state, Operation operation, out TState next);

    /// <summary>
    /// Whether the operation must be placed in the linearization. Calls that definitely had no effect and observed
    /// nothing (a failed write, a timed-out read) can be dropped, which shrinks the search.
    /// </summary>
    public virtual bool MustBeLinearized(Operation operation) => operation.Status switch
    {
        OperationStatus.Ok => true,
        OperationStatus.Fail => false,
        // An indeterminate read returned nothing to check; an indeterminate update may have changed the state.
        _ => operation.Kind != OperationKind.Read,
    };

    /// <summary>State equality for the search's memo of visited configurations.</summary>
    public virtual bool StatesEqual(TState left, TState right) => EqualityComparer<TState>.Default.Equals(left, right);

    /// <summary>Hash consistent with <see cref="StatesEqual"/>.</summary>
    public virtual int StateHash(TState state) => state is null ? 0 : EqualityComparer<TState>.Default.GetHashCode(state);

    /// <summary>A short description of a state for counterexample reports.</summary>
    public virtual string DescribeState(TState state) => state?.ToString() ?? "nil";
}
