using System.CommandLine;
using GlobalZone.Cli.Http;
using GlobalZone.Client;

namespace GlobalZone.Cli;

/// <summary>Options every operating command shares, and how they turn into a <see cref="GzHttp"/>.</summary>
internal static class CliOptions
{
    public const string EndpointsVariable = "GZ_ENDPOINTS";

    /// <summary>The voters of <c>gz local</c>'s default layout.</summary>
    public const string DefaultEndpoints = "http://127.0.0.1:7101,http://127.0.0.1:7102,http://127.0.0.1:7103,http://127.0.0.1:7104";

    public static readonly Option<string?> Endpoints = new("--endpoints")
    {
        Description = $"Comma-separated member URLs (default: ${EndpointsVariable}, else {DefaultEndpoints})",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON for scripts instead of text" };

    public static IReadOnlyList<Uri> ResolveEndpoints(ParseResult result)
    {
        var text = result.GetValue(Endpoints);
        if (string.IsNullOrWhiteSpace(text))
            text = Environment.GetEnvironmentVariable(EndpointsVariable);
        if (string.IsNullOrWhiteSpace(text))
            text = GzTls.CaFile is null ? DefaultEndpoints : DefaultEndpoints.Replace("http://", "https://", StringComparison.Ordinal);
        return ParseEndpoints(text);
    }

    public static IReadOnlyList<Uri> ParseEndpoints(string text)
    {
        var list = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new GzException($"'{part}' is not a member URL (http://host:port).");
            list.Add(new Uri(uri.GetLeftPart(UriPartial.Authority)));
        }

        return list;
    }

    public static GzHttp CreateHttp(ParseResult result, TimeSpan? timeout = null) => new(ResolveEndpoints(result), timeout, credentials: CliAuth.Resolve(result));

    /// <summary>Runs a command body, turning a <see cref="GzException"/> or a <see cref="GlobalZoneException"/> into one line on stderr and its exit code.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (GzException e)
        {
            await Console.Error.WriteLineAsync("gz: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (GlobalZoneException e)
        {
            // Commands on GlobalZone.Client: the same line and exit code as the GzHttp commands give.
            var failure = GzClient.ToGzException(e);
            await Console.Error.WriteLineAsync("gz: " + failure.Message).ConfigureAwait(false);
            return failure.ExitCode;
        }
        catch (ArgumentException e) when (e.Source == typeof(GlobalZoneClient).Assembly.GetName().Name)
        {
            // The client refused an argument before sending (a key with a '.' or '..' segment, which a URL would
            // silently turn into another key): one line, as for any refusal.
            await Console.Error.WriteLineAsync("gz: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
