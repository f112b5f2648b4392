import {
  API_PORT,
  DEFAULT_ALLOW_UNSUPPORTED_VERSION,
  DEFAULT_BRIDGE,
  DEFAULT_CNI,
  DEFAULT_EXTENSIONS,
  DEFAULT_GPU_EXTENSIONS,
  DEFAULT_GPU_PCIE,
  DEFAULT_PROTECT,
  DEFAULT_MAX_UNAVAILABLE_WORKERS,
  DEFAULT_ROLLOUT_WAITS,
  DEFAULT_ETCD_BACKUP,
  DEFAULT_STORAGE,
  DEFAULT_ADDONS,
  DEFAULT_POD_SUBNETS,
  DEFAULT_SCSI_CONTROLLER,
  DEFAULT_SERVICE_SUBNETS,
  DEFAULT_SIZING,
} from "./defaults";
import { deepFreeze } from "../freeze";
import { parseCidr } from "./ipv4";
import { deriveMac } from "./mac";
import type {
  ClusterSpec,
  Cni,
  Inventory,
  NodeSpec,
  OperatorPatch,
  Problem,
  Role,
  Sizing,
  Taint,
  ScsiController,
  TaintEffect,
  RolloutWaits,
} from "./types";

/*
 * The shapes of the two files once schema.json and the checks have passed them: every
 * required field present and of the right type. Only the loader builds from them.
 */

interface SizingFields {
  readonly cores?: number;
  readonly memoryMiB?: number;
  readonly diskGiB?: number;
  readonly cpuType?: string;
}

/** cluster.yaml as written, after validation. */
export interface ClusterFile {
  readonly name: string;
  readonly vip?: string;
  readonly talos: {
    readonly version: string;
    readonly extensions?: readonly string[];
    readonly gpuExtensions?: readonly string[];
    /** Refused by the checks; read only to be reported. */
    readonly installDisk?: unknown;
    readonly allowUnsupportedVersion?: boolean;
  };
  readonly kubernetes: {
    readonly version: string;
    readonly podSubnets?: readonly string[];
    readonly serviceSubnets?: readonly string[];
    readonly cni?: Cni;
    readonly allowSchedulingOnControlPlanes?: boolean;
  };
  readonly proxmox: {
    readonly node: string;
    readonly vmDatastore: string;
    readonly imageDatastore: string;
    readonly bridge?: string;
    readonly vlan?: number;
    readonly scsiController?: ScsiController;
  };
  readonly network: {
    readonly cidr: string;
    readonly gateway: string;
    readonly nameservers: readonly string[];
  };
  readonly defaults?: {
    readonly controlplane?: SizingFields;
    readonly worker?: SizingFields;
  };
  readonly rollout?: {
    readonly maxUnavailableWorkers?: number;
    readonly waits?: Partial<RolloutWaits>;
  };
  readonly backups?: {
    readonly etcd?: {
      readonly beforeRollout?: boolean;
      readonly keep?: number;
      readonly dir?: string;
      readonly maxAge?: string;
    };
  };
  readonly storage?: { readonly localPath?: boolean };
  readonly addons?: { readonly metricsServer?: boolean };
}

/** One entry of nodes.yaml as written, after validation. */
export interface NodeFields extends SizingFields {
  readonly name: string;
  readonly role: Role;
  readonly vmId: number;
  readonly ip: string;
  readonly mac?: string;
  readonly host?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: TaintEffect }[];
  readonly gpu?: { readonly mapping: string; readonly pcie?: boolean };
  readonly protect?: boolean;
}

/** nodes.yaml as written, after validation. */
export interface NodesFile {
  readonly nodes: readonly NodeFields[];
}

function sizing(base: Sizing, fields: SizingFields | undefined): Sizing {
  return {
    cores: fields?.cores ?? base.cores,
    memoryMiB: fields?.memoryMiB ?? base.memoryMiB,
    diskGiB: fields?.diskGiB ?? base.diskGiB,
    cpuType: fields?.cpuType ?? base.cpuType,
  };
}

/**
 * Applies every default and returns the frozen inventory. Expects files that passed
 * validation without errors; `warnings` are carried along for the caller to show.
 */
export function buildInventory(
  dir: string,
  cluster: ClusterFile,
  nodesFile: NodesFile,
  warnings: readonly Problem[],
  patches: {
    readonly cluster: readonly OperatorPatch[];
    readonly controlPlane?: readonly OperatorPatch[];
    readonly worker?: readonly OperatorPatch[];
    readonly nodes: readonly (readonly OperatorPatch[])[];
  } = {
    cluster: [],
    nodes: [],
  },
): Inventory {
  const hasWorkers = nodesFile.nodes.some((n) => n.role === "worker");
  const prefix = parseCidr(cluster.network.cidr);
  if (prefix === undefined)
    throw new Error(`network.cidr ${cluster.network.cidr} passed validation unparsed`);

  const defaults: Record<Role, Sizing> = {
    controlplane: sizing(DEFAULT_SIZING.controlplane, cluster.defaults?.controlplane),
    worker: sizing(DEFAULT_SIZING.worker, cluster.defaults?.worker),
  };

  const spec: ClusterSpec = {
    name: cluster.name,
    ...(cluster.vip === undefined ? {} : { vip: cluster.vip }),
    talos: {
      version: cluster.talos.version,
      extensions: [...(cluster.talos.extensions ?? DEFAULT_EXTENSIONS)],
      gpuExtensions: [...(cluster.talos.gpuExtensions ?? DEFAULT_GPU_EXTENSIONS)],
      allowUnsupportedVersion:
        cluster.talos.allowUnsupportedVersion ?? DEFAULT_ALLOW_UNSUPPORTED_VERSION,
      patches: [...patches.cluster],
      controlPlanePatches: [...(patches.controlPlane ?? [])],
      workerPatches: [...(patches.worker ?? [])],
    },
    kubernetes: {
      version: cluster.kubernetes.version,
      podSubnets: [...(cluster.kubernetes.podSubnets ?? DEFAULT_POD_SUBNETS)],
      serviceSubnets: [...(cluster.kubernetes.serviceSubnets ?? DEFAULT_SERVICE_SUBNETS)],
      cni: cluster.kubernetes.cni ?? DEFAULT_CNI,
      // With no workers the control planes are the whole cluster, so they must take pods.
      allowSchedulingOnControlPlanes:
        cluster.kubernetes.allowSchedulingOnControlPlanes ?? !hasWorkers,
    },
    proxmox: {
      node: cluster.proxmox.node,
      vmDatastore: cluster.proxmox.vmDatastore,
      imageDatastore: cluster.proxmox.imageDatastore,
      bridge: cluster.proxmox.bridge ?? DEFAULT_BRIDGE,
      ...(cluster.proxmox.vlan === undefined ? {} : { vlan: cluster.proxmox.vlan }),
      scsiController: cluster.proxmox.scsiController ?? DEFAULT_SCSI_CONTROLLER,
    },
    network: {
      cidr: cluster.network.cidr,
      prefixLength: prefix.prefix,
      gateway: cluster.network.gateway,
      nameservers: [...cluster.network.nameservers],
    },
    defaults,
    rollout: {
      maxUnavailableWorkers:
        cluster.rollout?.maxUnavailableWorkers ?? DEFAULT_MAX_UNAVAILABLE_WORKERS,
      waits: { ...DEFAULT_ROLLOUT_WAITS, ...(cluster.rollout?.waits ?? {}) },
    },
    backups: {
      etcd: {
        beforeRollout: cluster.backups?.etcd?.beforeRollout ?? DEFAULT_ETCD_BACKUP.beforeRollout,
        keep: cluster.backups?.etcd?.keep ?? DEFAULT_ETCD_BACKUP.keep,
        dir: cluster.backups?.etcd?.dir ?? null,
        maxAge: cluster.backups?.etcd?.maxAge ?? DEFAULT_ETCD_BACKUP.maxAge,
      },
    },
    storage: { localPath: cluster.storage?.localPath ?? DEFAULT_STORAGE.localPath },
    addons: { metricsServer: cluster.addons?.metricsServer ?? DEFAULT_ADDONS.metricsServer },
  };

  const nodes: NodeSpec[] = nodesFile.nodes.map((n, i) => {
    const taints: Taint[] = (n.taints ?? []).map((t) => ({
      key: t.key,
      ...(t.value === undefined ? {} : { value: t.value }),
      effect: t.effect,
    }));
    return {
      name: n.name,
      role: n.role,
      vmId: n.vmId,
      ip: n.ip,
      mac: (n.mac ?? deriveMac(cluster.name, n.name)).toLowerCase(),
      macSource: n.mac === undefined ? "derived" : "inventory",
      host: n.host ?? cluster.proxmox.node,
      sizing: sizing(defaults[n.role], n),
      labels: { ...(n.labels ?? {}) },
      taints,
      protect: n.protect ?? DEFAULT_PROTECT[n.role],
      patches: [...(patches.nodes[i] ?? [])],
      ...(n.gpu === undefined
        ? {}
        : { gpu: { mapping: n.gpu.mapping, pcie: n.gpu.pcie ?? DEFAULT_GPU_PCIE } }),
    };
  });

  const bootstrap = nodes.find((n) => n.role === "controlplane");
  if (bootstrap === undefined)
    throw new Error("an inventory without a control plane passed validation");
  const host = spec.vip ?? bootstrap.ip;

  return deepFreeze({
    dir,
    cluster: spec,
    nodes,
    endpoint: { host, url: `https://${host}:${API_PORT}` },
    warnings: [...warnings],
  });
}
