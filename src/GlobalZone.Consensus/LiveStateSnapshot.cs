using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GlobalZone.StateMachine;

namespace GlobalZone.Consensus;

/// <summary>
/// The snapshot DotNext sends to a member that is too far behind. It is known by the newest checkpoint's index
/// and term (what the WAL was trimmed to), and each transfer dumps the live state, which reflects that index or
/// later committed entries; the receiver skips those entries when they arrive again (see
/// <see cref="KeyValueStateMachine.InstallSnapshotAsync"/>).
/// </summary>
/// <remarks>
/// DotNext 6.12 cannot finish catching up a member whose first install outlived the leader's RPC timeout: the
/// member did install it, so it refuses the same index again, and the leader keeps resending it. When this
/// snapshot has been sent several times in a short while, <see cref="ResentTooOften"/> asks for a new checkpoint,
/// whose higher index the member accepts.
/// </remarks>
internal sealed class LiveStateSnapshot(KeyValueStateMachine state, long index, long term, string scratchDirectory, Action? resentTooOften = null) : ISnapshot
{
    private const int ResendLimit = 3;
    private int transfers;

    /// <summary>True once this snapshot has been streamed more than a few times.</summary>
    public bool ResentTooOften => Volatile.Read(ref transfers) > ResendLimit;

    public long Index => index;

    public long Term => term;

    public DateTimeOffset Timestamp { get; } = DateTimeOffset.UtcNow;

    public bool IsConfiguration => false;

    public int? CommandId => null;

    long? IDataTransferObject.Length => null;

    bool IDataTransferObject.IsReusable => true;

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        if (Interlocked.Increment(ref transfers) == ResendLimit + 1)
            resentTooOften?.Invoke();
        // Dump under the state's read lock into a local file first, so applies are held up only for the local
        // disk write, not for the network transfer.
        Directory.CreateDirectory(scratchDirectory);
        var path = Path.Combine(scratchDirectory, $"outgoing-{Guid.NewGuid():N}.snap");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                state.WriteSnapshot(file);

            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            await writer.CopyFromAsync(source, count: null, token).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
