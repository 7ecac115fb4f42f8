namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// A string value per key supporting get (read), put (write) and append; an absent key reads as "".
/// </summary>
public sealed class KvAppendModel : Model<string>
{
    /// <inheritdoc />
    public override string InitialState => "";

    /// <inheritdoc />
    public override bool Supports(OperationKind kind) =>
        kind is OperationKind.Read or OperationKind.Write or OperationKind.Append;

    /// <inheritdoc />
    public override bool Step(string state, Operation operation, out string next)
    {
        switch (operation.Kind)
        {
            case OperationKind.Read:
                next = state;
                // A null output means "absent", which this model spells "".
                return operation.Status != OperationStatus.Ok
                    || string.Equals(operation.Output ?? "", state, StringComparison.Ordinal);

            case OperationKind.Write:
                next = operation.Input ?? "";
                return true;

            case OperationKind.Append:
                next = string.Concat(state, operation.Input);
                return true;

            default:
                throw new ArgumentException($"A key/value store has no {operation.Kind} operation.", nameof(operation));
        }
    }

    /// <inheritdoc />
    public override bool StatesEqual(string left, string right) => string.Equals(left, right, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StateHash(string state) => StringComparer.Ordinal.GetHashCode(state);

    /// <inheritdoc />
    public override string DescribeState(string state) => "\"" + state + "\"";
}
