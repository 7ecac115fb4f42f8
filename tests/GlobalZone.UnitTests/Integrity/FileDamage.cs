namespace GlobalZone.UnitTests.Integrity;

/// <summary>Ways a disk or an operator damages a file, for the integrity tests.</summary>
internal static class FileDamage
{
    /// <summary>Inverts one byte at <paramref name="offset"/> (a bit flip that changes the value for sure).</summary>
    public static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        Assert.True(value >= 0, $"{path} has no byte at {offset}");
        stream.Position = offset;
        stream.WriteByte((byte)~value);
    }

    public static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        Assert.True(stream.Length > length, $"{path} is not longer than {length}");
        stream.SetLength(length);
    }
}
