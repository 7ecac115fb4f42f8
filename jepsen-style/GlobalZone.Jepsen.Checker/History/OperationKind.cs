namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// What a client asked the system to do. Register histories use Read/Write/CompareAndSet; key/value
/// histories use Read (get), Write (put) and Append. A get is a read and a put is a write: the models
/// give them the same meaning, so one kind each keeps the models and the search simple.
/// </summary>
public enum OperationKind
{
    /// <summary>Read the value (Jepsen <c>:read</c>, kv <c>:get</c>); the result is in <see cref="Operation.Output"/>.</summary>
    Read,

    /// <summary>Overwrite the value with <see cref="Operation.Input"/> (Jepsen <c>:write</c>, kv <c>:put</c>).</summary>
    Write,

    /// <summary>Set the value to <see cref="Operation.Input"/> if it currently equals <see cref="Operation.Expected"/>.</summary>
    CompareAndSet,

    /// <summary>Append <see cref="Operation.Input"/> to the current value.</summary>
    Append,
}
