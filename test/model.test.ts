/** The cluster model and the rollout plan, as pure functions: no engine, no mocks. */
import { strict as assert } from "assert";
import { buildClusterModel, planRollout } from "../lib/model";
import type { NodeSpec } from "../lib/inventory/types";
import {
  cluster,
  haWithGpu,
  haWithoutGpu,
  inventory,
  node,
  singleNode,
} from "./support/talosInventories";

const names = (nodes: readonly { name: string }[]) => nodes.map((n) => n.name);

function workers(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) =>
    node({
      name: `w-${i + 1}`,
      role: "worker",
      vmId: 200 + i,
      ip: `192.168.10.${100 + i}`,
      mac: `bc:24:11:00:01:${(16 + i).toString(16)}`,
    }),
  );
}

describe("cluster model", () => {
  describe("buildClusterModel", () => {
    const model = buildClusterModel(haWithGpu());

    it("keeps every node in inventory order, and puts the bootstrap node first for Talos", () => {
      assert.deepEqual(names(model.nodes), ["cp-1", "cp-2", "cp-3", "worker-1", "gpu-1"]);
      assert.equal(model.talos.bootstrapNode.name, "cp-1");
      assert.deepEqual(names(model.talos.nodes), ["cp-1", "cp-2", "cp-3", "worker-1", "gpu-1"]);
    });

    it("orders applies: the bootstrap node's first, the rest after it, workers after every control plane's VM", () => {
      const order = Object.fromEntries(model.nodes.map((n) => [n.name, n.apply]));
      assert.deepEqual(order["cp-1"], { afterBootstrap: false, afterControlPlaneVms: false });
      assert.deepEqual(order["cp-2"], { afterBootstrap: true, afterControlPlaneVms: false });
      assert.deepEqual(order["worker-1"], { afterBootstrap: true, afterControlPlaneVms: true });
      assert.deepEqual(order["gpu-1"], { afterBootstrap: true, afterControlPlaneVms: true });
    });

    it("resets no node when its apply is destroyed", () => {
      const cp = model.nodes.find((n) => n.name === "cp-2")!;
      const worker = model.nodes.find((n) => n.name === "worker-1")!;
      assert.deepEqual(cp.onDestroy, { graceful: false, reboot: false, reset: false });
      assert.deepEqual(worker.onDestroy, { graceful: false, reboot: false, reset: false });
    });

    it("gives the GPU worker the gpu schematic and a download per host and schematic", () => {
      assert.deepEqual(
        model.nodes.map((n) => [n.name, n.schematic, n.download]),
        [
          ["cp-1", "base", "pve1-base"],
          ["cp-2", "base", "pve1-base"],
          ["cp-3", "base", "pve1-base"],
          ["worker-1", "base", "pve1-base"],
          ["gpu-1", "gpu", "pve1-gpu"],
        ],
      );
      assert.deepEqual(
        model.images.downloads.map((d) => d.key),
        ["pve1-base", "pve1-gpu"],
      );
      assert.deepEqual(
        model.images.schematics.map((s) => [s.key, s.nodes]),
        [
          ["base", ["cp-1", "cp-2", "cp-3", "worker-1"]],
          ["gpu", ["gpu-1"]],
        ],
      );
    });

    it("lists the health gate's nodes by role and its endpoints as the control planes", () => {
      assert.deepEqual(model.talos.health, {
        controlPlaneNodes: ["192.168.10.11", "192.168.10.12", "192.168.10.13"],
        workerNodes: ["192.168.10.21", "192.168.10.31"],
        endpoints: ["192.168.10.11", "192.168.10.12", "192.168.10.13"],
        skipKubernetesChecks: false,
      });
      assert.equal(buildClusterModel(singleNode()).talos.health.skipKubernetesChecks, true);
    });

    it("names every node in the talosconfig and the control planes as its endpoints", () => {
      assert.deepEqual(model.talos.talosconfig.endpoints, [
        "192.168.10.11",
        "192.168.10.12",
        "192.168.10.13",
      ]);
      assert.equal(model.talos.talosconfig.nodes.length, 5);
    });

    it("pins the secrets to the Talos minor", () => {
      assert.equal(model.talos.secretsContract, "v1.13");
    });

    it("hands the VM its image id, and renders the patches it built", () => {
      const gpu = model.nodes.find((n) => n.name === "gpu-1")!;
      const disks = gpu.vmArgs("local:import/x.qcow2").disks as { importFrom?: string }[];
      assert.equal(disks[0].importFrom, "local:import/x.qcow2");
      assert.equal(gpu.renderedPatches.length, gpu.patches.length);
      assert.match(
        gpu.renderedPatches[0],
        /^apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: gpu-1\n/,
      );
    });

    it("is frozen", () => {
      assert.ok(Object.isFrozen(model));
      assert.ok(Object.isFrozen(model.nodes[0]));
      assert.ok(Object.isFrozen(model.talos.health.controlPlaneNodes));
    });

    it("throws before any resource when a patch cannot be built", () => {
      // The loader refuses this inventory; a hand-built one reaches the builders.
      const bad = inventory(cluster(), [
        node({
          name: "cp-1",
          role: "controlplane",
          vmId: 101,
          ip: "192.168.10.11",
          mac: "bc:24:11:00:00:01",
          taints: [
            { key: "a", effect: "NoSchedule" },
            { key: "a", effect: "NoExecute" },
          ],
        }),
      ]);
      assert.throws(() => buildClusterModel(bad), /node cp-1: taints\[key=a\] appears twice/);
    });

    it("plans a rollout of the control planes, the bootstrap node last, then one worker at a time", () => {
      assert.deepEqual(model.rollout.batches, [
        ["cp-2"],
        ["cp-3"],
        ["cp-1"],
        ["worker-1"],
        ["gpu-1"],
      ]);
      assert.deepEqual(buildClusterModel(haWithoutGpu()).rollout.order, ["cp-1", "worker-1"]);
    });
  });

  describe("planRollout", () => {
    const cps = haWithoutGpu().nodes.filter((n) => n.role === "controlplane");

    it("batches workers no wider than maxUnavailableWorkers", () => {
      const plan = planRollout([...cps, ...workers(5)], "cp-1", 2);
      assert.deepEqual(plan.batches, [["cp-1"], ["w-1", "w-2"], ["w-3", "w-4"], ["w-5"]]);
      assert.deepEqual(plan.order, ["cp-1", "w-1", "w-2", "w-3", "w-4", "w-5"]);
    });

    it("takes all workers in one batch when the width allows it", () => {
      assert.deepEqual(planRollout(workers(3), "none", 10).batches, [["w-1", "w-2", "w-3"]]);
    });

    it("refuses a width below 1 or not an integer", () => {
      assert.throws(() => planRollout(cps, "cp-1", 0), /rollout.maxUnavailableWorkers: 0 is not/);
      assert.throws(() => planRollout(cps, "cp-1", 1.5), /1.5 is not an integer/);
    });
  });
});
