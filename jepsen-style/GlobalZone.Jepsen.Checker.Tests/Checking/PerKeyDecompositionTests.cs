namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class PerKeyDecompositionTests
{
    [Fact]
    public void KeysAreIndependentRegisters()
    {
        // Interleaved in time, but each key on its own is fine: a read of "y" does not see the write of "x".
        var history = new TestHistory()
            .Write(0, "1", 0, 1, key: "x")
            .Read(1, null, 2, 3, key: "y")
            .Write(1, "2", 4, 5, key: "y")
            .Read(0, "1", 6, 7, key: "x")
            .Read(2, "2", 8, 9, key: "y");
        var result = LinearizabilityChecker.Check(history.Operations, new RegisterModel());
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(["x", "y"], result.Keys.Select(key => key.Key));
    }

    [Fact]
    public void OneBadKeyMakesTheHistoryNotLinearizableAndIsNamed()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1, key: "good")
            .Read(1, "1", 2, 3, key: "good")
            .Write(0, "1", 4, 5, key: "bad")
            .Read(1, null, 6, 7, key: "bad");
        var result = LinearizabilityChecker.Check(history.Operations, new RegisterModel());

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(Verdict.NotLinearizable, result.Keys.Single(key => key.Key == "bad").Verdict);
        Assert.Equal(Verdict.Linearizable, result.Keys.Single(key => key.Key == "good").Verdict);
        Assert.Equal("bad", result.Counterexample?.Key);
    }

    [Fact]
    public void ManyKeysAreEachChecked()
    {
        var history = new TestHistory();
        for (var key = 0; key < 50; key++)
        {
            var name = key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            history.Append(key % 5, name, 10 * key, (10 * key) + 5, key: name).Read((key + 1) % 5, name, (10 * key) + 1, (10 * key) + 6, key: name);
        }
        var result = LinearizabilityChecker.Check(history.Operations, new KvAppendModel());
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(50, result.Keys.Count);
    }
}
