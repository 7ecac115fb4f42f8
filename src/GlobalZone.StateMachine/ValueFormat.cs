namespace GlobalZone.StateMachine;

/// <summary>How a stored value's bytes are to be read.</summary>
public enum ValueFormat : byte
{
    /// <summary>UTF-8 JSON text of any JSON value.</summary>
    Json = 0,

    /// <summary>Opaque bytes.</summary>
    Raw = 1,
}
