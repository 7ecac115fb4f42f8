using System.Text;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>Keys: non-empty UTF-8 up to 1 KiB, no control characters, no unpaired surrogates.</summary>
internal static class KeyValidation
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
