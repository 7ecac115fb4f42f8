using System.Text.Json;

namespace GlobalZone.Client.Internal;

/// <summary>
/// The web defaults (camelCase, case-insensitive reads) as one shared, read-only options instance.
/// .NET 9 has it as <c>JsonSerializerOptions.Web</c>; the client also builds for .NET 8, which does not.
/// </summary>
internal static class WebJson
{
#if NET9_0_OR_GREATER
    public static JsonSerializerOptions Options => JsonSerializerOptions.Web;
#else
    public static JsonSerializerOptions Options { get; } = CreateReadOnly();

    private static JsonSerializerOptions CreateReadOnly()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
#endif
}
