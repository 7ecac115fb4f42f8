using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GlobalZone.DeployTests;

/// <summary>Finds and reads the files under <c>deploy/</c>: YAML (with merge keys) and JSON as JSON nodes.</summary>
internal static class DeployFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(RepositoryRoot, "deploy", relative);

    public static string Text(string relative) => File.ReadAllText(Path(relative));

    public static JsonNode Json(string relative) => JsonNode.Parse(Text(relative))!;

    /// <summary>Every document of a YAML file, merge keys (<c>&lt;&lt;: *anchor</c>) resolved, scalars as strings.</summary>
    public static List<JsonNode> Yaml(string relative)
    {
        using var reader = new StringReader(Text(relative));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return stream.Documents.Select(d => ToJson(d.RootNode)!).ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Value: null or "" } scalar when scalar.Style == ScalarStyle.Plain => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidDataException($"Unexpected YAML node {node.NodeType}"),
    };

    /// <summary>KEY=VALUE lines (systemd environment files), comments and blank lines skipped.</summary>
    public static Dictionary<string, string> EnvironmentFile(string relative)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path(relative)).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var equals = line.IndexOf('=');
            Assert.True(equals > 0, $"{relative}: '{line}' is not KEY=VALUE");
            values.Add(line[..equals], line[(equals + 1)..]);
        }

        return values;
    }

    public static string AsString(this JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString() ?? "";

    /// <summary>Above the test binaries, or (built elsewhere, e.g. with --artifacts-path) above this source file.</summary>
    private static string FindRoot([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Path.GetDirectoryName(sourceFile) ?? "" })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "GlobalZone.sln")))
                dir = dir.Parent;
            if (dir is not null)
                return dir.FullName;
        }

        throw new DirectoryNotFoundException("GlobalZone.sln not found above " + AppContext.BaseDirectory + " or " + sourceFile);
    }
}
