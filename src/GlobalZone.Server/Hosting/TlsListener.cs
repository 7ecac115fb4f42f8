using GlobalZone.Consensus;
using GlobalZone.Consensus.Tls;
using GlobalZone.Contracts.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Turns the member's one listener into https when <c>GlobalZone:Tls</c> is set. One port serves clients and members
/// alike (a member's URL is its only address in DotNext's membership): client certificates are asked for but not
/// required at the TLS layer, so a client without one still gets a server-authenticated connection, and the
/// member-only routes demand one afterwards (<see cref="PeerAuthentication"/>), which can answer with a reason.
/// </summary>
internal static class TlsListener
{
    /// <summary>The member's certificates, or null with TLS off. Refuses to start on unreadable files.</summary>
    public static MemberCertificates? Load(NodeOptions options, ILoggerFactory loggers)
        => options.Tls.Enabled
            ? new MemberCertificates(options.Tls, options.ClusterName, TimeProvider.System, loggers.CreateLogger(typeof(MemberCertificates).FullName!))
            : null;

    public static void UseMemberCertificates(this Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, MemberCertificates certificates)
        => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.SslProtocols = ClusterTrust.Protocols;
            // Asked on every handshake, so a certificate replaced on disk is served from the next connection on.
            https.ServerCertificateSelector = (_, _) => certificates.Certificate;
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            // Any certificate is let through the handshake; the member-only routes check it against the cluster CA
            // and the membership (a refusal there is a 403 that says why, not a bare TLS alert).
            https.ClientCertificateValidation = (_, _, _) => true;
        });
}
