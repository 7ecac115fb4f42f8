namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The set of operations linearized so far, as a bitset, with a Zobrist hash kept up to date on every change:
/// each operation has a fixed random 64-bit code and the set's hash is the XOR of its members' codes, so adding
/// or removing an operation costs one XOR instead of rehashing the whole bitset.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] codes;

    public LinearizedSet(int operationCount)
    {
        Words = new ulong[(operationCount + 63) / 64];
        codes = new ulong[operationCount];
        // A fixed seed keeps runs reproducible; SplitMix64 gives well-spread, independent-looking codes.
        var seed = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < operationCount; i++)
        {
            seed += 0x9E3779B97F4A7C15UL;
            codes[i] = Mix(seed);
        }
    }

    /// <summary>The bitset: bit i of word i/64 is set when operation i is linearized.</summary>
    public ulong[] Words { get; }

    /// <summary>XOR of the codes of the members.</summary>
    public ulong Hash { get; private set; }

    public void Add(int operation)
    {
        Words[operation >> 6] |= 1UL << (operation & 63);
        Hash ^= codes[operation];
    }

    public void Remove(int operation)
    {
        Words[operation >> 6] &= ~(1UL << (operation & 63));
        Hash ^= codes[operation];
    }

    /// <summary>The SplitMix64 finaliser: a cheap bijection that spreads every input bit over the output.</summary>
    public static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}
