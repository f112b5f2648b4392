/**
 * Validated inventories built by hand, for tests of code that consumes an `Inventory`
 * (the patch builders, first). They stand in for the loader's output, so they are plain
 * frozen objects of the loader's types, small, and named for what they exercise.
 */
import { deepFreeze } from "../../lib/freeze";
import type { ClusterSpec, Inventory, NodeSpec, Sizing } from "../../lib/inventory/types";
import { DEFAULT_ROLLOUT_WAITS } from "../../lib/inventory/defaults";

const SIZING: Sizing = { cores: 4, memoryMiB: 8192, diskGiB: 40, cpuType: "x86-64-v2-AES" };

/** A node with the fields a test does not care about filled in. */
export function node(
  fields: Pick<NodeSpec, "name" | "role" | "vmId" | "ip" | "mac"> & Partial<NodeSpec>,
): NodeSpec {
  return {
    macSource: "inventory",
    host: "pve1",
    sizing: SIZING,
    labels: {},
    taints: [],
    protect: fields.role === "controlplane",
    ...fields,
  };
}

/** A cluster spec on 192.168.10.0/24, overridable field by field. */
export function cluster(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    name: "lab",
    talos: {
      version: "v1.13.0",
      extensions: ["siderolabs/qemu-guest-agent"],
      gpuExtensions: [
        "siderolabs/nvidia-open-gpu-kernel-modules",
        "siderolabs/nvidia-container-toolkit",
      ],
    },
    kubernetes: {
      version: "1.35.0",
      podSubnets: ["10.244.0.0/16"],
      serviceSubnets: ["10.96.0.0/12"],
      cni: "flannel",
      allowSchedulingOnControlPlanes: false,
    },
    proxmox: {
      node: "pve1",
      vmDatastore: "local-lvm",
      imageDatastore: "local",
      bridge: "vmbr0",
      scsiController: "virtio-scsi-pci",
    },
    network: {
      cidr: "192.168.10.0/24",
      prefixLength: 24,
      gateway: "192.168.10.1",
      nameservers: ["192.168.10.1", "1.1.1.1"],
    },
    defaults: { controlplane: SIZING, worker: SIZING },
    rollout: { maxUnavailableWorkers: 1, waits: DEFAULT_ROLLOUT_WAITS },
    backups: { etcd: { beforeRollout: true, keep: 10, dir: null, maxAge: "24h" } },
    // Off here, so that a test of other patches sees only those; the loader's default is on.
    storage: { localPath: false },
    addons: { metricsServer: false },
    ...overrides,
  };
}

/** An inventory of these nodes, endpoint derived the way the loader derives it. */
export function inventory(spec: ClusterSpec, nodes: readonly NodeSpec[]): Inventory {
  const firstControlPlane = nodes.find((n) => n.role === "controlplane");
  const host = spec.vip ?? firstControlPlane?.ip ?? "";
  return deepFreeze({
    dir: "/inventory/test",
    cluster: spec,
    nodes,
    endpoint: { host, url: `https://${host}:6443` },
    warnings: [],
  });
}

/**
 * Three control planes behind a VIP, a plain worker with labels and taints, and a GPU
 * worker whose inventory entry already has labels and a taint of its own.
 */
export function haWithGpu(): Inventory {
  return inventory(cluster({ vip: "192.168.10.50" }), [
    node({
      name: "cp-1",
      role: "controlplane",
      vmId: 101,
      ip: "192.168.10.11",
      mac: "bc:24:11:00:00:01",
    }),
    node({
      name: "cp-2",
      role: "controlplane",
      vmId: 102,
      ip: "192.168.10.12",
      mac: "bc:24:11:00:00:02",
    }),
    node({
      name: "cp-3",
      role: "controlplane",
      vmId: 103,
      ip: "192.168.10.13",
      mac: "bc:24:11:00:00:03",
    }),
    node({
      name: "worker-1",
      role: "worker",
      vmId: 201,
      ip: "192.168.10.21",
      mac: "bc:24:11:00:00:21",
      labels: { "topology.kubernetes.io/zone": "rack-a", "example.com/tier": "general" },
      taints: [
        { key: "example.com/dedicated", value: "batch", effect: "NoSchedule" },
        { key: "example.com/maintenance", effect: "PreferNoSchedule" },
      ],
    }),
    node({
      name: "gpu-1",
      role: "worker",
      vmId: 301,
      ip: "192.168.10.31",
      mac: "bc:24:11:00:00:31",
      labels: { "example.com/gpu-model": "rtx-a2000" },
      taints: [{ key: "example.com/dedicated", value: "ml", effect: "NoSchedule" }],
      gpu: { mapping: "rtx-a2000", pcie: true },
    }),
  ]);
}

/**
 * One control plane, no VIP, workloads allowed on it, no CNI (bring your own) and
 * non-default pod and service networks.
 */
export function singleNode(): Inventory {
  const base = cluster();
  return inventory(
    cluster({
      kubernetes: {
        ...base.kubernetes,
        podSubnets: ["10.32.0.0/16"],
        serviceSubnets: ["10.33.0.0/16"],
        cni: "none",
        allowSchedulingOnControlPlanes: true,
      },
    }),
    [
      node({
        name: "solo",
        role: "controlplane",
        vmId: 100,
        ip: "192.168.10.10",
        mac: "bc:24:11:00:00:10",
      }),
    ],
  );
}

/** A VIP cluster without GPUs: a control plane with a label and taint, and a worker. */
export function haWithoutGpu(): Inventory {
  return inventory(cluster({ vip: "192.168.10.50" }), [
    node({
      name: "cp-1",
      role: "controlplane",
      vmId: 101,
      ip: "192.168.10.11",
      mac: "bc:24:11:00:00:01",
      labels: { "example.com/role": "etcd" },
      taints: [{ key: "example.com/etcd-only", effect: "NoExecute" }],
    }),
    node({
      name: "worker-1",
      role: "worker",
      vmId: 201,
      ip: "192.168.10.21",
      mac: "bc:24:11:00:00:21",
    }),
  ]);
}

/** The node of that name; a test typo fails loudly rather than testing `undefined`. */
export function nodeNamed(inv: Inventory, name: string): NodeSpec {
  const found = inv.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name} in the test inventory`);
  return found;
}
