using Microsoft.Extensions.Logging;

namespace GlobalZone.Client.Configuration;

/// <summary>What the configuration provider loads, from which cluster, and how it follows changes.</summary>
public sealed class GlobalZoneConfigurationOptions
{
    /// <summary>
    /// The key prefix to load, for example <c>apps/billing/</c>: the key <c>apps/billing/Logging/LogLevel/Default</c>
    /// becomes the configuration key <c>Logging:LogLevel:Default</c>. Empty: every key.
    /// </summary>
    public string Prefix { get; set; } = "";

    /// <summary>How to reach the cluster (ignored when <see cref="Client"/> is given).</summary>
    public GlobalZoneClientOptions ClientOptions { get; set; } = new();

    /// <summary>A client to use instead of creating one from <see cref="ClientOptions"/> (it is not disposed with the provider).</summary>
    public GlobalZoneClient? Client { get; set; }

    /// <summary>Follow changes with a watch and reload (<c>IOptionsMonitor</c> and change tokens see them). Default true.</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>
    /// Start with no data when the cluster cannot be reached at startup, and load in the background once it can.
    /// Default false: building the configuration fails.
    /// </summary>
    public bool Optional { get; set; }

    /// <summary>How long the first load may take before it fails (or, when <see cref="Optional"/>, goes on in the background). Default 30 s.</summary>
    public TimeSpan LoadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>For the provider's own log (reload failures); null: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
