namespace GlobalZone.Jepsen.Checker;

/// <summary>Handle to a call recorded by <see cref="HistoryRecorder.Invoke"/> that has not been completed yet.</summary>
/// <param name="Slot">Position of the call in the recorder's list.</param>
public readonly record struct PendingOperation(int Slot);
