using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The snapshot as DotNext sees it: known by a checkpoint's index and term, and sent as a small
/// <see cref="SnapshotDescriptor"/> (the state itself travels out of band, see <see cref="SnapshotReceiver"/>).
/// </summary>
internal sealed class DescriptorSnapshot(SnapshotPublisher publisher, long index, long term) : ISnapshot
{
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
        var bytes = publisher.Describe(index, term).Encode();
        using var source = new MemoryStream(bytes, writable: false);
        await writer.CopyFromAsync(source, count: null, token).ConfigureAwait(false);
    }
}
