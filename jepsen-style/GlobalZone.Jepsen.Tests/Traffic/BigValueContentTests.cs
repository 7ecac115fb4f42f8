using System.Text;
using GlobalZone.Jepsen.Traffic.BigValues;

namespace GlobalZone.Jepsen.Tests.Traffic;

public sealed class BigValueContentTests
{
    private const string Key = "big/0/raw/3";

    [Fact]
    public void AValueReadBackAsWrittenIsIntactAndNamesItsWrite()
    {
        var value = BigValueContent.Create(Key, 17, 700_000);

        var found = BigValueContent.Inspect(Key, value, json: false);

        Assert.True(found.IsIntact, found.Problem);
        Assert.Equal(17, found.Sequence);
        Assert.Equal(700_000, found.Length);
        Assert.Equal("seq=17 bytes=700000", found.ToString());
        Assert.Equal(found, BigValueObservation.Parse(found.ToString()));
    }

    [Fact]
    public void ATransactionsJsonStringValueIsIntactToo()
    {
        var stored = Encoding.ASCII.GetBytes("\"" + Encoding.ASCII.GetString(BigValueContent.Create("big/1/txn/005", 8, 8064)) + "\"");

        var found = BigValueContent.Inspect("big/1/txn/005", stored, json: true);

        Assert.True(found.IsIntact, found.Problem);
        Assert.Equal(8, found.Sequence);
    }

    [Fact]
    public void OneChangedByteDeepInTheValueIsCaught()
    {
        var value = BigValueContent.Create(Key, 17, 700_000);
        value[654_321] = value[654_321] == (byte)'A' ? (byte)'B' : (byte)'A';

        var found = BigValueContent.Inspect(Key, value, json: false);

        Assert.False(found.IsIntact);
        Assert.Contains("at byte 654321", found.Problem, StringComparison.Ordinal);
        Assert.False(BigValueObservation.Parse(found.ToString()).IsIntact);
    }

    [Fact]
    public void ATruncatedValueIsCaught()
    {
        var value = BigValueContent.Create(Key, 17, 700_000);

        var found = BigValueContent.Inspect(Key, value.AsSpan(0, 524_288), json: false);

        Assert.False(found.IsIntact);
        Assert.Contains("is 524288", found.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherKeysValueIsCaught()
    {
        var found = BigValueContent.Inspect(Key, BigValueContent.Create("big/0/raw/4", 17, 600_000), json: false);

        Assert.False(found.IsIntact);
        Assert.Contains("another key", found.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AHeaderRewrittenToAnotherWriteNumberNoLongerMatchesItsFiller()
    {
        // Same key and length, header claiming write 18 over write 17's bytes: the filler belongs to write 17.
        var value = BigValueContent.Create(Key, 17, 600_000);
        var forged = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(value).Replace("seq=17 ", "seq=18 ", StringComparison.Ordinal));

        Assert.False(BigValueContent.Inspect(Key, forged, json: false).IsIntact);
    }

    [Fact]
    public void ATransactionBodyHoldsEveryKeyOfTheGroupWithItsOwnValue()
    {
        var write = new BigWrite(4, 8064, 128);
        var body = BigValueWriters.TransactionBody(BigValueKeys.TransactionGroup(1), write);

        using var document = System.Text.Json.JsonDocument.Parse(body);
        var puts = document.RootElement.GetProperty("success").EnumerateArray().ToList();
        Assert.Equal(128, puts.Count);
        Assert.Equal("big/1/txn/127", puts[^1].GetProperty("key").GetString());
        var stored = Encoding.ASCII.GetBytes(puts[^1].GetProperty("value").GetRawText());
        Assert.True(BigValueContent.Inspect("big/1/txn/127", stored, json: true).IsIntact);
        Assert.InRange(body.Length, 1_000_000, GlobalZone.Contracts.Limits.DefaultMaxValueBytes + (64 << 10));
    }
}
