using DotNext.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;

namespace GlobalZone.Consensus.Log;

/// <summary>An entry of the log as DotNext reads it (to replicate, or to learn a term): its bytes are in memory.</summary>
internal sealed class StoredEntry(long term, bool isConfiguration, ReadOnlyMemory<byte> payload) : IRaftLogEntry
{
    public long Term { get; } = term;

    public bool IsConfiguration { get; } = isConfiguration;

    bool IDataTransferObject.IsReusable => true;

    long? IDataTransferObject.Length => payload.Length;

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = payload;
        return true;
    }

    ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        => writer.WriteAsync(payload, lengthFormat: null, token);

    ValueTask<TResult> IDataTransferObject.TransformAsync<TResult, TTransformation>(TTransformation transformation, CancellationToken token)
        => transformation.TransformAsync(new SequenceReader(payload), token);
}
