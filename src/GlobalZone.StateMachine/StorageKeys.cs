namespace GlobalZone.StateMachine;

/// <summary>
/// One FASTER store holds every kind of record; a one-character prefix says which kind a key is.
/// </summary>
internal static class StorageKeys
{
    public const char UserKeyPrefix = 'k';

    /// <summary>A lease, by id.</summary>
    public const char LeasePrefix = 'l';

    /// <summary>A lock, by name.</summary>
    public const char LockPrefix = 'o';

    /// <summary>One waiter of a lock, by lock name and queue position (see <see cref="LockWaiterRecord"/>).</summary>
    public const char LockWaiterPrefix = 'w';

    /// <summary>The remembered outcome of an idempotent write, by its Idempotency-Key.</summary>
    public const char IdempotencyPrefix = 'i';

    /// <summary>A member added after the group formed, by its URL's authority.</summary>
    public const char MemberPrefix = 'n';

    /// <summary>A user (see <see cref="GlobalZone.StateMachine.Auth.AuthUser"/>), by name.</summary>
    public const char AuthUserPrefix = 'u';

    /// <summary>A role (see <see cref="GlobalZone.StateMachine.Auth.AuthRole"/>), by name.</summary>
    public const char AuthRolePrefix = 'r';

    /// <summary>Whether auth is on, and the token secret (see <see cref="GlobalZone.StateMachine.Auth.AuthSettings"/>).</summary>
    public const string AuthSettings = "a";

    /// <summary>The counters (next lease id, last fencing token). Part of snapshots, unlike the meta record.</summary>
    public const string Counters = "c";

    public static string ForUserKey(string key) => string.Concat("k", key);

    public static string UserKeyOf(string storageKey) => storageKey[1..];

    public static string ForLease(long id) => "l" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string ForLock(string name) => string.Concat("o", name);

    public static string ForIdempotencyKey(string key) => string.Concat("i", key);

    public static string ForMember(string authority) => string.Concat("n", authority);

    public static string ForAuthUser(string name) => string.Concat("u", name);

    public static string ForAuthRole(string name) => string.Concat("r", name);

    public static char KindOf(string storageKey) => storageKey.Length > 0 ? storageKey[0] : '\0';
}
