using GlobalZone.Jepsen.Scenarios;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Scenarios;

public sealed class ScenarioCatalogTests
{
    [Fact]
    public void LargeStateReplacesMembersOnThreeHundredMegabytesWithBigValues()
    {
        var options = ScenarioCatalog.Apply("large-state", new RunOptions());

        Assert.Equal("set", options.Workload);
        Assert.Equal("replace-member", options.Nemesis);
        Assert.True(options.BigValues);
        Assert.Equal(300, options.PreloadMegabytes);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Time);
        Assert.Equal(Validity.Valid, options.Expected);
        Assert.Equal("large-state", options.Scenario);
    }

    [Fact]
    public void NoOtherScenarioTurnsBigValuesOrPreloadOn()
    {
        foreach (var (name, _) in ScenarioCatalog.All.Where(s => s.Name != "large-state"))
        {
            var options = ScenarioCatalog.Apply(name, new RunOptions());
            Assert.False(options.BigValues, name);
            Assert.Equal(0, options.PreloadMegabytes);
        }
    }
}
