using DotNext.Net.Cluster.Consensus.Raft.Http;
using GlobalZone.Consensus;
using GlobalZone.Consensus.Log;
using GlobalZone.Server.Api;
using GlobalZone.Server.Auth;
using GlobalZone.Server.StatusPage;
using GlobalZone.Storage.Integrity;
using Serilog;
using Serilog.Extensions.Logging;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Builds a GlobalZone member: configuration, logging, FASTER state, the DotNext Raft member and the HTTP API,
/// all on one Kestrel listener (Raft traffic and clients share the member's URL; https with mutual TLS between members
/// when <c>GlobalZone:Tls</c> is set, see <see cref="TlsListener"/>).
/// </summary>
public static class NodeHost
{
    /// <exception cref="StartupRefusal">The data folder is damaged or of another format (already logged).</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // --config FILE adds a JSON file; the command line still overrides it.
        if (ConfigFileArgument(args) is { } file)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
            builder.Configuration.AddCommandLine(args);
        }

        var options = builder.Configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>() ?? new NodeOptions();
        options.Validate();
        var self = options.Self;

        var logger = Logging.Create(builder.Configuration, self);
        builder.Services.AddSerilog(logger, dispose: true);
        using var bootstrapLoggers = new SerilogLoggerFactory(logger);

        var certificates = TlsListener.Load(options, bootstrapLoggers);
        if (certificates is not null)
        {
            builder.Services.AddSingleton(certificates);
            // The slim builder leaves https out unless asked for.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.UseUrls(self.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (certificates is not null)
                kestrel.UseMemberCertificates(certificates);
            // Leave room for the largest value plus JSON overhead; the API enforces the real limit itself. The Raft route
            // lifts it (see RaftBodyLimit); an InstallSnapshot call carries only a descriptor anyway.
            kestrel.Limits.MaxRequestBodySize = options.MaxValueBytes + (64L << 10) + (16L << 20);
        });
        // Before anything writes to the data folder: whether it is empty is what the guard looks at.
        var amnesia = AmnesiaGuard.Probe(options, certificates, bootstrapLoggers.CreateLogger(typeof(AmnesiaGuard).FullName!));
        try
        {
            ClusterIdentityCheck.Ensure(options);
            builder.AddGlobalZoneConsensus(options, bootstrapLoggers);
        }
        catch (StorageIntegrityException damage)
        {
            throw StartupRefusal.Of(damage, bootstrapLoggers.CreateLogger(typeof(NodeHost).FullName!));
        }

        builder.Services.AddSingleton<MemberDrain>();
        builder.Services.AddSingleton<IHostLifetime, HandOffFirstLifetime>();
        builder.Services.AddClientApi();
        builder.Services.AddStatusPage();
        builder.Services.AddMemberHealthChecks();
        builder.Services.AddGlobalZoneAuth(builder.Configuration);
        builder.AddGlobalZoneMetrics();
        builder.AddGlobalZoneTracing(options.Tracing, self.Id);

        var app = builder.Build();
        app.UsePeerAuthentication();
        app.UseClusterNameGuard();
        amnesia.Apply(app);
        app.UseUnlimitedRaftBodies();
        app.UseRepeatedSnapshotAcknowledgement();
        app.UseTestingFailpoints();
        app.UseConsensusProtocolHandler();
        app.UseGlobalZoneRequestLogging();
        app.UseMiddleware<ApiErrorHandling>();
        app.UseApplyFaultGuard();
        app.UseStoppingMemberGuard();
        // After the Raft handler (peers are not users) and the error handling (refusals are problem+json).
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapKeyValueApi();
        app.MapInternalApi();
        app.MapSnapshotTransfers();
        app.MapClientApi();
        app.MapClusterApi();
        app.MapBackupApi();
        app.MapStandbyApi();
        app.MapLeaderTransferApi();
        app.MapMembershipApi();
        app.MapAuthApi();
        app.MapGlobalZoneMetrics();
        app.MapStatusPage();
        app.MapTestingApi();
        app.MapRouteTable();
        return app;
    }

    private static string? ConfigFileArgument(string[] args)
    {
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--config")
                return args[i + 1];
        }

        return null;
    }
}
