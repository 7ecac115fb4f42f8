using GlobalZone.StateMachine;

namespace GlobalZone.Server.Watching;

/// <summary>What a watch or blocking read follows: one key, or every key under a prefix (empty prefix: all keys).</summary>
internal sealed record KeyFilter(string Value, bool IsPrefix)
{
    public bool Matches(string key) => IsPrefix ? key.StartsWith(Value, StringComparison.Ordinal) : key == Value;

    public bool MatchesAny(IReadOnlyList<HistoryEvent> events)
    {
        foreach (var e in events)
        {
            if (Matches(e.Record.Key))
                return true;
        }

        return false;
    }
}
