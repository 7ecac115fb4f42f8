using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace GlobalZone.Consensus;

/// <summary>Reads the term of one log entry (metadata only), which DotNext keeps internal.</summary>
internal sealed class LastLogTermReader : ILogEntryConsumer<IRaftLogEntry, long>
{
    private static readonly LastLogTermReader Instance = new();

    private LastLogTermReader()
    {
    }

    bool ILogEntryConsumer<IRaftLogEntry, long>.LogEntryMetadataOnly => true;

    /// <summary>The index and term of the last entry of <paramref name="log"/> (0, 0 for an empty log).</summary>
    public static async ValueTask<(long Index, long Term)> ReadLastAsync(IPersistentState log, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            var index = log.LastEntryIndex;
            if (index == 0)
                return (0, 0);
            try
            {
                return (index, await log.ReadAsync(Instance, index, index, token).ConfigureAwait(false));
            }
            catch (ArgumentOutOfRangeException) when (attempt < 3)
            {
                // A new leader truncated a conflicting tail between the two reads: read the new last entry.
            }
        }
    }

    ValueTask<long> ILogEntryConsumer<IRaftLogEntry, long>.ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
        => new(entries.Count > 0 ? entries[entries.Count - 1].Term : 0L);
}
