using GlobalZone.Cli.Http;
using GlobalZone.Contracts;
using GlobalZone.DataTools;

namespace GlobalZone.Cli.Backup;

/// <summary>Downloads <c>GET /v1/backup</c> to a file, verifying it before it takes the final name.</summary>
internal static class BackupClient
{
    public static async Task<BackupHeader> DownloadAsync(GzHttp http, string path, CancellationToken token)
    {
        var partial = path + ".partial";
        try
        {
            using (var response = await http.SendAsync(e => new HttpRequestMessage(HttpMethod.Get, new Uri(e, "/v1/backup")), token))
            {
                await GzHttp.EnsureSuccessAsync(response, token);
                await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                await response.Content.CopyToAsync(file, token);
                await file.FlushAsync(token);
                file.Flush(flushToDisk: true);
            }

            var header = await VerifyFileAsync(partial, token);
            File.Move(partial, path, overwrite: true);
            return header;
        }
        finally
        {
            if (File.Exists(partial))
                File.Delete(partial);
        }
    }

    public static async Task<BackupHeader> VerifyFileAsync(string path, CancellationToken token)
    {
        try
        {
            return await BackupRestore.VerifyFileAsync(path, token);
        }
        catch (DataToolException e)
        {
            throw new GzException(e.Message);
        }
    }
}
