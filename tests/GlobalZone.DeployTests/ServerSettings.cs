using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using GlobalZone.Consensus;
using Microsoft.Extensions.Configuration;

namespace GlobalZone.DeployTests;

/// <summary>
/// What the server reads: the <c>GlobalZone</c> section bound to <see cref="NodeOptions"/> (as NodeHost does), plus
/// the few keys Hosting/Logging.cs reads directly. Lets a test ask whether a key in a deploy file is real.
/// </summary>
internal static class ServerSettings
{
    /// <summary>GlobalZone keys read outside <see cref="NodeOptions"/> (Hosting/Logging.cs).</summary>
    private static readonly string[] ExtraKeys = ["LogFormat", "LogLevel"];

    /// <summary>True when <paramref name="key"/> (e.g. <c>GlobalZone:Raft:LowerElectionTimeoutMs</c>) names a setting the server reads.</summary>
    public static bool IsKnown(string key)
    {
        var segments = key.Split(':');
        if (!string.Equals(segments[0], NodeOptions.SectionName, StringComparison.Ordinal))
            return false;
        if (segments.Length == 2 && ExtraKeys.Contains(segments[1], StringComparer.OrdinalIgnoreCase))
            return true;
        var type = typeof(NodeOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                if (!int.TryParse(segment, out _))
                    return false;
                type = type.GetGenericArguments()[0];
                continue;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                type = type.GetGenericArguments()[1];
                continue;
            }

            // The binder matches names ignoring case, and sets init-only properties.
            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
                return false;
            type = property.PropertyType;
        }

        return type.IsPrimitive || type == typeof(string) || type == typeof(decimal) || Nullable.GetUnderlyingType(type) is not null || type.IsEnum;
    }

    /// <summary>"A:B:0:C" keys of a JSON configuration file, as Microsoft.Extensions.Configuration flattens it.</summary>
    public static List<KeyValuePair<string, string?>> Flatten(JsonNode node, string prefix = "")
    {
        var result = new List<KeyValuePair<string, string?>>();
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                    result.AddRange(child is null ? [KeyValuePair.Create<string, string?>(Join(prefix, name), null)] : Flatten(child, Join(prefix, name)));
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    result.AddRange(Flatten(array[i]!, Join(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                break;
            default:
                result.Add(KeyValuePair.Create<string, string?>(prefix, node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString()));
                break;
        }

        return result;
    }

    /// <summary>Environment variable names as .NET configuration reads them (<c>__</c> is the section separator).</summary>
    public static string EnvironmentKey(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Binds settings exactly as NodeHost does and validates them (throws what the server would throw).</summary>
    public static NodeOptions BindAndValidate(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>() ?? new NodeOptions();
        options.Validate();
        return options;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + ":" + name;
}
