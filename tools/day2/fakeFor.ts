/**
 * A fake cluster shaped like an inventory, as it stands a moment after its `pulumi up`:
 * its nodes, names, endpoint and versions; its GPU workers advertising their GPU (the
 * NVIDIA device plugin runs); its control planes carrying the inventory's add-ons as
 * inline manifests, so the fake's Talos creates their objects. For `npm run examples`
 * and the tests of the day2 CLI.
 */
import * as YAML from "yaml";
import { buildAddons, inlineManifests } from "../../lib/addons/objects";
import type { Inventory } from "../../lib/inventory";
import { LastUsed } from "../../lib/lastUsed";
import { hasGpuNodes } from "../../lib/talos/patches";
import { startFakeCluster, type FakeCluster } from "../../packages/day2/fake";
import * as fakeResources from "../../packages/day2/fake/talosResources";

type FakeOptions = Parameters<typeof startFakeCluster>[0];

/** Initial configurations by role, version and inline manifests: the same for every node of a role. */
const configs = new LastUsed<string>(16);

/** Starts the fake for `inventory`; `options` override what it derives. */
export function startFakeFor(
  inventory: Inventory,
  options: Partial<FakeOptions> = {},
): Promise<FakeCluster> {
  const addons = buildAddons(inventory.cluster, hasGpuNodes(inventory.nodes));
  const version = inventory.cluster.kubernetes.version;
  return startFakeCluster({
    nodes: inventory.nodes.map((n) => ({ name: n.name, ip: n.ip, role: n.role })),
    clusterName: inventory.cluster.name,
    endpointHost: inventory.endpoint.host,
    talosVersion: inventory.cluster.talos.version,
    kubernetesVersion: version,
    gpus: Object.fromEntries(inventory.nodes.filter((n) => n.gpu).map((n) => [n.name, 1])),
    initialConfig: (n) => {
      const manifests =
        n.role === "controlplane" && addons.length > 0 ? inlineManifests(addons) : [];
      return configs.get(JSON.stringify([n.role, version, manifests]), () => {
        const doc = YAML.parse(fakeResources.initialConfig(n.role, version));
        if (manifests.length > 0) doc.cluster.inlineManifests = manifests;
        return YAML.stringify(doc);
      });
    },
    ...options,
  });
}
