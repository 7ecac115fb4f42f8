namespace GlobalZone.StateMachine;

/// <summary>What a lock name stands for. Values are stored: never reuse one.</summary>
public enum LockKind : byte
{
    /// <summary>One holder at a time.</summary>
    Exclusive = 0,

    /// <summary>Any number of readers, or one writer.</summary>
    ReaderWriter = 1,

    /// <summary>Up to <see cref="LockRecord.Limit"/> holders.</summary>
    Semaphore = 2,
}

/// <summary>How a lease asks for (and then holds) a lock. Values are stored and in the log: never reuse one.</summary>
public enum LockMode : byte
{
    Exclusive = 0,
    Read = 1,
    Write = 2,

    /// <summary>One of a semaphore's permits.</summary>
    Permit = 3,
}

/// <summary>Which kind of lock a mode asks for.</summary>
public static class LockModes
{
    public static LockKind KindOf(LockMode mode) => mode switch
    {
        LockMode.Read or LockMode.Write => LockKind.ReaderWriter,
        LockMode.Permit => LockKind.Semaphore,
        _ => LockKind.Exclusive,
    };
}
