namespace GlobalZone.StateMachine.Commands;

/// <summary>What a compare looks at.</summary>
public enum CompareTarget : byte
{
    Value = 1,
    Version = 2,
    CreateRevision = 3,
    ModRevision = 4,
    Lease = 5,
}

/// <summary>How a compare relates the key's current field to the operand.</summary>
public enum CompareOperator : byte
{
    Equal = 1,
    NotEqual = 2,
    Less = 3,
    Greater = 4,
}

/// <summary>
/// A guard of a transaction. An absent key has version, createRevision, modRevision and lease 0 and no value,
/// so "absent" is <c>CreateRevision == 0</c> (etcd semantics).
/// </summary>
public sealed record Compare(string Key, CompareTarget Target, CompareOperator Operator, long Number = 0, byte[]? Value = null);

/// <summary>The kinds of operation a transaction branch may hold.</summary>
public enum TxnOperationKind : byte
{
    Put = 1,
    Delete = 2,
    DeletePrefix = 3,
    Get = 4,
}

/// <summary>One operation of a transaction branch.</summary>
public sealed record TxnOperation(TxnOperationKind Kind, string Key, byte[]? Value = null, ValueFormat Format = ValueFormat.Json, long Lease = 0);

/// <summary>
/// The one write command for keys: compares guarding a success branch and a failure branch, applied
/// atomically at a single revision. A plain put is a transaction with no compares.
/// </summary>
public sealed record TxnCommand(IReadOnlyList<Compare> Compares, IReadOnlyList<TxnOperation> Success, IReadOnlyList<TxnOperation> Failure) : Command
{
    public override CommandKind Kind => CommandKind.Txn;

    /// <summary>Optional fencing guard, checked before the compares.</summary>
    public Fence? Fence { get; init; }

    public static TxnCommand Put(string key, byte[] value, ValueFormat format = ValueFormat.Json, long lease = 0)
        => new([], [new TxnOperation(TxnOperationKind.Put, key, value, format, lease)], []);

    public static TxnCommand Delete(string key)
        => new([], [new TxnOperation(TxnOperationKind.Delete, key)], []);
}
