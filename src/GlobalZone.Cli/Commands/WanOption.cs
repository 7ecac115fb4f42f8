using System.CommandLine;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>--wan [SPEC]</c> for the commands that run their own local cluster (<c>gz local</c>, <c>gz bench failover</c>):
/// simulated round trips between sites (<see cref="SimulatedWan"/>), checked when the command line is parsed.
/// </summary>
internal static class WanOption
{
    public static Option<string?> Create(string description)
    {
        var wan = new Option<string?>("--wan") { Description = description, Arity = ArgumentArity.ZeroOrOne };
        wan.Validators.Add(result =>
        {
            try
            {
                SimulatedWan.Parse(result.Tokens.Count > 0 ? result.Tokens[0].Value : "");
            }
            catch (FormatException e)
            {
                result.AddError(e.Message);
            }
        });
        return wan;
    }

    /// <summary>The spec given (empty for <c>--wan</c> alone, meaning the global preset), or null without <c>--wan</c>.</summary>
    public static string? Spec(ParseResult result, Option<string?> wan) => result.GetResult(wan) is not null ? result.GetValue(wan) ?? "" : null;
}
