using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using GlobalZone.Contracts.Tls;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus.Tls;

/// <summary>
/// This member's certificate and the cluster CA, both read again when their files change (<see cref="ReloadingPemFiles{T}"/>),
/// and the checks made with them: whether a peer's certificate chains to the CA and which member it names.
/// The member's listener presents <see cref="Certificate"/> (so a renewed certificate is served without a restart)
/// and so does its member-to-member client.
/// </summary>
public sealed partial class MemberCertificates
{
    private readonly ReloadingPemFiles<X509Certificate2> own;
    private readonly ReloadingPemFiles<X509Certificate2Collection> authorities;
    private readonly ConditionalWeakTable<X509Certificate2, Verdict> verdicts = new();
    private readonly TimeProvider time;

    public MemberCertificates(TlsOptions options, string clusterName, TimeProvider time, ILogger logger)
    {
        ClusterName = clusterName;
        this.time = time;
        own = new ReloadingPemFiles<X509Certificate2>([options.CertFile!, options.KeyFile!],
            files => ClusterTrust.LoadCertificate(files[0], files[1]), time, e => LogReloadFailed(logger, options.CertFile!, e.Message));
        authorities = new ReloadingPemFiles<X509Certificate2Collection>([options.CaFile!],
            files => ClusterTrust.LoadAuthorities(files[0]), time, e => LogReloadFailed(logger, options.CaFile!, e.Message));
        // Fail at start, not at the first handshake, on unreadable files.
        _ = own.Current;
        _ = authorities.Current;
    }

    public string ClusterName { get; }

    /// <summary>This member's certificate with its key, as the files hold it now.</summary>
    public X509Certificate2 Certificate => own.Current;

    public X509Certificate2Collection Authorities => authorities.Current;

    /// <summary>
    /// Which member of this cluster <paramref name="certificate"/> names, if it chains to the cluster CA for
    /// <paramref name="usageOid"/>; otherwise null and why. Verdicts are kept per certificate object (one per TLS
    /// connection) until the CA changes or the certificate expires, so a busy Raft connection builds one chain.
    /// </summary>
    public string? Authenticate(X509Certificate2 certificate, string usageOid, out string problem)
    {
        var caVersion = authorities.Version;
        if (verdicts.TryGetValue(certificate, out var kept) && kept.CaVersion == caVersion && kept.Usage == usageOid && time.GetUtcNow() < certificate.NotAfter)
        {
            problem = kept.Problem;
            return kept.MemberId;
        }

        string? member = null;
        if (ClusterTrust.Chains(certificate, Authorities, usageOid, out problem))
        {
            member = CertificateNames.MemberOf(certificate, ClusterName);
            if (member is null)
                problem = $"the certificate names no member of cluster '{ClusterName}' (expected a URI name {Contracts.MemberCertificateNames.For(ClusterName, "MEMBER-ID")})";
        }

        verdicts.AddOrUpdate(certificate, new Verdict(caVersion, usageOid, member, problem));
        return member;
    }

    /// <summary>TLS client options for member-to-member connections: this member's certificate, peers checked against the CA.</summary>
    public SslClientAuthenticationOptions PeerClientOptions() => new()
    {
        EnabledSslProtocols = ClusterTrust.Protocols,
        LocalCertificateSelectionCallback = (_, _, _, _, _) => Certificate,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            // The host name must match (RemoteCertificateNameMismatch); the machine's trust store plays no part.
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                return false;
            var presented = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            return Authenticate(presented, ClusterTrust.ServerAuthentication, out _) is not null;
        },
    };

    private sealed record Verdict(int CaVersion, string Usage, string? MemberId, string Problem);

    [LoggerMessage(EventId = 1240, Level = LogLevel.Warning, Message = "Could not read the changed TLS file {File} ({Reason}); still using the previous one")]
    private static partial void LogReloadFailed(ILogger logger, string file, string reason);
}
