using System.Globalization;
using System.Text;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Just enough of an EDN reader for Jepsen history lines: maps, vectors and lists, strings, keywords, integers,
/// booleans and nil. Maps come back as dictionaries keyed by the key's text (<c>:process</c> → "process"),
/// vectors and lists as <see cref="List{T}"/>, keywords as <see cref="EdnKeyword"/>, integers as <see cref="long"/>.
/// </summary>
internal sealed class EdnReader
{
    private readonly string text;
    private int position;

    private EdnReader(string text) => this.text = text;

    /// <summary>Reads the single value in <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text is not one well-formed value of the supported kinds.</exception>
    public static object? Read(string text)
    {
        var reader = new EdnReader(text);
        var value = reader.ReadValue();
        reader.SkipWhitespace();
        if (reader.position != text.Length)
        {
            throw reader.Error("unexpected text after the value");
        }
        return value;
    }

    private object? ReadValue()
    {
        SkipWhitespace();
        if (position >= text.Length)
        {
            throw Error("unexpected end of input");
        }
        switch (text[position])
        {
            case '{':
                position++;
                return ReadMap();
            case '[':
                position++;
                return ReadSequence(']');
            case '(':
                position++;
                return ReadSequence(')');
            case '"':
                position++;
                return ReadString();
            case ':':
                position++;
                return new EdnKeyword(ReadToken());
            default:
                return ReadAtom(ReadToken());
        }
    }

    private Dictionary<string, object?> ReadMap()
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (position < text.Length && text[position] == '}')
            {
                position++;
                return map;
            }
            var key = ReadValue() switch
            {
                EdnKeyword keyword => keyword.Name,
                string name => name,
                var other => throw Error($"unsupported map key {other}"),
            };
            map[key] = ReadValue();
        }
    }

    private List<object?> ReadSequence(char closing)
    {
        var items = new List<object?>();
        while (true)
        {
            SkipWhitespace();
            if (position < text.Length && text[position] == closing)
            {
                position++;
                return items;
            }
            items.Add(ReadValue());
        }
    }

    private string ReadString()
    {
        var value = new StringBuilder();
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == '"')
            {
                return value.ToString();
            }
            if (c != '\\')
            {
                value.Append(c);
                continue;
            }
            if (position >= text.Length)
            {
                break;
            }
            var escaped = text[position++];
            value.Append(escaped switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                _ => escaped,
            });
        }
        throw Error("unterminated string");
    }

    private string ReadToken()
    {
        var start = position;
        while (position < text.Length && !IsDelimiter(text[position]))
        {
            position++;
        }
        if (position == start)
        {
            throw Error("empty token");
        }
        return text[start..position];
    }

    private object? ReadAtom(string token)
    {
        switch (token)
        {
            case "nil":
                return null;
            case "true":
                return true;
            case "false":
                return false;
        }
        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }
        throw Error($"unsupported token \"{token}\"");
    }

    // EDN treats commas as whitespace.
    private void SkipWhitespace()
    {
        while (position < text.Length && (char.IsWhiteSpace(text[position]) || text[position] == ','))
        {
            position++;
        }
    }

    private static bool IsDelimiter(char c) =>
        char.IsWhiteSpace(c) || c is ',' or '{' or '}' or '[' or ']' or '(' or ')' or '"';

    private FormatException Error(string problem) => new($"EDN: {problem} at column {position + 1} of \"{text}\".");
}
