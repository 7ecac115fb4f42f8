using System.CommandLine;
using GlobalZone.Cli.Backup;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;
using GlobalZone.DataTools;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz backup create FILE</c> (a consistent snapshot from a running member), <c>gz backup verify FILE</c>, and
/// <c>gz backup restore FILE --data-dir DIR --cluster-name NEW</c> (seed a member data folder of a new cluster).
/// </summary>
internal static class BackupCommands
{
    public static Command Create()
    {
        var command = new Command("backup", "Take, check and restore backups of the whole key/value state");
        command.Add(CreateBackup());
        command.Add(Verify());
        command.Add(Restore());
        return command;
    }

    private static Command CreateBackup()
    {
        var file = new Argument<string>("file") { Description = "Where to write the backup" };
        var command = new Command("create", "Save the whole state at one revision from a running cluster") { file };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromMinutes(30));
            var path = Path.GetFullPath(result.GetValue(file)!);
            var header = await BackupClient.DownloadAsync(http, path, token);
            Console.WriteLine($"Backup of cluster {header.ClusterName} at revision {header.Revision} (from {header.MemberId}, raft index {header.RaftIndex})");
            Console.WriteLine($"  {path}  {new FileInfo(path).Length} bytes  sha256 {header.BodySha256}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Verify()
    {
        var file = new Argument<string>("file") { Description = "A backup file" };
        var command = new Command("verify", "Check a backup's header and checksum") { file, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var header = await BackupClient.VerifyFileAsync(result.GetValue(file)!, token);
            if (result.GetValue(CliOptions.Json))
                Console.WriteLine(System.Text.Encoding.UTF8.GetString(BackupFormat.EncodeHeader(header).AsSpan(BackupFormat.Magic.Length + 8)));
            else
                Console.WriteLine($"OK: cluster {header.ClusterName}, revision {header.Revision} (raft index {header.RaftIndex}), taken {header.CreatedAt:u} from {header.MemberId}, sha256 {header.BodySha256}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Restore()
    {
        var file = new Argument<string>("file") { Description = "A backup file" };
        var dataDir = new Option<string>("--data-dir") { Description = "The new member's data folder (must be absent or empty)", Required = true };
        var clusterName = new Option<string>("--cluster-name") { Description = "Name of the new cluster (must differ from the backed-up one)", Required = true };
        var command = new Command("restore", "Seed a member data folder of a NEW cluster from a backup (every key at its revision)") { file, dataDir, clusterName };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            BackupRestore.Outcome outcome;
            try
            {
                outcome = await BackupRestore.RestoreAsync(result.GetValue(file)!, result.GetValue(dataDir)!, result.GetValue(clusterName)!, token);
            }
            catch (DataToolException e)
            {
                throw new GzException(e.Message);
            }

            Console.WriteLine($"Restored revision {outcome.Revision} ({outcome.Keys} keys) of cluster {outcome.Header.ClusterName} into {outcome.DataDirectory} as cluster {outcome.ClusterName}.");
            Console.WriteLine($"Start the member with GlobalZone:DataDirectory={outcome.DataDirectory} and GlobalZone:ClusterName={outcome.ClusterName}.");
            Console.WriteLine("Restore the same file into EVERY member's folder of the new cluster before starting any (empty members could elect a leader among themselves).");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
