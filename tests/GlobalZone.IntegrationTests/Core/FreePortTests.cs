using GlobalZone.ClusterRunner;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Test clusters take random free ports: a port handed out once must not be handed out again in the same process, even
/// while its member is not listening yet (two members of one layout once got the same port, and one failed to start).
/// </summary>
public sealed class FreePortTests
{
    [Fact]
    public void Free_ports_are_never_handed_out_twice()
    {
        // 500 draws from ~12,800 ports collide almost surely (birthday bound) unless handed-out ports are remembered.
        var ports = Enumerable.Range(0, 500).Select(_ => ClusterLayout.FreePort()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void A_layout_never_gives_two_members_one_port()
    {
        for (var i = 0; i < 50; i++)
        {
            var layout = ClusterLayout.Parse("2+2+1");
            Assert.Equal(5, layout.Members.Select(m => m.Port).Distinct().Count());
        }
    }
}
