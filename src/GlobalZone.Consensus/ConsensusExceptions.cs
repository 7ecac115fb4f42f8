namespace GlobalZone.Consensus;

/// <summary>No leader is known or reachable; nothing was done. Safe to retry.</summary>
public sealed class NoLeaderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A write reached a leader, but leadership or the connection was lost before its commit was known: it may or may
/// not have been applied. Retrying with the same Idempotency-Key is safe.
/// </summary>
public sealed class OutcomeUnknownException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The member is the witness, which serves no clients.</summary>
public sealed class WitnessServesNoClientsException() : Exception("This member is the witness of its group and serves no clients; use a voter.");
