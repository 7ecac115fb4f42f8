using System.Globalization;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Hands out register keys: a few in use at once, each retired after a fixed number of operations and replaced by a
/// fresh one. Bounding every key's history keeps the linearizability search (exponential in concurrency per key)
/// quick, as Jepsen's independent keys do. Thread-safe.
/// </summary>
internal sealed class KeyRotation
{
    private readonly string prefix;
    private readonly int operationsPerKey;
    private readonly Lock gate = new();
    private readonly string[] active;
    private readonly int[] used;
    private readonly List<string> all = [];

    public KeyRotation(string prefix, int activeKeys, int operationsPerKey)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(activeKeys, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(operationsPerKey, 1);
        this.prefix = prefix;
        this.operationsPerKey = operationsPerKey;
        active = new string[activeKeys];
        used = new int[activeKeys];
        for (var i = 0; i < activeKeys; i++)
            active[i] = Fresh();
    }

    /// <summary>Every key handed out so far, in order.</summary>
    public IReadOnlyList<string> AllKeys
    {
        get
        {
            lock (gate)
                return all.ToArray();
        }
    }

    /// <summary>A key for one more operation.</summary>
    public string Next(Random random)
    {
        lock (gate)
        {
            var slot = random.Next(active.Length);
            if (used[slot] >= operationsPerKey)
            {
                active[slot] = Fresh();
                used[slot] = 0;
            }

            used[slot]++;
            return active[slot];
        }
    }

    private string Fresh()
    {
        var key = prefix + all.Count.ToString(CultureInfo.InvariantCulture);
        all.Add(key);
        return key;
    }
}
