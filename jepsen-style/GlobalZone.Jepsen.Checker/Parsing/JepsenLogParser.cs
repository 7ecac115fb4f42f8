using System.Globalization;
using System.Text.RegularExpressions;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Reads the register histories Jepsen's etcd test logs, one event a line:
/// <c>INFO  jepsen.util - P	:invoke|:ok|:fail|:info	:read|:write|:cas	VALUE</c>, where VALUE is <c>nil</c>, a
/// value, <c>[OLD NEW]</c> for a compare-and-set, or a keyword such as <c>:timed-out</c> for failures.
/// Other lines (nemesis, set-up) are ignored. <c>:info</c> and missing completions make a call indeterminate;
/// a <c>:fail</c> read (timed out) is kept as failed, and the model drops it as carrying no information.
/// </summary>
public static partial class JepsenLogParser
{
    /// <summary>The key every operation of a single-register log is given.</summary>
    public const string RegisterKey = "register";

    /// <summary>Parses a log file.</summary>
    public static IReadOnlyList<Operation> ParseFile(string path, string key = RegisterKey)
    {
        using var reader = File.OpenText(path);
        return Parse(reader, key, Path.GetFileName(path));
    }

    /// <summary>Parses a log; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="FormatException">A completion without a matching invocation, or an unreadable value.</exception>
    public static IReadOnlyList<Operation> Parse(TextReader reader, string key = RegisterKey, string sourceName = "log")
    {
        var history = new HistoryBuilder();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var match = EventLine().Match(line);
            if (!match.Success)
            {
                continue;
            }
            var location = $"{sourceName}:{lineNumber}";
            var process = int.Parse(match.Groups["process"].ValueSpan, CultureInfo.InvariantCulture);
            var kind = match.Groups["f"].Value switch
            {
                "read" => OperationKind.Read,
                "write" => OperationKind.Write,
                _ => OperationKind.CompareAndSet,
            };
            var value = match.Groups["value"].Value;
            switch (match.Groups["type"].Value)
            {
                case "invoke":
                    if (kind == OperationKind.CompareAndSet)
                    {
                        var (expected, replacement) = ParsePair(value, location);
                        history.Invoke(process, kind, key, replacement, expected);
                    }
                    else
                    {
                        history.Invoke(process, kind, key, kind == OperationKind.Write ? ParseValue(value) : null, null);
                    }
                    break;
                case "ok":
                    history.Complete(process, kind, OperationStatus.Ok, ParseValue(value), null, location);
                    break;
                case "fail":
                    history.Complete(process, kind, OperationStatus.Fail, null, ErrorOf(value), location);
                    break;
                default:
                    history.Complete(process, kind, OperationStatus.Info, null, ErrorOf(value), location);
                    break;
            }
        }
        return history.Build();
    }

    // "nil" is Clojure's null: the key is absent (a read) or no value is given.
    private static string? ParseValue(string value) => value is "nil" or "" ? null : value;

    private static (string? Expected, string? Replacement) ParsePair(string value, string location)
    {
        var pair = PairValue().Match(value);
        if (!pair.Success)
        {
            throw new FormatException($"{location}: a compare-and-set needs [OLD NEW], found \"{value}\".");
        }
        return (ParseValue(pair.Groups["expected"].Value), ParseValue(pair.Groups["replacement"].Value));
    }

    // A failure's reason is a keyword such as :timed-out; other values (a failed cas repeats [OLD NEW]) are not reasons.
    private static string? ErrorOf(string value) => value.StartsWith(':') ? value[1..] : null;

    [GeneratedRegex(@"^INFO\s+jepsen\.util\s+-\s+(?<process>\d+)\s+:(?<type>invoke|ok|fail|info)\s+:(?<f>read|write|cas)\b\s*(?<value>.*?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EventLine();

    [GeneratedRegex(@"^\[\s*(?<expected>[^\s,\]]+)[\s,]+(?<replacement>[^\s,\]]+)\s*\]$", RegexOptions.CultureInvariant)]
    private static partial Regex PairValue();
}
