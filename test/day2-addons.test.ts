/**
 * The add-ons on a running cluster: Talos creates an inline manifest's objects once, so
 * turning an add-on off or bumping it reaches the cluster only through the rollout's
 * bootstrap-manifest sync, which applies what changed and prunes what left, against the
 * fake cluster.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { buildAddons, manifestText, type AddonName } from "../lib/addons/objects";
import { cluster as clusterSpec } from "./support/talosInventories";
import {
  clusterNodes,
  configText,
  fake,
  inputsFor,
  providerFor,
  type RolloutOutputs,
} from "./support/rollout";

const ADDONS = buildAddons(
  clusterSpec({ storage: { localPath: true }, addons: { metricsServer: true } }),
  false,
);

/** A node's configuration carrying these add-ons as inline manifests (control planes only). */
function withAddons(role: string, names: AddonName[], edit?: (text: string) => string): string {
  const base = YAML.parse(configText(role, "1.36.0"));
  if (role === "controlplane" && names.length > 0)
    base.cluster.inlineManifests = names.map((n) => {
      const text = manifestText(ADDONS.find((a) => a.name === n)!);
      return { name: n, contents: edit ? edit(text) : text };
    });
  return YAML.stringify(base);
}

describe("day2 rollout: add-ons on a running cluster", () => {
  it("turning metrics-server off prunes its objects through the manifest sync; the rest stays", async () => {
    const on: AddonName[] = ["local-path-provisioner", "metrics-server"];
    const c = await fake({
      nodes: clusterNodes(1),
      initialConfig: (n) => withAddons(n.role, on),
    });
    try {
      // Talos created the inline manifests' objects when the API first answered, and
      // listed them in its inventory (Talos v1.13's manifest controller).
      assert.ok(c.kube.objects.get("Deployment", "kube-system", "metrics-server"));
      assert.ok(c.kube.objects.get("StorageClass", "", "local-path"));
      const inventory = () =>
        c.kube.objects.get("ConfigMap", "kube-system", "talos-bootstrap-manifests-inventory")
          ?.data ?? {};
      assert.ok("kube-system_metrics-server_apps_Deployment" in inventory());
      const { provider, lines } = providerFor();
      const olds = inputsFor(c);
      for (const n of c.nodes) olds.configs[n.name] = withAddons(n.role, on);
      const created = (await provider.create(olds)).outs as RolloutOutputs;
      const news = inputsFor(c);
      for (const n of c.nodes)
        news.configs[n.name] = withAddons(n.role, ["local-path-provisioner"]);
      await provider.update("fake-rollout", created, news);

      for (const [kind, ns, name] of [
        ["Deployment", "kube-system", "metrics-server"],
        ["ServiceAccount", "kube-system", "metrics-server"],
        ["APIService", "", "v1beta1.metrics.k8s.io"],
        ["ClusterRole", "", "system:metrics-server"],
      ])
        assert.equal(c.kube.objects.get(kind, ns, name), undefined, `${kind} ${name} still there`);
      assert.ok(c.kube.objects.get("StorageClass", "", "local-path"), "local-path stays");
      assert.ok(c.kube.objects.get("Deployment", "kube-system", "coredns"), "CoreDNS stays");
      const log = lines.join("\n");
      // Talos's inventory was there: no sync first just to record one.
      assert.doesNotMatch(log, /to record what Talos renders before it changes/);
      const pruned = lines.filter((l) => /: pruned/.test(l));
      assert.match(log, /bootstrap manifest Deployment\/kube-system\/metrics-server: pruned/);
      assert.ok(
        pruned.every((l) => /metrics/.test(l)),
        `only metrics-server's objects are pruned: ${pruned.join("; ")}`,
      );
      assert.equal("kube-system_metrics-server_apps_Deployment" in inventory(), false);
      assert.ok("_local-path_storage.k8s.io_StorageClass" in inventory());
    } finally {
      c.stop();
    }
  });

  it("a new add-on release reaches the running Deployment; Talos alone would leave it", async () => {
    const c = await fake({
      nodes: clusterNodes(0),
      initialConfig: (n) => withAddons(n.role, ["metrics-server"]),
    });
    try {
      const bump = (t: string) => t.replace("metrics-server:v0.9.0", "metrics-server:v0.9.1-test");
      const { provider } = providerFor();
      const olds = inputsFor(c);
      for (const n of c.nodes) olds.configs[n.name] = withAddons(n.role, ["metrics-server"]);
      const created = (await provider.create(olds)).outs as RolloutOutputs;
      const news = inputsFor(c);
      for (const n of c.nodes) news.configs[n.name] = withAddons(n.role, ["metrics-server"], bump);
      await provider.update("fake-rollout", created, news);
      const deploy = c.kube.objects.get("Deployment", "kube-system", "metrics-server");
      assert.equal(
        deploy?.spec.template.spec.containers[0].image,
        "registry.k8s.io/metrics-server/metrics-server:v0.9.1-test",
      );
    } finally {
      c.stop();
    }
  });
});
