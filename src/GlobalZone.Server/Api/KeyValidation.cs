using System.Text;
using GlobalZone.Contracts;
using Microsoft.AspNetCore.Http.Features;

namespace GlobalZone.Server.Api;

/// <summary>Keys: non-empty UTF-8 up to 1 KiB, no control characters, no unpaired surrogates.</summary>
internal static class KeyValidation
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Kestrel leaves a percent-encoded sequence that is not valid UTF-8 (e.g. <c>%FF</c>) undecoded in the path,
    /// so such a key would silently become the literal text "%FF". Check the raw request target instead.
    /// </summary>
    public static string? RawTargetProblem(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null)
            return null;
        var path = raw.Split('?', 2)[0];
        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                bytes.Add(Convert.ToByte(path.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(path[i].ToString()));
            }
        }

        try
        {
            StrictUtf8.GetString(bytes.ToArray());
            return null;
        }
        catch (DecoderFallbackException)
        {
            return "The key is not valid UTF-8.";
        }
    }

    public static string? Problem(HttpContext context, string? key) => Problem(key) ?? RawTargetProblem(context);

    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
            return "The key is empty.";
        foreach (var c in key)
        {
            if (char.IsControl(c))
                return "The key contains a control character.";
            if (c == '\uFFFD')
                return "The key is not valid UTF-8.";
        }

        // HTTP clients and servers normalize "." and ".." path segments away, so such a key could be written
        // (in a transaction) but never addressed by URL: refuse it everywhere.
        foreach (var segment in key.Split('/'))
        {
            if (segment is "." or "..")
                return "The key has a '.' or '..' segment, which URLs cannot address.";
        }

        int length;
        try
        {
            length = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            return "The key is not valid UTF-8.";
        }

        return length > Limits.MaxKeyBytes ? $"The key is {length} bytes; the limit is {Limits.MaxKeyBytes}." : null;
    }
}
