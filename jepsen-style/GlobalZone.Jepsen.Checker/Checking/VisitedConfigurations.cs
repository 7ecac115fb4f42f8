namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Lowe's memo: the (linearized set, model state) pairs the search has already entered. Reaching a pair again
/// means the same future is being explored twice, so the search skips it. An open-addressing hash table whose
/// bitsets live back to back in one array, to keep millions of entries cheap.
/// </summary>
internal sealed class VisitedConfigurations<TState>
{
    private readonly Model<TState> model;
    private readonly int wordsPerSet;
    private ulong[] sets;
    private TState[] states;
    private ulong[] hashes;

    // Slot -> entry number + 1; 0 marks an empty slot. Its length is a power of two kept above twice the count.
    private int[] slots;

    public VisitedConfigurations(Model<TState> model, int wordsPerSet)
    {
        this.model = model;
        this.wordsPerSet = wordsPerSet;
        const int initialCapacity = 1024;
        sets = new ulong[initialCapacity * wordsPerSet];
        states = new TState[initialCapacity];
        hashes = new ulong[initialCapacity];
        slots = new int[initialCapacity * 2];
    }

    public int Count { get; private set; }

    /// <summary>Adds the pair unless it is already present; returns whether it was added.</summary>
    public bool Add(LinearizedSet linearized, TState state)
    {
        var hash = LinearizedSet.Mix(linearized.Hash ^ ((ulong)(uint)model.StateHash(state) * 0x9E3779B97F4A7C15UL));
        var words = linearized.Words.AsSpan();
        var mask = slots.Length - 1;
        var slot = (int)hash & mask;
        while (slots[slot] != 0)
        {
            var entry = slots[slot] - 1;
            if (hashes[entry] == hash
                && sets.AsSpan(entry * wordsPerSet, wordsPerSet).SequenceEqual(words)
                && model.StatesEqual(states[entry], state))
            {
                return false;
            }
            slot = (slot + 1) & mask;
        }

        if (Count == states.Length)
        {
            GrowEntries();
        }
        words.CopyTo(sets.AsSpan(Count * wordsPerSet, wordsPerSet));
        states[Count] = state;
        hashes[Count] = hash;
        slots[slot] = ++Count;
        if (Count * 2 > slots.Length)
        {
            GrowSlots();
        }
        return true;
    }

    private void GrowEntries()
    {
        var capacity = states.Length * 2;
        Array.Resize(ref sets, capacity * wordsPerSet);
        Array.Resize(ref states, capacity);
        Array.Resize(ref hashes, capacity);
    }

    private void GrowSlots()
    {
        slots = new int[slots.Length * 2];
        var mask = slots.Length - 1;
        for (var entry = 0; entry < Count; entry++)
        {
            var slot = (int)hashes[entry] & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }
            slots[slot] = entry + 1;
        }
    }
}
