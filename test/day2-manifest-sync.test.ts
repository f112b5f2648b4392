/**
 * The bootstrap-manifest sync against a cluster whose inventory Talos wrote (the fake's
 * Talos manifest controller, as manifest_apply.go): cli-utils keys both ways, the
 * owning-inventory annotation, the diff by server-side dry run, fields dropped from a
 * manifest gone from the live object, and on a cluster with a Talos v1.12 node the sync
 * upstream runs there (no inventory, no prune), with pre-pulls through
 * MachineService.ImagePull.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import type { FakeCluster } from "../packages/day2/fake";
import { INVENTORY, OWNING_INVENTORY } from "../packages/day2/fake/talos/manifests";
import { keyOf, refOfKey } from "../packages/day2/lib/inventory";
import { syncManifests } from "../packages/day2/rollout/manifests";
import { kubeFor, talosFor } from "./support/day2";
import { configText as specText } from "../packages/day2/lib/machineConfig";
import {
  configText,
  fake,
  inputsFor,
  providerFor,
  type InputOptions,
  type RolloutInputs,
  type RolloutOutputs,
} from "./support/rollout";

async function run(c: FakeCluster, from: InputOptions, to: InputOptions) {
  const { provider, lines } = providerFor();
  const olds = (await provider.create(inputsFor(c, from))).outs as RolloutOutputs;
  const { outs } = await provider.update("fake-rollout", olds, inputsFor(c, to));
  return { outs: outs as RolloutOutputs, lines, provider };
}

function withInline(
  inputs: RolloutInputs,
  manifests: { name: string; contents: string }[],
): RolloutInputs {
  const configs = { ...inputs.configs };
  for (const [n, node] of Object.entries(inputs.nodes)) {
    if (node.role !== "controlplane") continue;
    const doc = YAML.parse(configs[n]);
    doc.cluster.inlineManifests = manifests;
    configs[n] = YAML.stringify(doc);
  }
  return { ...inputs, configs };
}

const inventory = (c: FakeCluster) =>
  c.kube.objects.get("ConfigMap", INVENTORY.namespace, INVENTORY.name)?.data;

const CM = (data: Record<string, string>) => ({
  name: "settings",
  contents: YAML.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings" },
    data,
  }),
});

describe("day2 inventory keys and machine configuration specs, read as upstream writes them", () => {
  it("cli-utils keys: RBAC names transcode : both ways, other kinds keep it; malformed keys are refused", () => {
    const role = {
      namespace: "",
      name: "system:coredns",
      group: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
    };
    assert.equal(keyOf(role), "_system__coredns_rbac.authorization.k8s.io_ClusterRole");
    assert.deepEqual(refOfKey(keyOf(role)), role);
    assert.equal(
      keyOf({ namespace: "default", name: "a:b", group: "", kind: "ConfigMap" }),
      "default_a:b__ConfigMap",
    );
    assert.deepEqual(refOfKey("kube-system_kube-proxy_apps_DaemonSet"), {
      namespace: "kube-system",
      name: "kube-proxy",
      group: "apps",
      kind: "DaemonSet",
    });
    assert.throws(() => refOfKey("nounderscore"), /unable to parse stored object metadata/);
  });

  it("a MachineConfig spec is a YAML string holding the documents; plain documents are read as they are", () => {
    const text = "version: v1alpha1\nmachine:\n  type: worker\n---\nkind: X\n";
    assert.equal(specText(YAML.stringify(text)), text);
    assert.equal(specText(text), text);
  });
});

describe("day2 manifest sync against Talos's own inventory", () => {
  it("a Kubernetes upgrade on a cluster whose inventory Talos wrote finishes; system:coredns round-trips through the inventory", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2" });
    try {
      const key = "_system__coredns_rbac.authorization.k8s.io_ClusterRole";
      assert.ok(key in (inventory(c) ?? {}), "Talos wrote the inventory");
      await run(c, { kubernetesVersion: "1.35.2" }, { kubernetesVersion: "1.36.0" });
      const proxy = c.kube.objects.get("DaemonSet", "kube-system", "kube-proxy");
      assert.match(proxy.spec.template.spec.containers[0].image, /:v1\.36\.0$/);
      assert.ok(key in (inventory(c) ?? {}), "still listed");
      assert.ok(c.kube.objects.get("ClusterRole", "", "system:coredns"), "not pruned");
      assert.ok(Object.keys(inventory(c) ?? {}).every((k) => /^[-._a-zA-Z0-9]+$/.test(k)));
      assert.equal(proxy.metadata.annotations?.[OWNING_INVENTORY], INVENTORY.name);
    } finally {
      c.stop();
    }
  });

  it("a key removed from a manifest is gone from the live object, and what the sync applies carries the annotation", async () => {
    const c = await fake({});
    try {
      const { provider } = providerFor();
      const base = inputsFor(c);
      const olds = (await provider.create(base)).outs as RolloutOutputs;
      const r1 = (
        await provider.update("fake-rollout", olds, withInline(base, [CM({ a: "1", b: "2" })]))
      ).outs as RolloutOutputs;
      const live = () => c.kube.objects.get("ConfigMap", "default", "settings");
      assert.deepEqual(live()?.data, { a: "1", b: "2" });
      await provider.update("fake-rollout", r1, withInline(base, [CM({ a: "1" })]));
      assert.deepEqual(live()?.data, { a: "1" });
      assert.equal(live()?.metadata.annotations?.[OWNING_INVENTORY], INVENTORY.name);
      assert.ok("default_settings__ConfigMap" in (inventory(c) ?? {}), "namespace defaulted");
    } finally {
      c.stop();
    }
  });

  it("applies in upstream's stages: Namespaces and ClusterRoles, then kinds ending in Class, then the rest", async () => {
    const objects = [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "apps" } },
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "fast" },
        provisioner: "x",
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "apps:reader" },
        rules: [],
      },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } },
    ];
    const inline = [
      { name: "apps", contents: objects.map((o) => YAML.stringify(o)).join("---\n") },
    ];
    const c = await fake({
      initialConfig: (n) => {
        const doc = YAML.parse(configText(n.role, "1.36.0"));
        if (n.role === "controlplane") doc.cluster.inlineManifests = inline;
        return YAML.stringify(doc);
      },
    });
    const talos = talosFor(c);
    const kube = kubeFor(c);
    try {
      // Talos created them at bootstrap; gone since, the sync applies them again.
      for (const o of objects)
        assert.ok(c.kube.objects.delete(o.kind, o.metadata.namespace ?? "", o.metadata.name));
      const mark = c.log.entries.length;
      const r = await syncManifests({
        talos,
        kube,
        node: "cp-1",
        log: () => {},
        timing: { timeoutMs: 1000, pollMs: 5 },
      });
      assert.equal(r.applied.length, 4, r.applied.join(", "));
      const applies = c.log.entries
        .filter((e) => e.seq >= mark && /^PATCH [a-z]+$/.test(e.call))
        .map((e) => e.call.replace(/^PATCH /, ""));
      const at = (k: string) => applies.indexOf(k);
      const seen = applies.join(", ");
      assert.ok(at("namespace") >= 0 && at("clusterrole") >= 0, seen);
      assert.ok(Math.max(at("namespace"), at("clusterrole")) < at("storageclasse"), seen);
      assert.ok(at("storageclasse") < at("configmap"), seen);
      assert.ok("_apps__reader_rbac.authorization.k8s.io_ClusterRole" in (inventory(c) ?? {}));
    } finally {
      talos.close();
      kube.close();
      c.stop();
    }
  });

  it("refuses an object another inventory owns, naming it", async () => {
    const c = await fake({});
    try {
      c.kube.objects.create(
        "ConfigMap",
        "default",
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "settings", annotations: { [OWNING_INVENTORY]: "flux-system" } },
          data: { a: "0" },
        },
        { manager: "flux", apiVersion: "v1" },
      );
      const { provider } = providerFor();
      const base = inputsFor(c);
      const olds = (await provider.create(base)).outs as RolloutOutputs;
      await assert.rejects(
        provider.update("fake-rollout", olds, withInline(base, [CM({ a: "1" })])),
        /ConfigMap\/default\/settings.*inventory flux-system/,
      );
      assert.deepEqual(c.kube.objects.get("ConfigMap", "default", "settings")?.data, { a: "0" });
    } finally {
      c.stop();
    }
  });

  it("with a Talos v1.12 node: images pre-pulled through MachineService.ImagePull, manifests synced without inventory or prune", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2", faults: { legacyOnly: ["w-1"] } });
    try {
      const { provider } = providerFor();
      const olds = (await provider.create(inputsFor(c, { kubernetesVersion: "1.35.2" }))).outs;
      const to = inputsFor(c, { kubernetesVersion: "1.36.0" });
      const before = JSON.stringify(inventory(c));
      await provider.update("fake-rollout", olds as RolloutOutputs, to);
      assert.deepEqual(c.node("w-1").pulled, [
        { ref: "ghcr.io/siderolabs/kubelet:v1.36.0", namespace: "NS_SYSTEM" },
      ]);
      assert.ok(
        c.log.calls({ node: "w-1", call: "ImagePull", outcome: "ok" }).length > 0,
        "through MachineService.ImagePull",
      );
      const proxy = c.kube.objects.get("DaemonSet", "kube-system", "kube-proxy");
      assert.match(proxy.spec.template.spec.containers[0].image, /:v1\.36\.0$/);
      assert.equal(JSON.stringify(inventory(c)), before, "the inventory is left as Talos wrote it");
    } finally {
      c.stop();
    }
  });
});
