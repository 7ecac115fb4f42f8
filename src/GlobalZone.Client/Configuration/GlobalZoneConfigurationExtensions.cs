using Microsoft.Extensions.Configuration;

namespace GlobalZone.Client.Configuration;

/// <summary>Adds GlobalZone keys to an <see cref="IConfigurationBuilder"/>.</summary>
public static class GlobalZoneConfigurationExtensions
{
    /// <summary>
    /// Loads every key under a prefix into configuration and (by default) reloads when any of them changes:
    /// <c>builder.Configuration.AddGlobalZone(o => { o.ClientOptions.Endpoints = ["http://gz1:7100"]; o.Prefix = "apps/billing/"; })</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The client settings are not valid.</exception>
    public static IConfigurationBuilder AddGlobalZone(this IConfigurationBuilder builder, Action<GlobalZoneConfigurationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new GlobalZoneConfigurationOptions();
        configure(options);
        if (options.Client is null)
            options.ClientOptions.Validate();
        return builder.Add(new GlobalZoneConfigurationSource(options));
    }

    /// <summary>Loads every key under <paramref name="prefix"/> from the cluster at <paramref name="endpoints"/>, reloading on change.</summary>
    /// <exception cref="ArgumentException">No endpoint, or one that is not an http(s) URL.</exception>
    public static IConfigurationBuilder AddGlobalZone(this IConfigurationBuilder builder, string prefix, params string[] endpoints)
        => builder.AddGlobalZone(o =>
        {
            o.Prefix = prefix;
            o.ClientOptions.Endpoints = [.. endpoints];
        });
}
