namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// A single read/write/compare-and-set register (per key); the state is its value, null while absent.
/// </summary>
public sealed class RegisterModel : Model<string?>
{
    /// <inheritdoc />
    public override string? InitialState => null;

    /// <inheritdoc />
    public override bool Supports(OperationKind kind) =>
        kind is OperationKind.Read or OperationKind.Write or OperationKind.CompareAndSet;

    /// <inheritdoc />
    public override bool MustBeLinearized(Operation operation) =>
        // A failed compare-and-set is a real read of the register: it says the value was not the expected one.
        (operation.Kind == OperationKind.CompareAndSet && operation.Status == OperationStatus.Fail)
        || base.MustBeLinearized(operation);

    /// <inheritdoc />
    public override bool Step(string? state, Operation operation, out string? next)
    {
        switch (operation.Kind)
        {
            case OperationKind.Read:
                next = state;
                // Only completed reads reach here (others are dropped), but an indeterminate one would prove nothing.
                return operation.Status != OperationStatus.Ok || string.Equals(operation.Output, state, StringComparison.Ordinal);

            case OperationKind.Write:
                next = operation.Input;
                return true;

            case OperationKind.CompareAndSet:
                var matches = string.Equals(operation.Expected, state, StringComparison.Ordinal);
                switch (operation.Status)
                {
                    case OperationStatus.Ok:
                        next = operation.Input;
                        return matches;
                    case OperationStatus.Fail:
                        next = state;
                        return !matches;
                    default:
                        // Indeterminate: if it takes effect here it behaves as it would have; "never" is covered by
                        // placing it at the end, where it cannot be observed.
                        next = matches ? operation.Input : state;
                        return true;
                }

            default:
                throw new ArgumentException($"A register has no {operation.Kind} operation.", nameof(operation));
        }
    }

    /// <inheritdoc />
    public override bool StatesEqual(string? left, string? right) => string.Equals(left, right, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StateHash(string? state) => state is null ? 0 : StringComparer.Ordinal.GetHashCode(state);

    /// <inheritdoc />
    public override string DescribeState(string? state) => Operation.FormatValue(state);
}
