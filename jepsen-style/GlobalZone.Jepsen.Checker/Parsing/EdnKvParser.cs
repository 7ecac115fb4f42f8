using System.Globalization;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Reads key/value histories written as EDN maps, one event a line:
/// <c>{:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|:append, :key "K", :value V}</c>.
/// <c>:read</c>/<c>:write</c>/<c>:cas</c> (value <c>[OLD NEW]</c>) are accepted too. Lines whose process is not an
/// integer (the nemesis) and blank lines are ignored; calls never completed are indeterminate.
/// </summary>
public static class EdnKvParser
{
    /// <summary>Parses a history file.</summary>
    public static IReadOnlyList<Operation> ParseFile(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>Parses a history; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="FormatException">A malformed line or a completion without a matching invocation.</exception>
    public static IReadOnlyList<Operation> Parse(TextReader reader, string sourceName = "history")
    {
        var history = new HistoryBuilder();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var location = $"{sourceName}:{lineNumber}";
            if (EdnReader.Read(line) is not Dictionary<string, object?> fields)
            {
                throw new FormatException($"{location}: expected a map.");
            }
            if (fields.GetValueOrDefault("process") is not long process)
            {
                continue;
            }
            var kind = KindOf(fields.GetValueOrDefault("f"), location);
            var key = TextOf(fields.GetValueOrDefault("key")) ?? "";
            var value = fields.GetValueOrDefault("value");
            var type = fields.GetValueOrDefault("type") is EdnKeyword typeKeyword ? typeKeyword.Name : null;
            switch (type)
            {
                case "invoke" when kind == OperationKind.CompareAndSet:
                    var (expected, replacement) = PairOf(value, location);
                    history.Invoke((int)process, kind, key, replacement, expected);
                    break;
                case "invoke":
                    history.Invoke((int)process, kind, key, kind == OperationKind.Read ? null : TextOf(value), null);
                    break;
                case "ok":
                    history.Complete((int)process, kind, OperationStatus.Ok, TextOf(value), null, location);
                    break;
                case "fail":
                    history.Complete((int)process, kind, OperationStatus.Fail, null, ErrorOf(fields), location);
                    break;
                case "info":
                    history.Complete((int)process, kind, OperationStatus.Info, null, ErrorOf(fields), location);
                    break;
                default:
                    throw new FormatException($"{location}: unknown :type {type ?? "(missing)"}.");
            }
        }
        return history.Build();
    }

    private static OperationKind KindOf(object? function, string location) =>
        (function as EdnKeyword)?.Name switch
        {
            "get" or "read" => OperationKind.Read,
            "put" or "write" => OperationKind.Write,
            "append" => OperationKind.Append,
            "cas" => OperationKind.CompareAndSet,
            _ => throw new FormatException($"{location}: unknown :f {function ?? "(missing)"}."),
        };

    private static (string? Expected, string? Replacement) PairOf(object? value, string location) =>
        value is List<object?> { Count: 2 } pair
            ? (TextOf(pair[0]), TextOf(pair[1]))
            : throw new FormatException($"{location}: a compare-and-set needs [OLD NEW].");

    // Values are compared as text: strings as they are, numbers in invariant form, nil as absent.
    private static string? TextOf(object? value) => value switch
    {
        null => null,
        string text => text,
        long number => number.ToString(CultureInfo.InvariantCulture),
        EdnKeyword keyword => ":" + keyword.Name,
        bool flag => flag ? "true" : "false",
        _ => throw new FormatException($"Unsupported value {value}."),
    };

    // Jepsen puts the reason in :error (e.g. :timed-out); a keyword :value is the older habit.
    private static string? ErrorOf(Dictionary<string, object?> fields) =>
        (fields.GetValueOrDefault("error") ?? fields.GetValueOrDefault("value")) switch
        {
            EdnKeyword keyword => keyword.Name,
            string text => text,
            _ => null,
        };
}
