using System.CommandLine;
using System.Text;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli;

/// <summary>
/// <c>--user name[:password]</c>, global like <c>--endpoints</c>: gz signs in as that user (see
/// <see cref="Http.BearerTokenHandler"/>). Without a password in the option, <c>GZ_PASSWORD</c> is used, else gz asks.
/// </summary>
internal static class CliAuth
{
    public const string UserVariable = "GZ_USER";
    public const string PasswordVariable = "GZ_PASSWORD";

    public static readonly Option<string?> User = new("--user")
    {
        Description = $"Sign in as name[:password] when the cluster has auth enabled (default: ${UserVariable}; password from ${PasswordVariable} or a prompt)",
        Recursive = true,
    };

    /// <summary>The user and password to sign in with, or null to send no credentials.</summary>
    public static (string User, string Password)? Resolve(ParseResult result)
    {
        var text = result.GetValue(User);
        if (string.IsNullOrEmpty(text))
            text = Environment.GetEnvironmentVariable(UserVariable);
        if (string.IsNullOrEmpty(text))
            return null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
            return (text[..colon], text[(colon + 1)..]);
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        return (text, string.IsNullOrEmpty(password) ? Prompt($"Password for {text}: ") : password);
    }

    /// <summary>Reads a password without echoing it (from a plain line when stdin is not a terminal).</summary>
    public static string Prompt(string prompt)
    {
        if (Console.IsInputRedirected)
            return Console.ReadLine() ?? throw new GzException("No password given (stdin ended).");
        Console.Error.Write(prompt);
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                    password.Length--;
                continue;
            }

            if (!char.IsControl(key.KeyChar))
                password.Append(key.KeyChar);
        }

        Console.Error.WriteLine();
        return password.ToString();
    }
}
