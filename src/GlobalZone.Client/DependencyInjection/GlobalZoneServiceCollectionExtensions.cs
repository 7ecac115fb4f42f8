using GlobalZone.Client;
using Medallion.Threading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="GlobalZoneClient"/> (singleton), its <see cref="GlobalZoneLockProvider"/> and <see cref="IDistributedLockProvider"/>, and likewise its reader-writer lock and semaphore providers.</summary>
public static class GlobalZoneServiceCollectionExtensions
{
    /// <summary>
    /// Registers the client configured in code:
    /// <c>services.AddGlobalZoneClient(o => { o.Endpoints = ["http://gz1:7100", "http://gz2:7100"]; o.Site = "dc1"; })</c>.
    /// The HTTP client is the named client <see cref="GlobalZoneClient.HttpClientName"/> (add handlers to it with
    /// <c>services.AddHttpClient(GlobalZoneClient.HttpClientName)</c>).
    /// </summary>
    public static IServiceCollection AddGlobalZoneClient(this IServiceCollection services, Action<GlobalZoneClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<GlobalZoneClientOptions>().Configure(configure);
        return services.AddGlobalZoneClientCore();
    }

    /// <summary>Registers the client configured from a configuration section (for example <c>configuration.GetSection("GlobalZone:Client")</c>).</summary>
    public static IServiceCollection AddGlobalZoneClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<GlobalZoneClientOptions>().Bind(section);
        return services.AddGlobalZoneClientCore();
    }

    private static IServiceCollection AddGlobalZoneClientCore(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GlobalZoneClientOptions>, GlobalZoneClientOptionsValidation>());
        services.AddHttpClient(GlobalZoneClient.HttpClientName)
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => GlobalZoneClient.CreateHandler(provider.GetRequiredService<IOptions<GlobalZoneClientOptions>>().Value));
        services.TryAddSingleton(provider => new GlobalZoneClient(
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<IOptions<GlobalZoneClientOptions>>(),
            provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton(provider => provider.GetRequiredService<GlobalZoneClient>().Locks);
        services.TryAddSingleton<IDistributedLockProvider>(provider => provider.GetRequiredService<GlobalZoneLockProvider>());
        services.TryAddSingleton(provider => provider.GetRequiredService<GlobalZoneClient>().ReaderWriterLocks);
        services.TryAddSingleton<IDistributedReaderWriterLockProvider>(provider => provider.GetRequiredService<GlobalZoneReaderWriterLockProvider>());
        services.TryAddSingleton(provider => provider.GetRequiredService<GlobalZoneClient>().Semaphores);
        services.TryAddSingleton<IDistributedSemaphoreProvider>(provider => provider.GetRequiredService<GlobalZoneSemaphoreProvider>());
        return services;
    }

    /// <summary>Reports invalid settings as an <see cref="OptionsValidationException"/> when the options are first used.</summary>
    private sealed class GlobalZoneClientOptionsValidation : IValidateOptions<GlobalZoneClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, GlobalZoneClientOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
