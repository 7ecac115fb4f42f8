using System.CommandLine;
using GlobalZone.Cli.Http;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz kv watch KEY [--prefix] [--from-revision N] [--count N]</c>: follows the key's changes on
/// <see cref="GlobalZoneClient.WatchRevisionsAsync"/>, one line per change. When a member goes away the client resumes on
/// another from the first revision not printed, so no revision is skipped or repeated; when no member answers for
/// <see cref="UnavailableRounds"/> connects in a row, gz exits 4.
/// </summary>
internal static class WatchCommand
{
    /// <summary>
    /// Connects in a row (each with the client's whole retry budget) that may reach no member before gz gives up: a
    /// member restart or an election is ridden out, a cluster that stays down is reported.
    /// </summary>
    private const int UnavailableRounds = 3;

    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The key, or the prefix with --prefix (empty: every key)", DefaultValueFactory = _ => "" };
        var prefix = new Option<bool>("--prefix") { Description = "Watch every key starting with KEY" };
        var from = new Option<long?>("--from-revision") { Description = "Start at this revision (still in the history) instead of now" };
        var count = new Option<int?>("--count") { Description = "Exit after this many revisions" };
        var command = new Command("watch", "Print changes to a key or prefix as they commit") { key, prefix, from, count, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var isPrefix = result.GetValue(prefix);
            var filter = result.GetValue(key)!;
            if (!isPrefix && filter.Length == 0)
                throw new GzException("Give a key, or --prefix (with an empty prefix for every key).");
            await using var client = GzClient.Create(result);
            var options = new WatchOptions { FromRevision = result.GetValue(from), MaxUnavailableRounds = UnavailableRounds };
            var max = result.GetValue(count);
            var json = result.GetValue(CliOptions.Json);
            var printed = 0;
            await foreach (var revision in client.WatchRevisionsAsync(filter, isPrefix, options, token))
            {
                Print(revision, json);
                if (max is { } limit && ++printed >= limit)
                    break;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(WatchRevision revision, bool json)
    {
        if (json)
        {
            Console.WriteLine(KeyValueJson.Format(revision));
        }
        else
        {
            foreach (var change in revision.Events)
            {
                Console.WriteLine(change.Type == "put"
                    ? $"PUT {change.Kv.Key} {KeyValueCommands.FormatValue(change.Kv)} (revision {revision.Revision})"
                    : $"DELETE {change.Kv.Key} (revision {revision.Revision})");
            }
        }

        Console.Out.Flush();
    }
}
