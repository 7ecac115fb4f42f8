namespace GlobalZone.DataTools;

/// <summary>An offline tool refused or failed; the message says why and what to do (shown to the operator as is).</summary>
public sealed class DataToolException(string message, Exception? inner = null) : Exception(message, inner);
