using GlobalZone.ClusterRunner;
using Xunit;

namespace GlobalZone.Testing;

/// <summary>Restarting one member of a test cluster with a setting only it gets (a TEST-ONLY fault switch, say).</summary>
public static class MemberRestarts
{
    /// <summary>Stops <paramref name="member"/>, adds <c>GlobalZone:<paramref name="key"/></c> to its configuration file, starts it.</summary>
    public static async Task RestartWithSettingAsync(this MemberProcess member, string key, string value)
    {
        await member.StopAsync(TimeSpan.FromSeconds(10));
        var config = await File.ReadAllTextAsync(member.ConfigPath);
        Assert.Contains("\"GlobalZone\": {", config, StringComparison.Ordinal);
        await File.WriteAllTextAsync(member.ConfigPath,
            config.Replace("\"GlobalZone\": {", $"\"GlobalZone\": {{ \"{key}\": \"{value}\",", StringComparison.Ordinal));
        member.Start();
    }
}
