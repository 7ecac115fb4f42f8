using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.ClusterRunner.Tls;

/// <summary>
/// Makes a cluster CA and member certificates as PEM files with the BCL alone (no openssl): ECDSA P-256 keys, a CA
/// that may sign only end-entity certificates, and member certificates for both TLS server and client use that name
/// the member (<see cref="MemberCertificateNames"/>) and the hosts it is reached at. Used by <c>gz local --tls</c>,
/// <c>gz tls</c> and the tests.
/// </summary>
public static class CertificateMaker
{
    public static readonly TimeSpan DefaultCaValidity = TimeSpan.FromDays(3650);
    public static readonly TimeSpan DefaultMemberValidity = TimeSpan.FromDays(825);

    /// <summary>Writes a self-signed CA for <paramref name="clusterName"/> to <paramref name="certFile"/> and <paramref name="keyFile"/>.</summary>
    public static void MakeCa(string clusterName, string certFile, string keyFile, TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=GlobalZone CA {clusterName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now + (validity ?? DefaultCaValidity));
        Write(certFile, ca.ExportCertificatePem(), secret: false);
        Write(keyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
    }

    /// <summary>
    /// Writes a certificate for member <paramref name="memberId"/> of <paramref name="clusterName"/>, valid for the
    /// given host names and IP addresses, signed by the CA in <paramref name="caCertFile"/>/<paramref name="caKeyFile"/>.
    /// A null <paramref name="memberId"/> makes a client certificate that names no member (for tests and tools).
    /// </summary>
    public static void MakeMember(string caCertFile, string caKeyFile, string clusterName, string? memberId, IEnumerable<string> hosts,
        string certFile, string keyFile, TimeSpan? validity = null)
    {
        using var ca = ClusterTrust.LoadCertificate(caCertFile, caKeyFile);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = memberId is null ? $"CN=GlobalZone client {clusterName}" : $"CN={memberId}, OU={clusterName}, O=GlobalZone";
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(ClusterTrust.ServerAuthentication), new Oid(ClusterTrust.ClientAuthentication)], false));
        var names = new SubjectAlternativeNameBuilder();
        if (memberId is not null)
            names.AddUri(new Uri(MemberCertificateNames.For(clusterName, memberId)));
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var address))
                names.AddIpAddress(address);
            else
                names.AddDnsName(host);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + (validity ?? DefaultMemberValidity);
        if (notAfter > ca.NotAfter)
            notAfter = ca.NotAfter;
        using var issued = request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        Write(certFile, issued.ExportCertificatePem(), secret: false);
        Write(keyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
    }

    /// <summary>Writes through a temporary file and a rename, so a reader never sees half a file.</summary>
    private static void Write(string path, string pem, bool secret)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, pem);
        if (secret && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
