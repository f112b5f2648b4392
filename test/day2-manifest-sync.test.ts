/**
 * The bootstrap-manifest sync against a cluster whose inventory Talos wrote (the fake's
 * Talos manifest controller, as manifest_apply.go): cli-utils keys both ways, the
 * owning-inventory annotation, the diff by server-side dry run, fields dropped from a
 * manifest gone from the live object, and on a cluster with a Talos v1.12 node the sync
 * upstream runs there (no inventory, no prune), with pre-pulls through
 * MachineService.ImagePull.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the objects are untyped JSON, as the API serves them */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import type { FakeCluster } from "../packages/day2/fake";
import { INVENTORY, OWNING_INVENTORY } from "../packages/day2/fake/talos/manifests";
import { keyOf, refOfKey } from "../packages/day2/lib/inventory";
import { rolloutState, syncManifests } from "../packages/day2/rollout/manifests";
import { kubeFor, talosFor } from "./support/day2";
import { configText as specText } from "../packages/day2/lib/machineConfig";
import {
  configText,
  fake,
  inputsFor,
  providerFor,
  withInline,
  type InputOptions,
  type RolloutOutputs,
} from "./support/rollout";

async function run(c: FakeCluster, from: InputOptions, to: InputOptions) {
  const { provider, lines } = providerFor();
  const olds = (await provider.create(inputsFor(c, from))).outs as RolloutOutputs;
  const { outs } = await provider.update("fake-rollout", olds, inputsFor(c, to));
  return { outs: outs as RolloutOutputs, lines, provider };
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

describe("day2 manifest sync: waits on every object it changed, by kstatus's rules", () => {
  const WEB = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "web:1" }] },
      },
    },
  };
  const DB = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "default" },
    spec: {
      replicas: 2,
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: { containers: [{ name: "db", image: "db:1" }] },
      },
    },
  };
  const SETTINGS = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: "default" },
    data: { a: "1" },
  };

  /** A cluster whose control planes render WEB, DB and SETTINGS inline, each created at bootstrap. */
  async function withWorkloads(rolloutMs: number) {
    const inline = [
      { name: "apps", contents: [WEB, DB, SETTINGS].map((o) => YAML.stringify(o)).join("---\n") },
    ];
    const c = await fake({
      rolloutMs,
      initialConfig: (n) => {
        const doc = YAML.parse(configText(n.role, "1.36.0"));
        if (n.role === "controlplane") doc.cluster.inlineManifests = inline;
        return YAML.stringify(doc);
      },
    });
    return { c, talos: talosFor(c), kube: kubeFor(c) };
  }

  /** Someone edited the live object: the sync brings the rendered one back (a new generation). */
  function edit(c: FakeCluster, kind: string, name: string, change: (o: any) => void) {
    const live = c.kube.objects.get(kind, "default", name);
    delete live.metadata.resourceVersion;
    delete live.metadata.managedFields;
    delete live.status;
    change(live);
    const [code] = c.kube.objects.update(kind, "default", name, live, {
      manager: "kubectl-edit",
      apiVersion: live.apiVersion,
    });
    assert.equal(code, 200);
  }

  const image = (o: any) => o.spec.template.spec.containers[0].image;

  it("a Deployment whose old replicas linger is not done until they are gone, though its new generation is observed at once", async () => {
    const { c, talos, kube } = await withWorkloads(300);
    try {
      edit(c, "Deployment", "web", (o) => (o.spec.template.spec.containers[0].image = "web:0"));
      const seen: string[] = [];
      const r = await syncManifests({
        talos,
        kube,
        node: "cp-1",
        log: (l) => seen.push(l),
        timing: { timeoutMs: 10_000, pollMs: 10 },
      });
      assert.deepEqual(r.applied, ["Deployment/default/web"], seen.join("\n"));
      const live = c.kube.objects.get("Deployment", "default", "web");
      assert.equal(image(live), "web:1");
      assert.equal(live.status.observedGeneration, live.metadata.generation);
      assert.deepEqual(
        [live.status.replicas, live.status.updatedReplicas, live.status.availableReplicas],
        [2, 2, 2],
        "no old replica left when the sync returns",
      );
    } finally {
      talos.close();
      kube.close();
      c.stop();
    }
  });

  it("a StatefulSet the sync changed is waited for until every pod runs its update revision; a ConfigMap needs no wait", async () => {
    const { c, talos, kube } = await withWorkloads(300);
    try {
      edit(c, "StatefulSet", "db", (o) => (o.spec.template.spec.containers[0].image = "db:0"));
      const r = await syncManifests({
        talos,
        kube,
        node: "cp-1",
        log: () => {},
        timing: { timeoutMs: 10_000, pollMs: 10 },
      });
      assert.deepEqual(r.applied, ["StatefulSet/default/db"]);
      const st = c.kube.objects.get("StatefulSet", "default", "db").status;
      assert.equal(st.currentRevision, st.updateRevision, "rolled out when the sync returns");
      assert.deepEqual([st.readyReplicas, st.currentReplicas, st.updatedReplicas], [2, 2, 2]);

      // A ConfigMap is current once stored: a sync changing only it finishes with no time
      // to wait at all, while the workloads' rollouts take 300 ms.
      edit(c, "ConfigMap", "settings", (o) => (o.data = { a: "0" }));
      const r2 = await syncManifests({
        talos,
        kube,
        node: "cp-1",
        log: () => {},
        timing: { timeoutMs: 0, pollMs: 10 },
      });
      assert.deepEqual(r2.applied, ["ConfigMap/default/settings"]);
      assert.deepEqual(c.kube.objects.get("ConfigMap", "default", "settings").data, { a: "1" });
    } finally {
      talos.close();
      kube.close();
      c.stop();
    }
  });

  it("a timeout names the object, what it waits for, and rollout.waits.manifestsSeconds", async () => {
    const { c, talos, kube } = await withWorkloads(60_000);
    try {
      edit(c, "Deployment", "web", (o) => (o.spec.template.spec.containers[0].image = "web:0"));
      await assert.rejects(
        syncManifests({
          talos,
          kube,
          node: "cp-1",
          log: () => {},
          timing: { timeoutMs: 200, pollMs: 10 },
        }),
        /^Error: Deployment\/default\/web did not roll out within 0\.2 s after the bootstrap manifests were applied \(2 old replica\(s\) left to terminate\).*rollout\.waits\.manifestsSeconds in cluster\.yaml/,
      );
    } finally {
      talos.close();
      kube.close();
      c.stop();
    }
  });

  it("kstatus's rules for each kind, field by field (cli-utils v1.2.0 core.go, generic.go)", () => {
    const dep = (status: any, spec: any = {}) =>
      rolloutState({
        kind: "Deployment",
        metadata: { generation: 2 },
        spec: { replicas: 2, ...spec },
        status,
      });
    const okConds = [
      { type: "Available", status: "True" },
      { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
    ];
    const full = {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    };
    assert.equal(dep({ ...full, conditions: okConds }).done, true);
    assert.match(
      dep({ ...full, observedGeneration: 1, conditions: okConds }).seen,
      /generation 2 not yet observed/,
    );
    assert.match(dep({ ...full, replicas: 3, conditions: okConds }).seen, /1 old replica/);
    assert.match(
      dep({ ...full, availableReplicas: 1, conditions: okConds }).seen,
      /available 1\/2/,
    );
    assert.match(dep({ ...full, conditions: [] }).seen, /not Available/);
    assert.match(
      dep({ ...full, conditions: [okConds[0]] }, { progressDeadlineSeconds: 600 }).seen,
      /new ReplicaSet is not available/,
    );
    const stalled = dep(
      {
        ...full,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
      },
      { progressDeadlineSeconds: 600 },
    );
    assert.deepEqual([stalled.done, stalled.failed], [false, true]);
    assert.equal(
      rolloutState({
        ...{ kind: "Deployment", metadata: { generation: 2, deletionTimestamp: "x" } },
        spec: {},
        status: { ...full, conditions: okConds },
      }).done,
      false,
    );

    const ds = (status: any) =>
      rolloutState({ kind: "DaemonSet", metadata: { generation: 1 }, status });
    const dsFull = {
      observedGeneration: 1,
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
      numberReady: 3,
    };
    assert.equal(ds(dsFull).done, true);
    assert.match(ds({ ...dsFull, observedGeneration: undefined }).seen, /not observed it yet/);
    assert.match(ds({ ...dsFull, updatedNumberScheduled: 2 }).seen, /updated 2\/3/);
    assert.match(ds({ ...dsFull, numberReady: 2 }).seen, /ready 2\/3/);

    const sts = (status: any, spec: any = {}) =>
      rolloutState({
        kind: "StatefulSet",
        metadata: { generation: 1 },
        spec: { replicas: 2, ...spec },
        status,
      });
    const stsFull = {
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      currentRevision: "db-a",
      updateRevision: "db-a",
    };
    assert.equal(sts(stsFull).done, true);
    assert.match(
      sts({ ...stsFull, updateRevision: "db-b" }).seen,
      /revision db-a not yet replaced by db-b/,
    );
    assert.match(sts({ ...stsFull, currentReplicas: 1 }).seen, /current 1\/2/);
    assert.equal(
      sts({ ...stsFull, updateRevision: "db-b" }, { updateStrategy: { type: "OnDelete" } }).done,
      true,
    );
    const part = { updateStrategy: { rollingUpdate: { partition: 1 } } };
    assert.equal(sts({ ...stsFull, updatedReplicas: 1, updateRevision: "db-b" }, part).done, true);
    assert.equal(sts({ ...stsFull, updatedReplicas: 0, updateRevision: "db-b" }, part).done, false);

    assert.equal(rolloutState({ kind: "ConfigMap", metadata: { name: "x" } }).done, true);
    assert.equal(rolloutState(null).done, false);
    const widget = (type: string) =>
      rolloutState({
        kind: "Widget",
        metadata: { generation: 1 },
        status: { observedGeneration: 1, conditions: [{ type, status: "True" }] },
      });
    assert.deepEqual([widget("Ready").done, widget("Reconciling").done], [true, false]);
    assert.equal(widget("Stalled").failed, true);
  });
});
