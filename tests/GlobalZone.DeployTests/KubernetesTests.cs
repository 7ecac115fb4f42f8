using System.Text.Json.Nodes;

namespace GlobalZone.DeployTests;

/// <summary>The Kubernetes manifests: a StatefulSet per site, headless services, the PDB, topology, probes.</summary>
public sealed class KubernetesTests
{
    private static readonly List<JsonNode> Objects = Directory.GetFiles(DeployFiles.Path("kubernetes"), "*.yaml").Order()
        .SelectMany(f => DeployFiles.Yaml(Path.GetRelativePath(DeployFiles.Path(""), f))).Where(d => d is not null).ToList();

    private static IEnumerable<JsonNode> OfKind(string kind) => Objects.Where(o => o["kind"].AsString() == kind);

    private static bool Selects(JsonNode selector, JsonNode labels)
        => selector.AsObject().All(s => labels[s.Key].AsString() == s.Value.AsString());

    [Fact]
    public void One_statefulset_per_site_runs_exactly_the_members_the_config_lists()
    {
        var members = ServerSettings.BindAndValidate(ServerSettings.Flatten(ClusterConfigTests.Load("kubernetes/configmap.yaml"))
            .Append(KeyValuePair.Create<string, string?>("GlobalZone:MemberId", "globalzone-dc1-0"))).Members;
        var sets = OfKind("StatefulSet").ToList();
        Assert.Equal(["dc1", "dc2", "dc3"], sets.Select(s => s["metadata"]!["labels"]!["globalzone.dev/site"].AsString()).Order());
        var pods = new List<string>();
        foreach (var set in sets)
        {
            var name = set["metadata"]!["name"].AsString();
            var ns = set["metadata"]!["namespace"].AsString();
            var site = set["metadata"]!["labels"]!["globalzone.dev/site"].AsString();
            var replicas = int.Parse(set["spec"]!["replicas"].AsString());
            var serviceName = set["spec"]!["serviceName"].AsString();
            for (var i = 0; i < replicas; i++)
            {
                var pod = $"{name}-{i}";
                pods.Add(pod);
                var member = Assert.Single(members, m => m.Id == pod);
                Assert.Equal(site, member.Site);
                Assert.Equal(set["spec"]!["template"]!["metadata"]!["labels"]!["globalzone.dev/role"].AsString(), member.Role);
                // The member's URL is the pod's stable DNS name under its site's headless service.
                Assert.Equal($"{pod}.{serviceName}.{ns}.svc.cluster.local", new Uri(member.Url).Host);
            }
        }

        Assert.Equal(members.Select(m => m.Id).Order(), pods.Order());
    }

    [Fact]
    public void Pods_take_their_member_id_from_their_name_and_mount_data_and_config_where_the_server_reads_them()
    {
        foreach (var set in OfKind("StatefulSet"))
        {
            var pod = set["spec"]!["template"]!["spec"]!;
            var container = pod["containers"]!.AsArray().Single()!;
            var env = container["env"]!.AsArray().ToDictionary(e => e!["name"].AsString(), e => e!);
            Assert.All(env.Keys, k => Assert.True(ServerSettings.IsKnown(ServerSettings.EnvironmentKey(k)), k));
            Assert.Equal("metadata.name", env["GlobalZone__MemberId"]["valueFrom"]!["fieldRef"]!["fieldPath"].AsString());

            var mounts = container["volumeMounts"]!.AsArray().ToDictionary(m => m!["name"].AsString(), m => m!["mountPath"].AsString());
            Assert.Equal(env["GlobalZone__DataDirectory"]["value"].AsString(), mounts["data"]);
            Assert.Contains(set["spec"]!["volumeClaimTemplates"]!.AsArray(), t => t!["metadata"]!["name"].AsString() == "data");
            Assert.Equal(DeployConstants.ClusterConfigPath, mounts["cluster"] + "/cluster.json");
            var configMap = pod["volumes"]!.AsArray().Single(v => v!["name"].AsString() == "cluster")!["configMap"]!["name"].AsString();
            Assert.Contains(OfKind("ConfigMap"), c => c["metadata"]!["name"].AsString() == configMap && c["data"]!["cluster.json"] is not null);

            var securityContext = pod["securityContext"]!;
            Assert.Equal("true", securityContext["runAsNonRoot"].AsString());
            Assert.NotEqual("0", securityContext["runAsUser"].AsString());
        }
    }

    [Fact]
    public void Probes_and_ports_point_at_the_servers_health_endpoints_on_the_member_port()
    {
        foreach (var set in OfKind("StatefulSet"))
        {
            var container = set["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;
            var port = container["ports"]!.AsArray().Single()!;
            Assert.Equal(DeployConstants.MemberPort.ToString(), port["containerPort"].AsString());
            var portName = port["name"].AsString();
            Assert.Equal("/healthz", container["livenessProbe"]!["httpGet"]!["path"].AsString());
            Assert.Equal("/readyz", container["readinessProbe"]!["httpGet"]!["path"].AsString());
            Assert.Equal(portName, container["livenessProbe"]!["httpGet"]!["port"].AsString());
            Assert.Equal(portName, container["readinessProbe"]!["httpGet"]!["port"].AsString());
        }
    }

    [Fact]
    public void Each_site_has_a_headless_service_that_publishes_members_before_they_are_ready()
    {
        foreach (var set in OfKind("StatefulSet"))
        {
            var service = OfKind("Service").Single(s => s["metadata"]!["name"].AsString() == set["spec"]!["serviceName"].AsString());
            Assert.Equal("None", service["spec"]!["clusterIP"].AsString());
            // Readiness needs a leader, and a leader needs members that can reach each other by name.
            Assert.Equal("true", service["spec"]!["publishNotReadyAddresses"].AsString());
            Assert.True(Selects(service["spec"]!["selector"]!, set["spec"]!["template"]!["metadata"]!["labels"]!));
            Assert.True(Selects(set["spec"]!["selector"]!["matchLabels"]!, set["spec"]!["template"]!["metadata"]!["labels"]!));
            Assert.Equal(DeployConstants.MemberPort.ToString(), service["spec"]!["ports"]!.AsArray().Single()!["port"].AsString());
        }

        var client = OfKind("Service").Single(s => s["metadata"]!["name"].AsString() == "globalzone-client");
        var witness = OfKind("StatefulSet").Single(s => s["metadata"]!["labels"]!["globalzone.dev/role"].AsString() == "witness");
        Assert.False(Selects(client["spec"]!["selector"]!, witness["spec"]!["template"]!["metadata"]!["labels"]!), "the witness serves no clients");
    }

    [Fact]
    public void Sites_are_pinned_by_topology_and_disruptions_take_one_member_at_a_time()
    {
        foreach (var set in OfKind("StatefulSet"))
        {
            var site = set["metadata"]!["labels"]!["globalzone.dev/site"].AsString();
            var affinity = set["spec"]!["template"]!["spec"]!["affinity"]!;
            var term = affinity["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]!.AsArray().Single()!["matchExpressions"]!.AsArray().Single()!;
            Assert.Equal("topology.kubernetes.io/zone", term["key"].AsString());
            Assert.Equal([site], term["values"]!.AsArray().Select(v => v.AsString()));
            Assert.Equal("kubernetes.io/hostname", affinity["podAntiAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!.AsArray().Single()!["topologyKey"].AsString());
        }

        var budget = OfKind("PodDisruptionBudget").Single();
        Assert.Equal("1", budget["spec"]!["maxUnavailable"].AsString());
        Assert.All(OfKind("StatefulSet"), s => Assert.True(Selects(budget["spec"]!["selector"]!["matchLabels"]!, s["spec"]!["template"]!["metadata"]!["labels"]!)));
    }
}
