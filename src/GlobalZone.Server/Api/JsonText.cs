namespace GlobalZone.Server.Api;

/// <summary>
/// Minifies valid JSON text: drops whitespace outside strings and keeps everything else byte for byte. Stored JSON
/// values are minified so that a transaction's value compare does not depend on the writer's spacing.
/// </summary>
internal static class JsonText
{
    /// <summary>Input must already be valid JSON (see <see cref="JsonValueCheck"/>).</summary>
    public static byte[] Minify(ReadOnlySpan<byte> json)
    {
        var output = new byte[json.Length];
        var length = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                output[length++] = b;
                if (escaped)
                    escaped = false;
                else if (b == (byte)'\\')
                    escaped = true;
                else if (b == (byte)'"')
                    inString = false;
                continue;
            }

            if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                continue;
            if (b == (byte)'"')
                inString = true;
            output[length++] = b;
        }

        return length == output.Length ? output : output.AsSpan(0, length).ToArray();
    }
}
