/**
 * The validated inventory: what every component consumes. Components never see raw
 * YAML; they get this shape, with every default applied and every cross-field rule
 * checked, frozen so that nothing downstream can change it.
 */

/** A node's role in the cluster. */
export type Role = "controlplane" | "worker";

/** Every role, in the order they are reported. */
export const ROLES: readonly Role[] = ["controlplane", "worker"];

/** The cluster's CNI: Talos's built-in Flannel, or none (bring your own). */
export type Cni = "flannel" | "none";

/**
 * The SCSI controller model of every VM (Proxmox `scsihw`). `virtio-scsi-pci` shares one
 * controller among the disks; `virtio-scsi-single` gives each disk its own, which allows
 * an I/O thread per disk but which the Talos Proxmox guide warns hangs bootstrap
 * (siderolabs/talos#11173).
 */
export type ScsiController = "virtio-scsi-pci" | "virtio-scsi-single";

/** Every SCSI controller em-infra offers, the default first. */
export const SCSI_CONTROLLERS: readonly ScsiController[] = [
  "virtio-scsi-pci",
  "virtio-scsi-single",
];

/** A Kubernetes taint effect. */
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/** The size of one VM. */
export interface Sizing {
  /** vCPU cores. */
  readonly cores: number;
  /** Dedicated memory in MiB. */
  readonly memoryMiB: number;
  /** Boot disk size in GiB. */
  readonly diskGiB: number;
  /** QEMU CPU type, e.g. `x86-64-v2-AES` or `host`. */
  readonly cpuType: string;
}

/** A Kubernetes taint registered with the kubelet. */
export interface Taint {
  readonly key: string;
  /** Absent for a taint without a value. */
  readonly value?: string;
  readonly effect: TaintEffect;
}

/** PCI passthrough of a GPU through a Proxmox resource mapping. */
export interface GpuPassthrough {
  /** Name of the Proxmox PCI resource mapping (Datacenter → Resource Mappings). */
  readonly mapping: string;
  /** Attach as PCIe rather than PCI. @default true */
  readonly pcie: boolean;
}

/** One of the operator's own Talos config patches, checked. */
export interface OperatorPatch {
  /** Where it is written, `file:line:col`: the patch file, or the inventory for an inline one. */
  readonly origin: string;
  /**
   * The inventory entry it comes from, `talos.workerPatches[0]` or `nodes[1] "w-1".patches[0]`,
   * so the plan can say which list applies it. Optional so that inventories built by hand
   * need not set it.
   */
  readonly from?: string;
  /** A fragment of the v1alpha1 configuration (no `kind`), or a whole typed document. */
  readonly document: Readonly<Record<string, unknown>>;
}

/** Talos settings shared by every node. */
export interface TalosSpec {
  /** Talos release, `vX.Y.Z`. */
  readonly version: string;
  /** Image Factory system extensions on every node. */
  readonly extensions: readonly string[];
  /** Extensions added on GPU workers only. */
  readonly gpuExtensions: readonly string[];
  /**
   * Whether a Talos minor newer than the support table (lib/inventory/versions.ts) is
   * deployed anyway, with a warning, instead of refused. The loader always sets it;
   * optional only so that inventories built by hand before it existed still compile.
   * @default false
   */
  readonly allowUnsupportedVersion?: boolean;
  /**
   * The operator's patches for every node, after em-infra's own. The loader always sets
   * it; optional so that inventories built by hand need not.
   */
  readonly patches?: readonly OperatorPatch[];
  /**
   * The operator's patches for the control planes alone, after `patches` and before each
   * node's own (`talosctl gen config --config-patch-control-plane`). Optional as above.
   */
  readonly controlPlanePatches?: readonly OperatorPatch[];
  /** The same for the workers alone, GPU workers included. Optional as above. */
  readonly workerPatches?: readonly OperatorPatch[];
}

/** Kubernetes settings. */
export interface KubernetesSpec {
  /** Kubernetes release, `X.Y.Z` (no leading `v`). */
  readonly version: string;
  /** Pod network CIDRs (Talos's default when the inventory omits them). */
  readonly podSubnets: readonly string[];
  /** Service network CIDRs (Talos's default when the inventory omits them). */
  readonly serviceSubnets: readonly string[];
  readonly cni: Cni;
  /** Whether ordinary pods may run on control planes. */
  readonly allowSchedulingOnControlPlanes: boolean;
}

/** Where on Proxmox the VMs and images land. */
export interface ProxmoxSpec {
  /** Default Proxmox host name for every node. */
  readonly node: string;
  /** Datastore for VM disks (and the EFI and cloud-init drives). */
  readonly vmDatastore: string;
  /** Datastore for the downloaded Talos images (content type `import`). */
  readonly imageDatastore: string;
  /** Linux bridge the NICs attach to. */
  readonly bridge: string;
  /** VLAN tag on every NIC, when set. */
  readonly vlan?: number;
  /**
   * SCSI controller model of every VM.
   * @default "virtio-scsi-pci"
   */
  readonly scsiController: ScsiController;
}

/** The node network. */
export interface NetworkSpec {
  /** IPv4 CIDR of the node network, e.g. `192.168.10.0/24`. */
  readonly cidr: string;
  /** The prefix length of {@link cidr}, e.g. 24. */
  readonly prefixLength: number;
  readonly gateway: string;
  readonly nameservers: readonly string[];
}

/** How rolling changes (upgrades, restarts) pace themselves. */
export interface RolloutSpec {
  /**
   * How many workers a rolling change may take down at once. Control planes always go
   * one at a time.
   * @default 1
   */
  readonly maxUnavailableWorkers: number;
  /** How long a Kubernetes upgrade waits; each at least upstream's value, its default. */
  readonly waits: RolloutWaits;
}

/**
 * The Kubernetes upgrade's waits, as `talosctl upgrade-k8s` (Talos v1.13.9) has them.
 */
export interface RolloutWaits {
  /**
   * For a control-plane static pod at its new configuration and Ready, per node
   * (pkg/cluster/kubernetes/talos_managed.go `checkPodStatus`).
   * @default 300
   */
  readonly controlPlanePodSeconds: number;
  /**
   * For a kubelet at its new version and its Node Ready, per node
   * (pkg/cluster/kubernetes/kubelet.go).
   * @default 180
   */
  readonly kubeletSeconds: number;
  /**
   * For the bootstrap manifests' rollout (`--manifests-reconcile-timeout`).
   * @default 300
   */
  readonly manifestsSeconds: number;
}

/** etcd snapshots the rollout takes. */
export interface EtcdBackupSpec {
  /**
   * Whether the rollout takes a snapshot before it disturbs a control plane.
   * @default true
   */
  readonly beforeRollout: boolean;
  /**
   * How many of the cluster's snapshots stay in the folder; the oldest go first.
   * @default 10
   */
  readonly keep: number;
  /** The folder, relative to the project or absolute; null for `backups/<stack>`. */
  readonly dir: string | null;
  /**
   * How old the newest snapshot may get before `day2 status` warns (`30m`, `24h`, `7d`).
   * @default "24h"
   */
  readonly maxAge: string;
}

/** Storage the cluster offers its workloads. */
export interface StorageSpec {
  /**
   * Whether local-path-provisioner runs as the default StorageClass, each volume a
   * folder in a Talos user volume on the node.
   * @default true
   */
  readonly localPath: boolean;
}

/** Add-ons beyond what Talos installs. */
export interface AddonsSpec {
  /**
   * Whether metrics-server runs, with kubelet serving certificates signed by the
   * cluster CA and an approver for their requests.
   * @default true
   */
  readonly metricsServer: boolean;
}

/** cluster.yaml, with defaults applied. */
export interface ClusterSpec {
  /** Talos cluster name (a DNS-1123 label). */
  readonly name: string;
  /** Layer-2 VIP shared by the control planes, when set. */
  readonly vip?: string;
  readonly talos: TalosSpec;
  readonly kubernetes: KubernetesSpec;
  readonly proxmox: ProxmoxSpec;
  readonly network: NetworkSpec;
  /** Sizing per role, before per-node overrides. */
  readonly defaults: Readonly<Record<Role, Sizing>>;
  /** Pacing of rolling changes, defaults applied. */
  readonly rollout: RolloutSpec;
  /** Backups the rollout takes, defaults applied. */
  readonly backups: { readonly etcd: EtcdBackupSpec };
  /** Storage, defaults applied. */
  readonly storage: StorageSpec;
  /** Add-ons, defaults applied. The NVIDIA device plugin follows the GPU workers. */
  readonly addons: AddonsSpec;
}

/** One entry of nodes.yaml, with defaults applied. */
export interface NodeSpec {
  /** VM name and Talos hostname (a DNS-1123 label). */
  readonly name: string;
  readonly role: Role;
  /** Proxmox VM id. */
  readonly vmId: number;
  /** Static IPv4 address inside the node network. */
  readonly ip: string;
  /**
   * The NIC's MAC, lower-case, colon-separated: the inventory's, or one derived
   * from the cluster and node names so it is known before the VM exists.
   */
  readonly mac: string;
  /** Whether {@link mac} came from the inventory or was derived. */
  readonly macSource: "inventory" | "derived";
  /** Proxmox host the VM lands on. */
  readonly host: string;
  /** The role's sizing with this node's overrides applied. */
  readonly sizing: Sizing;
  /** Kubernetes node labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Kubernetes node taints. */
  readonly taints: readonly Taint[];
  /** Set on GPU workers only. */
  readonly gpu?: GpuPassthrough;
  /**
   * The operator's patches for this node alone, last: after talos.patches and the patches
   * for its role. Optional as above.
   */
  readonly patches?: readonly OperatorPatch[];
  /**
   * Whether Pulumi refuses to delete or replace this node's VM.
   * @default true for control planes, false for workers
   */
  readonly protect: boolean;
}

/** A position in an inventory file, 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found in an inventory. */
export interface Problem extends SourcePosition {
  /** Says which field is wrong and quotes the bad value. */
  readonly message: string;
  readonly severity: "error" | "warning";
}

/** The Kubernetes API endpoint the cluster is reached through. */
export interface Endpoint {
  /** The VIP when set, else the first control plane's IP. */
  readonly host: string;
  /** `https://<host>:6443`. */
  readonly url: string;
}

/** The whole validated inventory. Frozen. */
export interface Inventory {
  /** Absolute path of the inventory folder. */
  readonly dir: string;
  readonly cluster: ClusterSpec;
  /** Nodes in inventory order: the first control plane is the bootstrap node. */
  readonly nodes: readonly NodeSpec[];
  readonly endpoint: Endpoint;
  /** Problems that do not stop a deploy (an even number of control planes, say). */
  readonly warnings: readonly Problem[];
}
