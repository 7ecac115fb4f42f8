using Microsoft.Extensions.Configuration;

namespace GlobalZone.Client.Configuration;

/// <summary>The configuration source of a key prefix in GlobalZone (see <see cref="GlobalZoneConfigurationExtensions.AddGlobalZone(IConfigurationBuilder, Action{GlobalZoneConfigurationOptions})"/>).</summary>
public sealed class GlobalZoneConfigurationSource(GlobalZoneConfigurationOptions options) : IConfigurationSource
{
    /// <summary>The settings the provider is built with.</summary>
    public GlobalZoneConfigurationOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc/>
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new GlobalZoneConfigurationProvider(Options);
}
