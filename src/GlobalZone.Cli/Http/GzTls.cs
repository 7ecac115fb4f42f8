using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.Cli.Http;

/// <summary>
/// gz's TLS settings, global options (or <c>GZ_CACERT</c>, <c>GZ_CERT</c>, <c>GZ_KEY</c>): the CA that signed the
/// members' certificates, and optionally a client certificate. They hold for the whole invocation, so they are read
/// once after parsing and every handler gz makes uses them.
/// </summary>
internal static class GzTls
{
    public static readonly Option<string?> CaCert = new("--cacert")
    {
        Description = "PEM CA certificate to trust for https:// members (default: $GZ_CACERT, else the machine's trust store)",
        Recursive = true,
    };

    public static readonly Option<string?> Cert = new("--cert") { Description = "PEM client certificate to present (default: $GZ_CERT)", Recursive = true };

    public static readonly Option<string?> Key = new("--key") { Description = "PEM key of --cert (default: $GZ_KEY, else in the --cert file)", Recursive = true };

    public static string? CaFile { get; private set; }

    private static string? certFile;
    private static string? keyFile;

    public static void Configure(ParseResult result)
    {
        CaFile = result.GetValue(CaCert) ?? Variable("GZ_CACERT");
        certFile = result.GetValue(Cert) ?? Variable("GZ_CERT");
        keyFile = result.GetValue(Key) ?? Variable("GZ_KEY");
    }

    /// <summary>TLS client options for one handler (TLS 1.2+, the CA and client certificate when given).</summary>
    public static SslClientAuthenticationOptions ClientOptions()
    {
        foreach (var file in new[] { CaFile, certFile, keyFile })
        {
            if (file is not null && !File.Exists(file))
                throw new GzException($"TLS file {file} does not exist.");
        }

        try
        {
            return ClusterTrust.ClientOptions(CaFile, certFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new GzException($"Could not read the TLS files: {e.Message}");
        }
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
