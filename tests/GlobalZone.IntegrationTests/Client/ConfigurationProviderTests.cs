using GlobalZone.Client.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>The configuration provider: a key prefix as IConfiguration, reloaded by a watch, seen by IOptionsMonitor.</summary>
[Collection(SharedClientClusterCollection.Name)]
public sealed class ConfigurationProviderTests(SharedClientCluster shared, ITestOutputHelper output)
{
    public sealed class BillingOptions
    {
        public string Currency { get; set; } = "none";

        public LimitOptions Limits { get; set; } = new();
    }

    public sealed class LimitOptions
    {
        public int Daily { get; set; }

        public int Monthly { get; set; }
    }

    [Fact]
    public async Task IOptionsMonitorSeesAPutAndADeleteAfterTheProviderReloads()
    {
        var prefix = $"client-tests/config-{Guid.NewGuid().ToString("N")[..8]}/";
        await using var client = ClientClusters.Client(shared.Cluster);
        await client.PutAsync(prefix + "Billing/Currency", "EUR");
        await client.PutAsync(prefix + "Billing/Limits", new { Daily = 100, Monthly = 1000 });
        await client.PutAsync("client-tests/config-elsewhere/Billing/Currency", "not ours");

        var logging = new TestLogging(output);
        var configuration = new ConfigurationBuilder()
            .AddGlobalZone(o =>
            {
                o.ClientOptions = ClientClusters.Options(shared.Cluster);
                o.Prefix = prefix;
                o.LoggerFactory = logging.Factory();
            })
            .Build();
        try
        {
            var services = new ServiceCollection();
            services.AddOptions<BillingOptions>().Bind(configuration.GetSection("Billing"));
            await using var provider = services.BuildServiceProvider();
            var monitor = provider.GetRequiredService<IOptionsMonitor<BillingOptions>>();
            Assert.Equal("EUR", monitor.CurrentValue.Currency);
            Assert.Equal(100, monitor.CurrentValue.Limits.Daily);
            Assert.Equal("1000", configuration["Billing:Limits:Monthly"]);

            var switched = new TaskCompletionSource<BillingOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var listening = monitor.OnChange(o =>
            {
                if (o.Currency == "USD")
                    switched.TrySetResult(o);
            });
            await client.PutAsync(prefix + "Billing/Currency", "USD");
            var seen = await switched.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(100, seen.Limits.Daily);
            Assert.Equal("USD", monitor.CurrentValue.Currency);

            var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onReload = configuration.GetReloadToken().RegisterChangeCallback(_ => reloaded.TrySetResult(), null);
            await client.DeleteAsync(prefix + "Billing/Limits");
            await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(15));
            await Eventually.TrueAsync(() => Task.FromResult(monitor.CurrentValue.Limits.Daily == 0), TimeSpan.FromSeconds(10), "the deleted limits to leave the options");
            Assert.Null(configuration["Billing:Limits:Daily"]);
            Assert.Equal("USD", configuration["Billing:Currency"]);
        }
        finally
        {
            (configuration as IDisposable)?.Dispose();
        }
    }
}
