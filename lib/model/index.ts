/**
 * The cluster model: every decision the program makes, taken from a validated
 * inventory in one pure function before the first resource is declared. The
 * components map slices of it to resources and decide nothing themselves, so a
 * mistake here throws before anything is created, and the whole model is
 * unit-tested without mocks.
 *
 * Only type imports from Pulumi and the providers: a value that exists only once a
 * resource does (an image file's id) is the parameter of a function the model hands
 * out.
 */
import type * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as pulumi from "@pulumi/pulumi";
import { deepFreeze } from "../freeze";
import type { ClusterSpec, Cni, Inventory, NodeSpec, Role, RolloutWaits } from "../inventory/types";
import { nodesOutput, type NodeOutput } from "../outputs";
import {
  IMAGE_ARCHITECTURE,
  IMAGE_PLATFORM,
  downloadKeyOf,
  imageFileName,
  planDownloads,
  planSchematics,
  schematicKeyOf,
  type DownloadPlan,
  type SchematicKey,
  type SchematicPlan,
} from "../proxmox/images";
import { VM_IGNORE_CHANGES, buildVmArgs } from "../proxmox/vm";
import {
  bootstrapNode,
  controlPlaneIps,
  ipsOf,
  onDestroyFor,
  skipKubernetesChecks,
  talosContract,
  type OnDestroy,
} from "../talos/cluster";
import { buildNodePatches, hasGpuNodes, renderPatch, type TalosPatch } from "../talos/patches";
import { planRollout, type RolloutPlan } from "./rollout";

export { planRollout, type RolloutBatch, type RolloutPlan } from "./rollout";
export * from "./day2";

/** The Talos images: what the Image Factory builds and what each host downloads. */
export interface ImagesModel {
  readonly clusterName: string;
  readonly talosVersion: string;
  readonly platform: string;
  readonly architecture: string;
  /** The Proxmox datastore the images are downloaded to. */
  readonly datastore: string;
  /** One schematic per distinct extension set, base first. */
  readonly schematics: readonly SchematicPlan[];
  /** One download per (host, schematic). */
  readonly downloads: readonly DownloadPlan[];
}

/** What a node's configuration apply waits for besides its own VM. */
export interface ApplyOrder {
  /** After the bootstrap: every node but the bootstrap node joins a running etcd. */
  readonly afterBootstrap: boolean;
  /**
   * After every control plane's VM: workers, so that `pulumi destroy` drains and resets
   * them before any control plane goes and etcd keeps its quorum meanwhile.
   */
  readonly afterControlPlaneVms: boolean;
}

/** Everything decided about one node. */
export interface NodeModel {
  readonly name: string;
  readonly role: Role;
  readonly ip: string;
  readonly host: string;
  readonly vmId: number;
  readonly protect: boolean;
  /** What a VM restart applies, rolled by the rollout through Proxmox: its sizing. */
  readonly hardware: {
    readonly cores: number;
    readonly memoryMiB: number;
    readonly diskGiB: number;
    /** The SCSI controller model (Proxmox's `scsihw`). */
    readonly scsiController: string;
  };
  /** The node's image: its schematic and the download its disk is imported from. */
  readonly schematic: SchematicKey;
  readonly download: string;
  /** The VM's arguments, given the id of the image file its disk is imported from. */
  readonly vmArgs: (imageFileId: pulumi.Input<string>) => proxmoxve.VmLegacyArgs;
  /** VM properties that never cause an update. */
  readonly vmIgnoreChanges: readonly string[];
  /** The Talos patch documents. */
  readonly patches: readonly TalosPatch[];
  /** The same, rendered as the YAML documents the provider receives. */
  readonly renderedPatches: readonly string[];
  readonly apply: ApplyOrder;
  /** What destroying the node's apply does to the node. */
  readonly onDestroy: OnDestroy;
}

/** The health gate's view of the cluster. */
export interface HealthModel {
  readonly controlPlaneNodes: readonly string[];
  readonly workerNodes: readonly string[];
  /** The Talos API endpoints the check goes through: the control planes. */
  readonly endpoints: readonly string[];
  readonly skipKubernetesChecks: boolean;
}

/** The Talos side of the cluster: everything TalosCluster maps to resources. */
export interface TalosModel {
  readonly clusterName: string;
  /** The Kubernetes API URL every node's configuration names. */
  readonly endpoint: string;
  /**
   * The version contract of a new cluster (the Talos minor). The secrets keep the one
   * they were created with, and every node's configuration is rendered under it.
   */
  readonly secretsContract: string;
  readonly kubernetesVersion: string;
  /** Nodes in the order their applies are declared: the bootstrap node first. */
  readonly nodes: readonly NodeModel[];
  /** The node etcd is bootstrapped on, and the kubeconfig read through. */
  readonly bootstrapNode: NodeModel;
  readonly health: HealthModel;
  /** What the talosconfig names: control planes as endpoints, every node as a target. */
  readonly talosconfig: {
    readonly endpoints: readonly string[];
    readonly nodes: readonly string[];
  };
}

/** The whole model. Frozen. */
export interface ClusterModel {
  readonly name: string;
  /** The Kubernetes API URL: the vip's, else the first control plane's. */
  readonly endpoint: string;
  /** The Talos VIP the control planes share, or null (the endpoint is then the first control plane). */
  readonly vip: string | null;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  readonly images: ImagesModel;
  /** Every node, in inventory order. */
  readonly nodes: readonly NodeModel[];
  readonly talos: TalosModel;
  /** The node network every node's address lives in. */
  readonly network: {
    readonly cidr: string;
    readonly gateway: string;
    readonly prefixLength: number;
  };
  /** The order and width of a rolling change. */
  readonly rollout: RolloutPlan;
  /** How long a Kubernetes upgrade waits (cluster.yaml `rollout.waits`, defaults filled). */
  readonly rolloutWaits: RolloutWaits;
  /** etcd snapshots the rollout takes (`dir` null: `backups/<stack>`). */
  readonly backups: ClusterSpec["backups"];
  /** The `nodes` stack output. */
  readonly nodesOutput: Readonly<Record<string, NodeOutput>>;
}

/**
 * Builds the model of a validated inventory.
 *
 * Every patch builder runs here once, so a patch that cannot be built throws now,
 * before any resource exists, rather than inside an `apply()` after resources were
 * registered.
 *
 * @throws Error when the inventory holds something the builders refuse.
 */
export function buildClusterModel(inventory: Inventory): ClusterModel {
  const { cluster } = inventory;
  const gpuInCluster = hasGpuNodes(inventory.nodes);
  const first = bootstrapNode(inventory.nodes);

  const nodes = inventory.nodes.map((spec): NodeModel => {
    // Built here, once: a patch that cannot be built throws before any resource.
    const patches = buildNodePatches(cluster, spec, gpuInCluster);
    const isFirst = spec.name === first.name;
    return {
      name: spec.name,
      role: spec.role,
      ip: spec.ip,
      host: spec.host,
      vmId: spec.vmId,
      protect: spec.protect,
      hardware: {
        cores: spec.sizing.cores,
        memoryMiB: spec.sizing.memoryMiB,
        diskGiB: spec.sizing.diskGiB,
        scsiController: cluster.proxmox.scsiController,
      },
      schematic: schematicKeyOf(cluster.talos, spec),
      download: downloadKeyOf(cluster.talos, spec),
      vmArgs: (imageFileId) => buildVmArgs(cluster, spec, imageFileId),
      vmIgnoreChanges: VM_IGNORE_CHANGES,
      patches,
      renderedPatches: patches.map(renderPatch),
      apply: {
        afterBootstrap: !isFirst,
        afterControlPlaneVms: spec.role === "worker",
      },
      onDestroy: onDestroyFor(spec.role),
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const bootstrap = byName.get(first.name)!;

  return deepFreeze({
    name: cluster.name,
    endpoint: inventory.endpoint.url,
    vip: cluster.vip ?? null,
    talosVersion: cluster.talos.version,
    kubernetesVersion: cluster.kubernetes.version,
    images: {
      clusterName: cluster.name,
      talosVersion: cluster.talos.version,
      platform: IMAGE_PLATFORM,
      architecture: IMAGE_ARCHITECTURE,
      datastore: cluster.proxmox.imageDatastore,
      schematics: planSchematics(cluster.talos, inventory.nodes),
      downloads: planDownloads(cluster.talos, inventory.nodes),
    },
    nodes,
    talos: {
      clusterName: cluster.name,
      endpoint: inventory.endpoint.url,
      secretsContract: talosContract(cluster.talos.version),
      kubernetesVersion: cluster.kubernetes.version,
      nodes: [bootstrap, ...nodes.filter((n) => n !== bootstrap)],
      bootstrapNode: bootstrap,
      health: healthOf(inventory.nodes, cluster.kubernetes.cni),
      talosconfig: {
        endpoints: controlPlaneIps(inventory.nodes),
        nodes: inventory.nodes.map((n) => n.ip),
      },
    },
    network: {
      cidr: cluster.network.cidr,
      gateway: cluster.network.gateway,
      prefixLength: cluster.network.prefixLength,
    },
    rollout: planRollout(inventory.nodes, first.name, cluster.rollout.maxUnavailableWorkers),
    rolloutWaits: cluster.rollout.waits,
    backups: cluster.backups,
    nodesOutput: nodesOutput(inventory.nodes),
  });
}

function healthOf(nodes: readonly NodeSpec[], cni: Cni): HealthModel {
  return {
    controlPlaneNodes: ipsOf(nodes, "controlplane"),
    workerNodes: ipsOf(nodes, "worker"),
    endpoints: controlPlaneIps(nodes),
    skipKubernetesChecks: skipKubernetesChecks(cni),
  };
}

/** The image file name of a download, given its schematic's id. */
export function downloadFileName(images: ImagesModel, schematicId: string): string {
  return imageFileName(images.clusterName, schematicId, images.talosVersion);
}
