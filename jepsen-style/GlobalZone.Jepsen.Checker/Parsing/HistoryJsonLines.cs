using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// The harness's own history format: JSON lines, one <see cref="Operation"/> a line, e.g.
/// <c>{"process":3,"kind":"cas","key":"x","input":"2","expected":"1","status":"fail","invokeTime":..,"invokeIndex":4,"completeTime":..,"completeIndex":7}</c>.
/// Kinds are read, write, cas and append ("get" and "put" are read as read and write); statuses ok, fail, info.
/// Null members are left out.
/// </summary>
public static class HistoryJsonLines
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new OperationKindJsonConverter(), new JsonStringEnumConverter<OperationStatus>(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>One operation as one line of JSON (no line break).</summary>
    public static string Serialize(Operation operation) => JsonSerializer.Serialize(operation, Options);

    /// <summary>One line of JSON back into an operation.</summary>
    /// <exception cref="JsonException">The line is not an operation.</exception>
    public static Operation Deserialize(string line) =>
        JsonSerializer.Deserialize<Operation>(line, Options) ?? throw new JsonException("Expected an operation, found null.");

    /// <summary>Writes the operations, one a line.</summary>
    public static void Write(TextWriter writer, IEnumerable<Operation> operations)
    {
        foreach (var operation in operations)
        {
            writer.WriteLine(Serialize(operation));
        }
    }

    /// <summary>Reads operations, one a line, skipping blank lines.</summary>
    /// <exception cref="FormatException">A line that is not an operation, with its line number.</exception>
    public static IReadOnlyList<Operation> Read(TextReader reader)
    {
        var operations = new List<Operation>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                operations.Add(Deserialize(line));
            }
            catch (JsonException exception)
            {
                throw new FormatException($"Line {lineNumber}: {exception.Message}", exception);
            }
        }
        return operations;
    }

    /// <summary>Writes a history file.</summary>
    public static void WriteFile(string path, IEnumerable<Operation> operations)
    {
        using var writer = File.CreateText(path);
        Write(writer, operations);
    }

    /// <summary>Reads a history file.</summary>
    public static IReadOnlyList<Operation> ReadFile(string path)
    {
        using var reader = File.OpenText(path);
        return Read(reader);
    }
}
