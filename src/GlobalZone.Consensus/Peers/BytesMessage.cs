using System.Net.Mime;
using DotNext.IO;
using DotNext.Net.Cluster.Messaging;

namespace GlobalZone.Consensus;

/// <summary>A named message with an in-memory binary body, for DotNext's member-to-member messaging.</summary>
internal sealed class BytesMessage(string name, ReadOnlyMemory<byte> content) : IMessage
{
    private static readonly ContentType Octet = new(MediaTypeNames.Application.Octet);

    public string Name => name;

    public ContentType Type => Octet;

    long? IDataTransferObject.Length => content.Length;

    bool IDataTransferObject.IsReusable => true;

    ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token) => writer.Invoke(content, token);

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = content;
        return true;
    }
}
