import type { Cni, Role, ScsiController, Sizing } from "./types";

/*
 * Every default the loader applies. schema.json states the same values in its `default`
 * keywords for editors and the docs; a test keeps the two in step.
 */

/** Extensions on every node: the guest agent lets Proxmox read the VM's IP and shut it down. */
export const DEFAULT_EXTENSIONS: readonly string[] = ["siderolabs/qemu-guest-agent"];

/**
 * Extensions added on GPU workers: NVIDIA's open kernel modules and container toolkit from
 * the production driver branch (the two must come from the same branch).
 */
export const DEFAULT_GPU_EXTENSIONS: readonly string[] = [
  "siderolabs/nvidia-open-gpu-kernel-modules-production",
  "siderolabs/nvidia-container-toolkit-production",
];

/**
 * A Talos minor newer than the support table is refused unless the operator opts in: its
 * installer image and configuration contract are untested until the table has its row.
 */
export const DEFAULT_ALLOW_UNSUPPORTED_VERSION = false;

/** Talos's own default pod network. */
export const DEFAULT_POD_SUBNETS: readonly string[] = ["10.244.0.0/16"];

/** Talos's own default service network. */
export const DEFAULT_SERVICE_SUBNETS: readonly string[] = ["10.96.0.0/12"];

/** Talos's built-in Flannel. */
export const DEFAULT_CNI: Cni = "flannel";

/** The usual name of the first Linux bridge on a Proxmox host. */
export const DEFAULT_BRIDGE = "vmbr0";

/**
 * The SCSI controller the Talos Proxmox guide (v1.13) recommends: it warns that VirtIO
 * SCSI Single hangs bootstrap (siderolabs/talos#11173, still open).
 */
export const DEFAULT_SCSI_CONTROLLER: ScsiController = "virtio-scsi-pci";

/**
 * One worker down at a time: the slowest rollout, and the one that never takes more
 * capacity away than a single node failure would.
 */
export const DEFAULT_MAX_UNAVAILABLE_WORKERS = 1;

/**
 * An etcd snapshot before every rollout that disturbs a control plane, ten kept: a
 * dev cluster with one control plane loses everything with its disk otherwise.
 */
export const DEFAULT_ETCD_BACKUP = { beforeRollout: true, keep: 10, maxAge: "24h" } as const;

/**
 * The Kubernetes upgrade's waits, upstream's own (talosctl upgrade-k8s, Talos v1.13.9):
 * 5 minutes for a control-plane pod (pkg/cluster/kubernetes/talos_managed.go
 * `checkPodStatus`), 3 for a kubelet (kubelet.go), 5 for the manifests
 * (cmd/talosctl/cmd/talos/upgrade-k8s.go `--manifests-reconcile-timeout`).
 */
export const DEFAULT_ROLLOUT_WAITS = {
  controlPlanePodSeconds: 300,
  kubeletSeconds: 180,
  manifestsSeconds: 300,
} as const;

/**
 * A default StorageClass: without one every PersistentVolumeClaim stays Pending, which
 * is the first thing a developer's cluster meets. Off for an operator who brings one.
 */
export const DEFAULT_STORAGE = { localPath: true } as const;

/** metrics-server on: `kubectl top` and the HorizontalPodAutoscaler need it. */
export const DEFAULT_ADDONS = { metricsServer: true } as const;

/** PCIe passthrough is what a modern GPU expects. */
export const DEFAULT_GPU_PCIE = true;

/**
 * Whether a node's VM is protected when the inventory does not say: control
 * planes hold etcd, so losing one by accident costs quorum; workers are cattle.
 */
export const DEFAULT_PROTECT: Readonly<Record<Role, boolean>> = {
  controlplane: true,
  worker: false,
};

/** VM size per role when cluster.yaml does not say otherwise. */
export const DEFAULT_SIZING: Readonly<Record<Role, Sizing>> = {
  controlplane: { cores: 2, memoryMiB: 4096, diskGiB: 32, cpuType: "x86-64-v2-AES" },
  worker: { cores: 4, memoryMiB: 8192, diskGiB: 64, cpuType: "x86-64-v2-AES" },
};

/**
 * The smallest VM per role: Talos's documented minimums (2 cores and 2 GiB for a control
 * plane, 1 core and 1 GiB for a worker, 10 GiB of system disk for both).
 */
export const MINIMUM_SIZING: Readonly<Record<Role, Omit<Sizing, "cpuType">>> = {
  controlplane: { cores: 2, memoryMiB: 2048, diskGiB: 10 },
  worker: { cores: 1, memoryMiB: 1024, diskGiB: 10 },
};

/** Port of the Kubernetes API server on the control planes and the VIP. */
export const API_PORT = 6443;
