/**
 * The day-one add-ons (lib/addons): which the inventory turns on, every object valid
 * against the Kubernetes API schema (the kubernetes-models package) and equal to the
 * release's own manifests field by field (test/facts/addons.json) except where
 * lib/addons/differences.ts says why, the Talos patches that carry them, and what the
 * offline engine records for inventory/dev.
 */
import { strict as assert } from "assert";
import { parse, parseAllDocuments } from "yaml";
import { loadInventory } from "../lib/inventory";
import type { ClusterSpec, Inventory, NodeSpec } from "../lib/inventory/types";
import {
  DEFAULT_CLASS_ANNOTATION,
  LOCAL_PATH_DIR,
  buildAddons,
  enabledAddons,
  manifestText,
  type Addon,
  type AddonName,
  type KubeObject,
} from "../lib/addons/objects";
import { DIFFERENCES } from "../lib/addons/differences";
import { METRICS_SERVER } from "../lib/addons/pins";
import {
  GPU_LABELS,
  GPU_TAINT,
  buildNodePatches as buildFor,
  hasGpuNodes,
  renderPatch,
  type TalosPatch,
} from "../lib/talos/patches";
import { GET_CONFIG } from "../lib/tokens";
import { readFacts } from "../tools/facts";
import { objectFields, refOf, type AddonsFacts } from "../tools/facts/addons";
import { unwrapSecrets } from "../tools/offline/secretSig";
import { DEV, LARGE, invokesOf, runFor } from "./support/program";
import { cluster, haWithGpu, inventory, node } from "./support/talosInventories";
import { talosSchema } from "./support/talosSchema";

/** A node's patches within its inventory. */
function buildNodePatches(inv: Inventory, n: NodeSpec): TalosPatch[] {
  return buildFor(inv.cluster, n, hasGpuNodes(inv.nodes));
}

const upstream = readFacts<AddonsFacts>("addons").facts;

const ALL_ON = cluster({ storage: { localPath: true }, addons: { metricsServer: true } });
const ALL = buildAddons(ALL_ON, true);

/**
 * The kubernetes-models class for an object's apiVersion and kind, whose `validate()`
 * checks it against the Kubernetes OpenAPI schema.
 */
function modelOf(o: { apiVersion: string; kind: string }): new (data: unknown) => {
  validate(): void;
} {
  const [group, version] = o.apiVersion.includes("/")
    ? o.apiVersion.split("/")
    : ["", o.apiVersion];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(
    group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`,
  );
  const model = mod[o.kind];
  assert.ok(model, `kubernetes-models has no ${o.kind} in ${o.apiVersion}`);
  return model;
}

function validate(o: { apiVersion: string; kind: string }): void {
  const Model = modelOf(o);
  new Model(o).validate();
}

/** Each field of each object that differs from upstream: `addon object field change`. */
function differences(addons: readonly Addon[]): string[] {
  const out: string[] = [];
  for (const a of addons) {
    const theirs = upstream.addons[a.name].objects;
    const ours: Record<string, Record<string, unknown>> = {};
    for (const o of a.objects)
      ours[refOf(o)] = objectFields(o as unknown as Record<string, unknown>);
    for (const ref of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
      if (theirs[ref] === undefined || ours[ref] === undefined) {
        out.push(`${a.name} ${ref} (whole object) ${theirs[ref] ? "removed" : "added"}`);
        continue;
      }
      const fields = new Set([...Object.keys(theirs[ref]), ...Object.keys(ours[ref])]);
      for (const f of fields) {
        const u = theirs[ref][f];
        const m = ours[ref][f];
        if (JSON.stringify(u) === JSON.stringify(m)) continue;
        const change = u === undefined ? "added" : m === undefined ? "removed" : "changed";
        out.push(`${a.name} ${ref} ${f} ${change}`);
      }
    }
  }
  return out.sort();
}

/** The documented difference that covers a field: the same field, or one above it. */
function covering(line: string) {
  const [addon, object, field, change] = line.split(" ");
  return DIFFERENCES.find(
    (d) =>
      d.addon === addon &&
      d.object === object &&
      (field === d.field || field.startsWith(`${d.field}/`)) &&
      d.change === change,
  );
}

describe("add-ons", () => {
  describe("which run", () => {
    it("follows the inventory: the device plugin with a GPU worker, local-path and metrics-server by their switches", () => {
      const off = cluster({ storage: { localPath: false }, addons: { metricsServer: false } });
      assert.deepEqual(enabledAddons(off, false), []);
      assert.deepEqual(enabledAddons(off, true), ["nvidia-device-plugin"]);
      assert.deepEqual(
        enabledAddons(
          cluster({ storage: { localPath: true }, addons: { metricsServer: false } }),
          false,
        ),
        ["local-path-provisioner"],
      );
      assert.deepEqual(enabledAddons(ALL_ON, false), [
        "local-path-provisioner",
        "metrics-server",
        "kubelet-serving-cert-approver",
      ]);
    });

    it("is on by default when cluster.yaml says nothing, and inventory/dev turns on all of it", () => {
      const bare = loadInventory(LARGE); // its cluster.yaml says nothing of either
      assert.deepEqual(bare.cluster.storage, { localPath: true });
      assert.deepEqual(bare.cluster.addons, { metricsServer: true });
      const dev = loadInventory(DEV);
      assert.deepEqual(dev.cluster.storage, { localPath: true });
      assert.deepEqual(dev.cluster.addons, { metricsServer: true });
      const gpu = dev.nodes.some((n) => n.gpu !== undefined);
      assert.deepEqual(enabledAddons(dev.cluster, gpu), [
        "nvidia-device-plugin",
        "local-path-provisioner",
        "metrics-server",
        "kubelet-serving-cert-approver",
      ]);
    });
  });

  describe("every object", () => {
    it("is valid against the Kubernetes API schema (kubernetes-models)", () => {
      let count = 0;
      for (const a of ALL)
        for (const o of a.objects) {
          assert.doesNotThrow(() => validate(o), `${a.name} ${refOf(o)}`);
          count += 1;
        }
      assert.equal(count, 27);
    });

    it("the schema check catches a wrong type and a missing required field", () => {
      const ds = ALL.find((a) => a.name === "nvidia-device-plugin")!.objects[0];
      const broken = JSON.parse(JSON.stringify(ds));
      broken.spec.template.spec.containers[0].image = 7;
      assert.throws(() => validate(broken), /image must be string/);
      const noSelector = JSON.parse(JSON.stringify(ds));
      delete noSelector.spec.selector;
      assert.throws(() => validate(noSelector), /selector/);
    });

    it("matches the release's own manifests field by field, except the differences documented with a reason", () => {
      const found = differences(ALL);
      const undocumented = found.filter((l) => covering(l) === undefined);
      assert.deepEqual(
        undocumented,
        [],
        "differences from upstream with no entry in lib/addons/differences.ts",
      );
      const stale = DIFFERENCES.filter((d) => !found.some((l) => covering(l) === d));
      assert.deepEqual(stale, [], "entries in lib/addons/differences.ts that no longer differ");
      for (const d of DIFFERENCES) assert.ok(d.why.length > 20, `${d.object} ${d.field}: say why`);
    });

    it("the comparison sees a changed image, a dropped rule and an extra object", () => {
      const tampered: Addon[] = ALL.map((a) => ({
        ...a,
        objects: a.objects.map((o) => JSON.parse(JSON.stringify(o)) as KubeObject),
      }));
      const ms = tampered.find((a) => a.name === "metrics-server")!;
      const deploy = ms.objects.find((o) => o.kind === "Deployment") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      deploy.spec.template.spec.containers[0].image =
        "registry.k8s.io/metrics-server/metrics-server:v0.8.0";
      const role = ms.objects.find(
        (o) => o.metadata.name === "system:metrics-server" && o.kind === "ClusterRole",
      ) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      role.rules.pop();
      (ms.objects as KubeObject[]).push({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x", namespace: "kube-system" },
      });
      const extra = differences(tampered).filter((l) => covering(l) === undefined);
      assert.ok(
        extra.some((l) => l.includes("containers/0/image changed")),
        extra.join("\n"),
      );
      assert.ok(
        extra.some((l) => l.includes("ClusterRole//system:metrics-server /rules/1")),
        extra.join("\n"),
      );
      assert.ok(
        extra.includes("metrics-server ConfigMap/kube-system/x (whole object) added"),
        extra.join("\n"),
      );
    });
  });

  describe("what each add-on needs of the cluster", () => {
    it("the device plugin finds GPU nodes by the label NVIDIA's chart matches and tolerates their taint", () => {
      const ds = ALL.find((a) => a.name === "nvidia-device-plugin")!.objects[0] as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      const spec = ds.spec.template.spec;
      const term =
        spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
          .nodeSelectorTerms[0].matchExpressions[0];
      const [label, value] = Object.entries(GPU_LABELS)[0];
      assert.deepEqual(term, { key: label, operator: "In", values: [value] });
      assert.ok(
        upstream.devicePluginAffinityKeys.includes(label),
        "NVIDIA's chart matches the label",
      );
      // Tolerated whatever the taint's effect: the inventory may make it NoExecute.
      assert.deepEqual(spec.tolerations, [{ key: GPU_TAINT.key, operator: "Exists" }]);
      assert.equal(spec.runtimeClassName, "nvidia");
    });

    it("metrics-server verifies the kubelets' certificates: no --kubelet-insecure-tls", () => {
      assert.ok(!METRICS_SERVER.args.some((a) => a.startsWith("--kubelet-insecure-tls")));
      const deploy = ALL.find((a) => a.name === "metrics-server")!.objects.find(
        (o) => o.kind === "Deployment",
      ) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(deploy.spec.template.spec.containers[0].args, [...METRICS_SERVER.args]);
    });

    it("local-path keeps volumes in the Talos user volume, and its class is the default", () => {
      const lp = ALL.find((a) => a.name === "local-path-provisioner")!;
      const cm = lp.objects.find((o) => o.kind === "ConfigMap") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(JSON.parse(cm.data["config.json"]).nodePathMap[0].paths, [LOCAL_PATH_DIR]);
      const sc = lp.objects.find((o) => o.kind === "StorageClass")!;
      assert.equal(sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION], "true");
      const ns = lp.objects.find((o) => o.kind === "Namespace")!;
      assert.equal(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"], "privileged");
    });
  });

  describe("the Talos patches that carry them", () => {
    const withSwitches = (over: Partial<ClusterSpec>) => {
      const base = haWithGpu();
      return inventory(cluster({ ...over }), base.nodes);
    };

    it("control planes carry one inline manifest per add-on; workers none", () => {
      const inv = withSwitches({ storage: { localPath: true }, addons: { metricsServer: true } });
      for (const n of inv.nodes) {
        const addons = buildNodePatches(inv, n).find((p) => p.name === "addons");
        if (n.role !== "controlplane") {
          assert.equal(addons, undefined, n.name);
          continue;
        }
        const doc = addons!.document as {
          cluster: { inlineManifests: { name: AddonName; contents: string }[] };
        };
        assert.deepEqual(
          doc.cluster.inlineManifests.map((m) => m.name),
          [
            "nvidia-device-plugin",
            "local-path-provisioner",
            "metrics-server",
            "kubelet-serving-cert-approver",
          ],
        );
        for (const m of doc.cluster.inlineManifests) {
          const objects = parseAllDocuments(m.contents).map((d) => d.toJS());
          assert.deepEqual(objects, ALL.find((a) => a.name === m.name)!.objects, m.name);
        }
      }
    });

    it("metrics-server turns on kubelet serving-certificate rotation on every node, and only then", () => {
      for (const on of [true, false]) {
        const inv = withSwitches({ storage: { localPath: false }, addons: { metricsServer: on } });
        for (const n of inv.nodes) {
          const kubelet = buildNodePatches(inv, n).find((p) => p.name === "kubelet")!;
          const args = (kubelet.document as any).machine.kubelet.extraArgs; // eslint-disable-line @typescript-eslint/no-explicit-any
          assert.deepEqual(
            args,
            on ? { "rotate-server-certificates": "true" } : undefined,
            `${n.name} ${on}`,
          );
        }
      }
    });

    it("local-path gives each node that runs pods a directory user volume, valid for Talos v1.13", () => {
      const validator = talosSchema();
      for (const scheduling of [false, true]) {
        const base = haWithGpu();
        const spec = cluster({
          storage: { localPath: true },
          addons: { metricsServer: false },
          kubernetes: { ...base.cluster.kubernetes, allowSchedulingOnControlPlanes: scheduling },
        });
        const inv = inventory(spec, base.nodes);
        for (const n of inv.nodes) {
          const volume = buildNodePatches(inv, n).find((p) => p.name === "local-path-volume");
          const expected = n.role === "worker" || scheduling;
          assert.equal(volume !== undefined, expected, `${n.name} scheduling=${scheduling}`);
          if (volume === undefined) continue;
          assert.deepEqual(volume.document, {
            apiVersion: "v1alpha1",
            kind: "UserVolumeConfig",
            name: "local-path-provisioner",
            volumeType: "directory",
          });
          assert.deepEqual(validator.validateYaml(renderPatch(volume)), []);
          // Talos mounts a user volume at /var/mnt/<name>: the folder the provisioner is told.
          assert.equal(LOCAL_PATH_DIR, `/var/mnt/${(volume.document as { name: string }).name}`);
        }
      }
    });

    it("a single control plane that takes pods also keeps local-path volumes", () => {
      const solo = node({
        name: "solo",
        role: "controlplane",
        vmId: 100,
        ip: "192.168.10.11",
        mac: "bc:24:11:00:00:09",
      });
      const spec = cluster({
        storage: { localPath: true },
        addons: { metricsServer: true },
        kubernetes: { ...cluster().kubernetes, allowSchedulingOnControlPlanes: true },
      });
      const names = buildNodePatches(inventory(spec, [solo]), solo).map((p) => p.name);
      assert.ok(names.includes("local-path-volume"));
      assert.ok(names.includes("addons"));
    });
  });

  describe("the offline engine's record for inventory/dev", () => {
    it("holds every add-on object in the control plane's configuration, each valid, and the default StorageClass", async function () {
      this.timeout(30000);
      const record = await runFor(DEV);
      const patches = invokesOf(record, GET_CONFIG).flatMap(
        (i) => unwrapSecrets(i.args.configPatches) as string[],
      );
      const manifests = patches
        .map(
          (p) =>
            parse(p) as { cluster?: { inlineManifests?: { name: string; contents: string }[] } },
        )
        .flatMap((d) => d?.cluster?.inlineManifests ?? []);
      const names = [...new Set(manifests.map((m) => m.name))];
      assert.deepEqual(names, [
        "nvidia-runtime-class",
        "nvidia-device-plugin",
        "local-path-provisioner",
        "metrics-server",
        "kubelet-serving-cert-approver",
      ]);
      const objects = manifests.flatMap((m) =>
        parseAllDocuments(m.contents).map((d) => d.toJS() as KubeObject),
      );
      for (const o of objects) assert.doesNotThrow(() => validate(o), refOf(o));
      // A pod asking for the nvidia RuntimeClass lands only where its handler is: the
      // class carries the GPU label as its nodeSelector.
      const runtimeClass = objects.find((o) => o.kind === "RuntimeClass") as unknown as {
        scheduling?: { nodeSelector?: Record<string, string> };
      };
      assert.deepEqual(runtimeClass.scheduling?.nodeSelector, GPU_LABELS);
      const kinds = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
      for (const want of [
        "DaemonSet/nvidia-device-plugin-daemonset",
        "StorageClass/local-path",
        "Deployment/local-path-provisioner",
        "Deployment/metrics-server",
        "APIService/v1beta1.metrics.k8s.io",
        "Deployment/kubelet-serving-cert-approver",
      ])
        assert.ok(kinds.has(want), want);
      const defaults = objects.filter(
        (o) =>
          o.kind === "StorageClass" &&
          o.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true",
      );
      assert.equal(defaults.length, 1);
      // One copy of each add-on's text, identical on every control plane.
      assert.deepEqual(
        [...new Set(manifests.filter((m) => m.name === "metrics-server").map((m) => m.contents))],
        [manifestText(ALL.find((a) => a.name === "metrics-server")!)],
      );
    });
  });

  it("writes an add-on's text afresh when its objects change (texts are kept by content)", () => {
    const server = ALL.find((a) => a.name === "metrics-server")!;
    const before = manifestText(server);
    const [deployment, ...rest] = server.objects;
    const changed = {
      ...server,
      objects: [{ ...deployment, metadata: { ...deployment.metadata, name: "renamed" } }, ...rest],
    };
    const after = manifestText(changed);
    assert.notEqual(after, before);
    assert.match(after, /name: renamed/);
    assert.equal(manifestText(server), before);
  });
});
