using GlobalZone.Consensus;
using Microsoft.Extensions.Configuration;

namespace GlobalZone.UnitTests;

/// <summary>The caps and test-only switches as configuration binds and validates them (issue 11).</summary>
public sealed class ResourceLimitsTests
{
    private static NodeOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                ["GlobalZone:MemberId"] = "a",
                ["GlobalZone:Members:0:Id"] = "a",
                ["GlobalZone:Members:0:Url"] = "http://127.0.0.1:7101",
            }.Concat(settings.Select(s => new KeyValuePair<string, string?>("GlobalZone:" + s.Key, s.Value)))).Build();
        return configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>()!;
    }

    [Fact]
    public void DefaultsLeaveRoomForTenThousandWatchesAndValidate()
    {
        var options = Bind();
        options.Validate();
        Assert.True(options.Limits.MaxWatchesPerMember >= 10_000);
        Assert.True(options.Limits.MaxBlockingReadsPerMember >= 10_000);
        Assert.True(options.Limits.MaxLeases >= 10_000);
        Assert.Equal(0, options.Testing.ApplyDelayMs);
        Assert.False(options.Testing.AnySet);
    }

    [Fact]
    public void CapsAndTestSwitchesBindFromConfiguration()
    {
        var options = Bind(("Limits:MaxWatchesPerMember", "3"), ("Limits:MaxLeases", "0"), ("Limits:RetryAfterSeconds", "9"), ("Testing:ApplyDelayMs", "50"));
        options.Validate();
        Assert.Equal(3, options.Limits.MaxWatchesPerMember);
        Assert.Equal(0, options.Limits.MaxLeases);
        Assert.Equal(9, options.Limits.RetryAfterSeconds);
        Assert.Equal(50, options.Testing.ApplyDelayMs);
        Assert.True(options.Testing.AnySet);
    }

    [Theory]
    [InlineData("Limits:MaxWatchesPerMember", "-1")]
    [InlineData("Limits:MaxLockWaiters", "-5")]
    [InlineData("Limits:RetryAfterSeconds", "0")]
    [InlineData("Testing:ApplyDelayMs", "-1")]
    [InlineData("Testing:ApplyDelayMs", "600000")]
    public void OutOfRangeValuesAreRefusedAtStart(string key, string value)
        => Assert.Throws<ArgumentException>(() => Bind((key, value)).Validate());
}
