using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Tests.Traffic;

public sealed class KeyRotationTests
{
    [Fact]
    public void NoKeyGetsMoreThanItsShareAndEveryKeyIsRemembered()
    {
        var rotation = new KeyRotation("r/", activeKeys: 3, operationsPerKey: 10);
        var random = new Random(1);
        var uses = new Dictionary<string, int>();
        for (var i = 0; i < 1000; i++)
        {
            var key = rotation.Next(random);
            uses[key] = uses.GetValueOrDefault(key) + 1;
        }

        Assert.All(uses.Values, count => Assert.True(count <= 10));
        Assert.True(uses.Count >= 100);
        Assert.Equal(uses.Keys.Order(), rotation.AllKeys.Where(uses.ContainsKey).Order());
        Assert.All(rotation.AllKeys, key => Assert.StartsWith("r/", key, StringComparison.Ordinal));
    }
}
