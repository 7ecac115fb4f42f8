using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// A client's ledger of writes during a fault: which were acknowledged (200, with their revision), and which were
/// only attempted (refused, timed out or outcome unknown). Every key is written at most once, with a value of its
/// own, so afterwards it can be checked that every acknowledged write is still there, that no two acknowledgements
/// share a revision, and that nothing appeared that was never attempted.
/// </summary>
internal sealed class AcknowledgedWrites(string prefix)
{
    private readonly Dictionary<string, string> acknowledged = new();
    private readonly Dictionary<string, long> revisions = new();
    private readonly HashSet<string> attempted = new();
    private int next;

    public string Prefix => prefix;

    public int Count => acknowledged.Count;

    public int Refused { get; private set; }

    /// <summary>One write of a fresh key through <paramref name="client"/>; true when acknowledged.</summary>
    public async Task<bool> TryWriteAsync(HttpClient client, TimeSpan timeout)
    {
        var key = $"{prefix}k{next:D5}";
        var value = $"{{\"n\":{next},\"via\":\"{client.BaseAddress!.Authority}\"}}";
        next++;
        attempted.Add(key);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            using var response = await client.PutAsync("/v1/kv/" + key, new StringContent(value, Encoding.UTF8, "application/json"), deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Refused++;
                return false;
            }

            acknowledged[key] = value;
            revisions[key] = JsonDocument.Parse(body).RootElement.GetProperty("revision").GetInt64();
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            Refused++;
            return false;
        }
    }

    /// <summary>Writes through the clients in turn until one write is acknowledged; returns how long that took.</summary>
    public async Task<TimeSpan> WriteUntilAcknowledgedAsync(Func<IReadOnlyList<HttpClient>> clients, TimeSpan bound, string what)
    {
        var clock = Stopwatch.StartNew();
        var turn = 0;
        while (clock.Elapsed < bound)
        {
            var candidates = clients();
            if (candidates.Count > 0 && await TryWriteAsync(candidates[turn++ % candidates.Count], TimeSpan.FromSeconds(3)))
                return clock.Elapsed;
            await Task.Delay(20);
        }

        throw new TimeoutException($"No write was acknowledged within {bound} ({what}); {Refused} refused.");
    }

    /// <summary>
    /// Reads the whole prefix linearizably through <paramref name="voter"/> and checks it against the ledger: every
    /// acknowledged key holds its value, acknowledged writes have distinct revisions, every key present was attempted.
    /// Returns the listing (key → value JSON) for comparisons between members.
    /// </summary>
    public async Task<SortedDictionary<string, string>> AssertIntactAsync(HttpClient voter)
    {
        var listing = await ListAsync(voter, prefix);
        foreach (var (key, value) in acknowledged)
        {
            Assert.True(listing.TryGetValue(key, out var found), $"acknowledged write {key} is missing on {voter.BaseAddress}");
            Assert.Equal(value, found);
        }

        Assert.Equal(revisions.Count, revisions.Values.Distinct().Count());
        foreach (var key in listing.Keys)
            Assert.True(attempted.Contains(key), $"{key} is on {voter.BaseAddress} but was never written");
        return listing;
    }

    public static async Task<SortedDictionary<string, string>> ListAsync(HttpClient client, string prefix)
    {
        using var response = await client.GetAsync($"/v1/kv/{prefix}?prefix&limit=10000&consistency=linearizable");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"listing {prefix} via {client.BaseAddress} answered {(int)response.StatusCode}: {body}");
        var listing = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in JsonDocument.Parse(body).RootElement.GetProperty("kvs").EnumerateArray())
            listing[record.GetProperty("key").GetString()!] = record.GetProperty("value").GetRawText();
        return listing;
    }
}
