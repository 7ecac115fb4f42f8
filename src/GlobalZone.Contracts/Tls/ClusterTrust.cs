using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace GlobalZone.Contracts.Tls;

/// <summary>
/// TLS client settings shared by everything that talks to members (the .NET client, gz, the cluster runner, and
/// members themselves): TLS 1.2 or newer, the server's certificate checked against a cluster CA instead of (or, with
/// no CA given, as well as) the machine's trust store, host name checked as usual, and optionally a client
/// certificate.
/// </summary>
public static class ClusterTrust
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Every certificate of a PEM file (a CA bundle may hold several during a rotation).</summary>
    public static X509Certificate2Collection LoadAuthorities(string pemFile)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(pemFile);
        if (authorities.Count == 0)
            throw new ArgumentException($"{pemFile} holds no PEM certificate.");
        return authorities;
    }

    /// <summary>A certificate with its private key from two PEM files (or one holding both).</summary>
    public static X509Certificate2 LoadCertificate(string certFile, string? keyFile)
        => X509Certificate2.CreateFromPemFile(certFile, keyFile);

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="authorities"/> (and only those: the
    /// machine's roots do not count), is in its validity period, and allows <paramref name="usageOid"/> when it
    /// restricts usages. Revocation is not checked (a removed member is refused by membership, not by a CRL).
    /// </summary>
    public static bool Chains(X509Certificate2 certificate, X509Certificate2Collection authorities, string usageOid, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(usageOid));
        if (chain.Build(certificate))
        {
            problem = "";
            return true;
        }

        problem = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        if (problem.Length == 0)
            problem = "the certificate does not chain to the cluster CA";
        return false;
    }

    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// The server check for a handler: with no CA, the machine's trust store decides (as any https client); with a
    /// CA, the chain must lead to it. The host name must match in both cases.
    /// </summary>
    public static RemoteCertificateValidationCallback ServerValidator(Func<X509Certificate2Collection>? authorities)
        => (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None)
                return true;
            if (authorities is null || certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                return false;
            return Chains(certificate as X509Certificate2 ?? new X509Certificate2(certificate), authorities(), ServerAuthentication, out _);
        };

    /// <summary>Client TLS options from files (each may be null): CA to trust, client certificate and key.</summary>
    public static SslClientAuthenticationOptions ClientOptions(string? caFile, string? certFile, string? keyFile)
    {
        X509Certificate2Collection? authorities = caFile is null ? null : LoadAuthorities(caFile);
        var options = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = Protocols,
            RemoteCertificateValidationCallback = ServerValidator(authorities is null ? null : () => authorities),
        };
        if (certFile is not null)
        {
            // Offered whatever issuers the server lists as acceptable (SslStream would otherwise send none when the
            // server's list does not include its CA); the server decides.
            var certificate = LoadCertificate(certFile, keyFile);
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        return options;
    }
}
