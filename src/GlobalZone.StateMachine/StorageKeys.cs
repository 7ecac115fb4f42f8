namespace GlobalZone.StateMachine;

/// <summary>
/// One FASTER store holds every kind of record; a one-character prefix says which kind a key is.
/// </summary>
internal static class StorageKeys
{
    public const char UserKeyPrefix = 'k';

    public static string ForUserKey(string key) => string.Concat("k", key);

    public static bool IsUserKey(string storageKey) => storageKey.Length > 0 && storageKey[0] == UserKeyPrefix;

    public static string UserKeyOf(string storageKey) => storageKey[1..];
}
