using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GlobalZone.Client;
using GlobalZone.Client.Configuration;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

public sealed class BackoffTests
{
    [Fact]
    public void GrowsExponentiallyWithJitterAndStaysUnderTheCap()
    {
        var random = new Random(7);
        var initial = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(0, initial, max, random));
        for (var i = 0; i < 100; i++)
        {
            var first = Backoff.Delay(1, initial, max, random);
            Assert.InRange(first, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
            var third = Backoff.Delay(3, initial, max, random);
            Assert.InRange(third, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400));
            var late = Backoff.Delay(40, initial, max, random);
            Assert.InRange(late, TimeSpan.FromMilliseconds(500), max);
        }
    }

    [Fact]
    public void HonoursRetryAfterWithinTheCap()
    {
        var now = DateTimeOffset.UtcNow;
        var cap = TimeSpan.FromSeconds(5);
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(1)), now, cap));
        Assert.Equal(cap, Backoff.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(60)), now, cap));
        Assert.Equal(TimeSpan.FromSeconds(2), Backoff.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(2)), now, cap));
        Assert.Equal(TimeSpan.Zero, Backoff.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-2)), now, cap));
        Assert.Null(Backoff.RetryAfter(null, now, cap));
    }
}

public sealed class SseParserTests
{
    [Fact]
    public void DispatchesAtBlankLinesJoiningDataAndSkippingComments()
    {
        // The watch reads through System.Net.ServerSentEvents; this pins the behaviour it relies on.
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(": a comment\nid: 42\nevent: revision\ndata: {\"a\":\ndata:1}\n\n\ndata: x\n\n"));
        var events = WatchStream.CreateParser(body).Enumerate().Select(e => (e.EventType, e.EventId, Encoding.UTF8.GetString(e.Data))).ToList();
        Assert.Equal([("revision", "42", "{\"a\":\n1}"), ("message", null, "x")], events);
    }
}

public sealed class KeyPathTests
{
    [Fact]
    public void EncodesSegmentsButKeepsSlashes()
    {
        Assert.Equal("app/a%20b/%C3%A9%3F%23", KeyPath.Encode("app/a b/é?#"));
        Assert.Equal("?prefix&limit=5&after=a%2Fb", KeyPath.Query(("prefix", ""), ("limit", "5"), ("none", null), ("after", "a/b")));
        Assert.Equal("1500ms", KeyPath.Duration(TimeSpan.FromSeconds(1.5)));
        Assert.Equal("a/..b/c.", KeyPath.Encode("a/..b/c."));
        Assert.Throws<ArgumentException>(() => KeyPath.Encode("a/../b"));
        Assert.Throws<ArgumentException>(() => KeyPath.Encode("./b"));
    }
}

public sealed class ConfigurationKeyMapperTests
{
    private static KeyValue Kv(string key, string json) => new() { Key = key, Value = JsonDocument.Parse(json).RootElement.Clone(), ModRevision = 1, CreateRevision = 1, Version = 1 };

    [Fact]
    public void MapsKeysToSectionsAndSpreadsJsonLikeAppSettings()
    {
        var data = ConfigurationKeyMapper.Flatten("apps/billing/",
        [
            Kv("apps/billing/Logging/LogLevel/Default", "\"Warning\""),
            Kv("apps/billing/Retries", "3"),
            Kv("apps/billing/Enabled", "true"),
            Kv("apps/billing/Db", """{"Host":"db1","Ports":[5432,5433],"Password":null}"""),
            Kv("apps/billing/", "\"ignored: nothing left after the prefix\""),
            Kv("apps/other/Retries", "9"),
            new KeyValue { Key = "apps/billing/Blob", Value = JsonDocument.Parse("\"aGk=\"").RootElement.Clone(), Encoding = "base64" },
        ]);
        Assert.Equal("Warning", data["logging:loglevel:default"]);
        Assert.Equal("3", data["Retries"]);
        Assert.Equal("true", data["Enabled"]);
        Assert.Equal("db1", data["Db:Host"]);
        Assert.Equal("5433", data["Db:Ports:1"]);
        Assert.True(data.ContainsKey("Db:Password"));
        Assert.Null(data["Db:Password"]);
        Assert.Equal("hi", data["Blob"]);
        Assert.Equal(8, data.Count);
    }
}

public sealed class OptionsTests
{
    [Fact]
    public void ValidationNamesTheProblem()
    {
        Assert.Contains("Endpoints", Assert.Throws<ArgumentException>(() => new GlobalZoneClientOptions().Validate()).Message);
        Assert.Contains("not an http(s) URL", Assert.Throws<ArgumentException>(() => new GlobalZoneClientOptions { Endpoints = ["ftp://x"] }.Validate()).Message);
        Assert.Contains("LockLeaseTtl", Assert.Throws<ArgumentException>(() => new GlobalZoneClientOptions { Endpoints = ["http://x:1"], LockLeaseTtl = TimeSpan.FromMilliseconds(10) }.Validate()).Message);
        new GlobalZoneClientOptions { Endpoints = ["http://x:1"] }.Validate();
    }
}
