namespace GlobalZone.Storage;

/// <summary>
/// The local storage failed (an I/O error, a full disk, FASTER refusing an operation): a fault of this member, not of
/// the command being applied. Other members apply the same command fine, so this member must stop applying and
/// serving rather than record an outcome the others do not.
/// </summary>
public sealed class StorageFaultException(string message, Exception? inner = null) : IOException(message, inner);
