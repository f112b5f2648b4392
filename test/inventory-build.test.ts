/** lib/inventory/build.ts: from validated files to the frozen Inventory, defaults applied. */
import { strict as assert } from "assert";
import { buildInventory, type ClusterFile, type NodesFile } from "../lib/inventory/build";
import { deriveMac } from "../lib/inventory/mac";
import { warning } from "../lib/inventory/problems";

const CLUSTER: ClusterFile = {
  name: "demo",
  talos: { version: "v1.13.0" },
  kubernetes: { version: "1.36.0" },
  proxmox: { node: "pve1", vmDatastore: "local-lvm", imageDatastore: "local" },
  network: { cidr: "10.0.0.0/24", gateway: "10.0.0.1", nameservers: ["10.0.0.1"] },
};

const NODES: NodesFile = {
  nodes: [
    { name: "cp-1", role: "controlplane", vmId: 101, ip: "10.0.0.11" },
    { name: "worker-1", role: "worker", vmId: 201, ip: "10.0.0.21", mac: "BC:24:11:00:00:21" },
  ],
};

describe("buildInventory", () => {
  it("applies every cluster default", () => {
    const { cluster } = buildInventory("/inv", CLUSTER, NODES, []);
    assert.deepEqual(cluster.talos, {
      version: "v1.13.0",
      extensions: ["siderolabs/qemu-guest-agent"],
      gpuExtensions: [
        "siderolabs/nvidia-open-gpu-kernel-modules-production",
        "siderolabs/nvidia-container-toolkit-production",
      ],
      allowUnsupportedVersion: false,
      patches: [],
      controlPlanePatches: [],
      workerPatches: [],
    });
    assert.deepEqual(cluster.proxmox, {
      node: "pve1",
      vmDatastore: "local-lvm",
      imageDatastore: "local",
      bridge: "vmbr0",
      scsiController: "virtio-scsi-pci",
    });
    assert.deepEqual(cluster.rollout, {
      maxUnavailableWorkers: 1,
      waits: { controlPlanePodSeconds: 300, kubeletSeconds: 180, manifestsSeconds: 300 },
    });
    assert.equal(cluster.network.prefixLength, 24);
    assert.equal(cluster.kubernetes.cni, "flannel");
    assert.equal(cluster.kubernetes.allowSchedulingOnControlPlanes, false);
    assert.ok(!("vip" in cluster) && !("vlan" in cluster.proxmox));
  });

  it("keeps what the file sets", () => {
    const { cluster } = buildInventory(
      "/inv",
      {
        ...CLUSTER,
        vip: "10.0.0.10",
        talos: { version: "v1.14.0", allowUnsupportedVersion: true },
        proxmox: { ...CLUSTER.proxmox, vlan: 40, scsiController: "virtio-scsi-single" },
        rollout: { maxUnavailableWorkers: 3 },
      },
      NODES,
      [],
    );
    assert.equal(cluster.talos.allowUnsupportedVersion, true);
    assert.equal(cluster.proxmox.scsiController, "virtio-scsi-single");
    assert.equal(cluster.proxmox.vlan, 40);
    assert.deepEqual(cluster.rollout.maxUnavailableWorkers, 3);
    assert.equal(cluster.vip, "10.0.0.10");
  });

  it("lets control planes take pods when there are no workers", () => {
    const alone = { nodes: [NODES.nodes[0]] };
    assert.equal(
      buildInventory("/inv", CLUSTER, alone, []).cluster.kubernetes.allowSchedulingOnControlPlanes,
      true,
    );
  });

  it("completes each node: MAC, host, sizing, protect", () => {
    const [cp, worker] = buildInventory("/inv", CLUSTER, NODES, []).nodes;
    assert.equal(cp.mac, deriveMac("demo", "cp-1"));
    assert.equal(cp.macSource, "derived");
    assert.equal(worker.mac, "bc:24:11:00:00:21");
    assert.equal(worker.macSource, "inventory");
    assert.equal(cp.host, "pve1");
    assert.deepEqual(cp.sizing, {
      cores: 2,
      memoryMiB: 4096,
      diskGiB: 32,
      cpuType: "x86-64-v2-AES",
    });
    assert.deepEqual(worker.sizing, {
      cores: 4,
      memoryMiB: 8192,
      diskGiB: 64,
      cpuType: "x86-64-v2-AES",
    });
    assert.equal(cp.protect, true);
    assert.equal(worker.protect, false);
    assert.deepEqual([cp.labels, cp.taints, cp.gpu], [{}, [], undefined]);
  });

  it("layers node sizing over role defaults over em-infra's defaults", () => {
    const [, worker] = buildInventory(
      "/inv",
      { ...CLUSTER, defaults: { worker: { cores: 8, cpuType: "host" } } },
      { nodes: [NODES.nodes[0], { ...NODES.nodes[1], memoryMiB: 16384 }] },
      [],
    ).nodes;
    assert.deepEqual(worker.sizing, { cores: 8, memoryMiB: 16384, diskGiB: 64, cpuType: "host" });
  });

  it("derives the endpoint from the vip, else the first control plane", () => {
    assert.deepEqual(buildInventory("/inv", CLUSTER, NODES, []).endpoint, {
      host: "10.0.0.11",
      url: "https://10.0.0.11:6443",
    });
    assert.equal(
      buildInventory("/inv", { ...CLUSTER, vip: "10.0.0.10" }, NODES, []).endpoint.url,
      "https://10.0.0.10:6443",
    );
  });

  it("carries the warnings and freezes everything", () => {
    const w = warning({ file: "nodes.yaml", line: 1, col: 1 }, "w");
    const inventory = buildInventory("/inv", CLUSTER, NODES, [w]);
    assert.deepEqual(inventory.warnings, [w]);
    assert.ok(Object.isFrozen(inventory.nodes[0].sizing));
    assert.ok(Object.isFrozen(inventory.cluster.rollout));
    assert.throws(() => {
      (inventory.cluster.talos.extensions as string[]).push("x");
    }, TypeError);
  });

  it("throws on input that validation should have refused", () => {
    assert.throws(
      () => buildInventory("/inv", CLUSTER, { nodes: [NODES.nodes[1]] }, []),
      /an inventory without a control plane passed validation/,
    );
    assert.throws(
      () =>
        buildInventory(
          "/inv",
          { ...CLUSTER, network: { ...CLUSTER.network, cidr: "x" } },
          NODES,
          [],
        ),
      /network\.cidr x passed validation unparsed/,
    );
  });
});
