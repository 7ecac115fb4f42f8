using FASTER.core;

namespace GlobalZone.Storage;

/// <summary>Writes keys to FASTER's object log as length-prefixed UTF-8.</summary>
internal sealed class StringKeySerializer : BinaryObjectSerializer<string>
{
    public override void Serialize(ref string obj) => writer.Write(obj);

    public override void Deserialize(out string obj) => obj = reader.ReadString();
}

/// <summary>Writes values to FASTER's object log as length-prefixed bytes.</summary>
internal sealed class ByteArrayValueSerializer : BinaryObjectSerializer<byte[]>
{
    public override void Serialize(ref byte[] obj)
    {
        writer.Write(obj.Length);
        writer.Write(obj);
    }

    public override void Deserialize(out byte[] obj)
    {
        var length = reader.ReadInt32();
        obj = reader.ReadBytes(length);
    }
}
