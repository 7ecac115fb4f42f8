using GlobalZone.Consensus;
using GlobalZone.Consensus.Tls;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Tls;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Mutual TLS between members: with TLS on, a request to DotNext's Raft endpoint or to <c>/internal</c> is served only
/// when its connection presented a client certificate that chains to the cluster CA and names a member of the
/// current configuration (<c>gz-member://CLUSTER/ID</c>). The membership is read per request, so a member removed
/// from the group is refused from the next request on, whatever its certificate's validity. Everything else is
/// refused with 403 <c>peer-not-authenticated</c> and a warning.
/// </summary>
internal static partial class PeerAuthentication
{
    public static IApplicationBuilder UsePeerAuthentication(this IApplicationBuilder app)
    {
        var certificates = app.ApplicationServices.GetService<MemberCertificates>();
        if (certificates is null)
            return app;
        var directory = app.ApplicationServices.GetRequiredService<MemberDirectory>();
        var changes = app.ApplicationServices.GetRequiredService<MembershipChanges>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PeerAuthentication).FullName!);
        var time = app.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var lastWarning = 0L;
        return app.Use(async (context, next) =>
        {
            if (!Array.Exists(ClusterNameGuard.GuardedPaths, p => context.Request.Path.StartsWithSegments(p)))
            {
                await next(context);
                return;
            }

            var refusal = Refusal(context.Connection.ClientCertificate, certificates, directory, changes);
            if (refusal is null)
            {
                await next(context);
                return;
            }

            // A refused peer retries many times a second: one warning every ten seconds at most.
            var now = time.NowMs();
            var last = Interlocked.Read(ref lastWarning);
            if (now - last > 10_000 && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
                LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.Request.Path, refusal);
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemTypes.PeerNotAuthenticated, "Not a member of this cluster.", refusal);
        });
    }

    /// <summary>Why the request's certificate does not admit it, or null when it names a current member.</summary>
    private static string? Refusal(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, MemberCertificates certificates,
        MemberDirectory directory, MembershipChanges changes)
    {
        if (certificate is null)
            return "Member-to-member routes need a client certificate of a member (mutual TLS); none was presented.";
        var memberId = certificates.Authenticate(certificate, ClusterTrust.ClientAuthentication, out var problem);
        if (memberId is null)
            return $"The client certificate ({certificate.Subject}) is not a member certificate of this cluster: {problem}.";
        var members = directory.Members;
        if (members.Any(m => string.Equals(m.Id, memberId, StringComparison.Ordinal)))
            return null;
        // A member being added fetches the snapshot from the leader before the configuration names it.
        if (string.Equals(changes.Joining, memberId, StringComparison.Ordinal))
            return null;
        // A member waiting to be added knows no membership yet: any member of the cluster may reach it.
        if (!members.Any(m => string.Equals(m.Id, directory.Self.Id, StringComparison.Ordinal)))
            return null;
        return $"The client certificate names member '{memberId}', which is not a current member of cluster '{certificates.ClusterName}'.";
    }

    [LoggerMessage(EventId = 1241, Level = LogLevel.Warning, Message = "Refused member-to-member request from {RemoteAddress} to {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string remoteAddress, string path, string reason);
}
