namespace GlobalZone.Client.Internal;

/// <summary>What a request does, which decides the members it prefers.</summary>
internal enum RequestKind
{
    /// <summary>Reads and watches: members of the caller's site first.</summary>
    Read,

    /// <summary>Writes: the leader first (no forwarding hop), then any voter (it forwards to the leader).</summary>
    Write,
}
