using System.Text;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>The typed key/value API against a real cluster: revisions, CAS, transactions, listing, read modes, leases.</summary>
[Collection(SharedClientClusterCollection.Name)]
public sealed class KeyValueTests(SharedClientCluster shared)
{
    private record Endpoint(string Host, int Port);

    [Fact]
    public async Task PutGetCompareAndSetDeleteWithRevisions()
    {
        await using var client = ClientClusters.Client(shared.Cluster, site: "dc2");
        var key = $"client-tests/kv-{Guid.NewGuid().ToString("N")[..8]}/endpoint";
        Assert.Null(await client.GetAsync(key));
        Assert.True(await client.CreateAsync(key, new Endpoint("a", 1)));
        Assert.False(await client.CreateAsync(key, new Endpoint("b", 2)));
        var first = await client.GetAsync(key);
        Assert.NotNull(first);
        Assert.Equal(new Endpoint("a", 1), first.GetValue<Endpoint>());
        Assert.Equal(1, first.Version);

        Assert.True(await client.CompareAndSetAsync(key, new Endpoint("a", 2), first.ModRevision));
        Assert.False(await client.CompareAndSetAsync(key, new Endpoint("a", 3), first.ModRevision));
        var error = await Assert.ThrowsAsync<PreconditionFailedException>(() => client.PutAsync(key, 0, new WriteOptions { IfModRevision = first.ModRevision }));
        var second = await client.GetAsync(key, ReadOptions.Stale(TimeSpan.FromSeconds(30)));
        Assert.Equal(second!.ModRevision, error.CurrentModRevision);
        Assert.Equal(new Endpoint("a", 2), await client.GetValueAsync<Endpoint>(key));

        await client.PutBytesAsync(key + "/raw", Encoding.UTF8.GetBytes("\u0001bytes"));
        Assert.Equal("\u0001bytes", Encoding.UTF8.GetString((await client.GetAsync(key + "/raw"))!.GetBytes()));

        var deleted = await client.DeleteAsync(key, new WriteOptions { IfModRevision = second.ModRevision });
        Assert.Equal(1, deleted.Deleted);
        Assert.Null(await client.GetAsync(key));
    }

    [Fact]
    public async Task TransactionsCommitAtOneRevisionAndListingsPage()
    {
        await using var client = ClientClusters.Client(shared.Cluster);
        var prefix = $"client-tests/txn-{Guid.NewGuid().ToString("N")[..8]}/";
        var txn = await client.TxnAsync(Txn.If(Txn.Absent(prefix + "a"))
            .Then(Txn.Put(prefix + "a", 1), Txn.Put(prefix + "b", 2), Txn.Put(prefix + "c", 3), Txn.Put(prefix + "d", 4), Txn.Put(prefix + "e", 5))
            .Else(Txn.Get(prefix + "a")));
        Assert.True(txn.Succeeded);
        var again = await client.TxnAsync(Txn.If(Txn.Absent(prefix + "a")).Then(Txn.Put(prefix + "a", 9)).Else(Txn.Get(prefix + "a")));
        Assert.False(again.Succeeded);
        Assert.Equal(1, again.Results[0].Kv!.GetValue<int>());

        var page = await client.ListAsync(prefix, new ListOptions { Limit = 2 });
        Assert.Equal([prefix + "a", prefix + "b"], page.Items.Select(i => i.Key));
        Assert.True(page.More);
        Assert.All(page.Items, i => Assert.Equal(txn.Revision, i.ModRevision));
        var all = new List<KeyValue>();
        await foreach (var kv in client.ListAllAsync(prefix, new ListOptions { Limit = 2, KeysOnly = true }))
            all.Add(kv);
        Assert.Equal(5, all.Count);
        Assert.All(all, kv => Assert.Null(kv.Value));

        var everything = await client.ListAsync("", new ListOptions { Limit = 1, KeysOnly = true });
        Assert.Single(everything.Items);
        Assert.True(everything.More);

        var removed = await client.DeletePrefixAsync(prefix);
        Assert.Equal(5, removed.Deleted);
    }

    [Fact]
    public async Task AWriteWhoseAnswerWasLostIsRetriedWithoutApplyingTwice()
    {
        var transport = new LostAnswerHandler(shared.Cluster.Cluster.CreateHandler()); // trusts the CA in the suite's security mode
        await using var client = new GlobalZoneClient(ClientClusters.Options(shared.Cluster), new HttpClient(transport) { Timeout = Timeout.InfiniteTimeSpan });
        var key = $"client-tests/once-{Guid.NewGuid().ToString("N")[..8]}";
        // Create-if-absent: applied twice, the second application would fail its condition (412) and report false.
        Assert.True(await client.CreateAsync(key, "first"));
        Assert.Equal([(200, "true")], transport.Delivered);
        var kv = await client.GetAsync(key);
        Assert.Equal(1, kv!.Version);
    }

    [Fact]
    public async Task AKeyOnALeaseGoesWithTheLease()
    {
        await using var client = ClientClusters.Client(shared.Cluster);
        var key = $"client-tests/leased-{Guid.NewGuid().ToString("N")[..8]}";
        var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(5));
        await client.PutAsync(key, "here while the lease lives", new WriteOptions { Lease = lease.Id });
        Assert.Equal(lease.Id, (await client.GetAsync(key))!.Lease);
        var info = await client.GetLeaseAsync(lease.Id, withKeys: true);
        Assert.Equal([key], info!.Keys);
        await lease.DisposeAsync();
        Assert.Null(await client.GetAsync(key));
        Assert.Null(await client.GetLeaseAsync(lease.Id));
        Assert.False(lease.IsLost);
    }
}
