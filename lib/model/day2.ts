/**
 * The plain inputs of the day-two resources: everything but the values that exist
 * only once other resources do (credentials, rendered configurations, installer
 * images), which the component adds. Pure.
 *
 * The shapes are the contract with `@em-infra/day2`'s providers, versioned by
 * `schema`: stored state of every earlier version must keep working.
 */
import type { DialSettings } from "../settings";
import { TALOS_SUPPORT, type TalosSupport } from "../inventory/versions";
import type { ClusterModel, NodeModel } from "./index";
import type { RolloutWaits } from "../inventory/types";

/** How long the rollout waits, per node and per drain. */
export interface RolloutTiming {
  /** For a node to come back after a restart, at the new version, healthy. */
  readonly nodeTimeoutSeconds: number;
  /** For a drain's evictions, PodDisruptionBudgets included (talosctl's default). */
  readonly drainTimeoutSeconds: number;
  /** Between two looks at a node that is coming back. */
  readonly pollMs: number;
}

/** The waits of a real cluster: a node's reboot and upgrade within the apply timeout. */
export const ROLLOUT_TIMING: RolloutTiming = Object.freeze({
  nodeTimeoutSeconds: 900,
  drainTimeoutSeconds: 300,
  pollMs: 2000,
});

/** One node as the rollout sees it. */
export interface RolloutNode {
  readonly role: NodeModel["role"];
  readonly ip: string;
  /** Where its Talos API is dialed, when not `<ip>:50000`. */
  readonly endpoint: string | null;
  readonly protect: boolean;
  /** Its network identity: a change is refused while the node exists. */
  readonly network: {
    readonly cidr: string;
    readonly gateway: string;
    readonly prefixLength: number;
  };
  /**
   * Its VM and what a restart applies: a change of cores or memory (pending in Proxmox)
   * or a disk grown is rolled like a staged configuration, through a Proxmox reboot.
   */
  readonly hardware: {
    /** The Proxmox node the VM lives on. */
    readonly host: string;
    readonly vmId: number;
    readonly cores: number;
    readonly memoryMiB: number;
    readonly diskGiB: number;
    /** The SCSI controller model (Proxmox's `scsihw`): a change is pending until a restart. */
    readonly scsiController: string;
  };
}

/** The rollout resource's inputs, less credentials, configurations and installers. */
export interface RolloutPlainInputs {
  readonly schema: 1;
  readonly cluster: string;
  /** The Pulumi stack: `npm run day2 -- stop --stack NAME` addresses its rollout by it. */
  readonly stack: string;
  /** The Kubernetes API URL every configuration and kubeconfig names: it may not move. */
  readonly clusterEndpoint: string;
  /** The Talos VIP, or null: behind one, Kubernetes calls ride out its moves. */
  readonly vip: string | null;
  /**
   * Which Kubernetes minors each Talos minor runs (em-infra's support table): a
   * Kubernetes bump is refused while a node runs a Talos that does not support it.
   */
  readonly kubernetesSupport: readonly TalosSupport[];
  /** etcd snapshots before a rollout that disturbs a control plane; the folder resolved. */
  readonly backups: {
    readonly etcd: { readonly beforeRollout: boolean; readonly keep: number; readonly dir: string };
  };
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  readonly bootstrapNode: string;
  readonly maxUnavailableWorkers: number;
  readonly batches: readonly (readonly string[])[];
  readonly nodes: Readonly<Record<string, RolloutNode>>;
  readonly kubernetesEndpoint: string | null;
  readonly timing: RolloutTiming;
  /** The Kubernetes upgrade's waits: changing them alone rolls nothing. */
  readonly waits: RolloutWaits;
}

/** Where the stack's etcd snapshots go: the inventory's folder, else `backups/<stack>`. */
export function etcdBackupDir(model: ClusterModel, stack: string): string {
  return model.backups.etcd.dir ?? `backups/${stack}`;
}

/** The rollout's plain inputs for a model, the stack and its dial settings. */
export function rolloutInputs(
  model: ClusterModel,
  stack: string,
  dial: DialSettings,
  timing: RolloutTiming = ROLLOUT_TIMING,
): RolloutPlainInputs {
  return {
    schema: 1,
    cluster: model.name,
    stack,
    clusterEndpoint: model.endpoint,
    vip: model.vip,
    kubernetesSupport: TALOS_SUPPORT,
    // maxAge only warns in day2 status: not a rollout input.
    backups: {
      etcd: {
        beforeRollout: model.backups.etcd.beforeRollout,
        keep: model.backups.etcd.keep,
        dir: etcdBackupDir(model, stack),
      },
    },
    talosVersion: model.talosVersion,
    kubernetesVersion: model.kubernetesVersion,
    bootstrapNode: model.talos.bootstrapNode.name,
    maxUnavailableWorkers: model.rollout.maxUnavailableWorkers,
    batches: model.rollout.batches,
    nodes: Object.fromEntries(
      model.nodes.map((n) => [
        n.name,
        {
          role: n.role,
          ip: n.ip,
          endpoint: dial.talosEndpoints[n.name] ?? null,
          protect: n.protect,
          network: model.network,
          hardware: { host: n.host, vmId: n.vmId, ...n.hardware },
        },
      ]),
    ),
    kubernetesEndpoint: dial.kubernetesEndpoint,
    timing,
    waits: model.rolloutWaits,
  };
}

/** The bootstrap check's inputs, less credentials and the bootstrap's URN. */
export interface BootstrapCheckPlainInputs {
  readonly schema: 1;
  readonly cluster: string;
  readonly node: string;
  readonly ip: string;
  readonly endpoint: string | null;
  /** How long etcd may take to come up after the bootstrap: a healthy one takes seconds. */
  readonly timeoutSeconds: number;
  readonly pollMs: number;
}

/** The bootstrap check's plain inputs. */
export function bootstrapCheckInputs(
  model: ClusterModel,
  dial: DialSettings,
): BootstrapCheckPlainInputs {
  const node = model.talos.bootstrapNode;
  return {
    schema: 1,
    cluster: model.name,
    node: node.name,
    ip: node.ip,
    endpoint: dial.talosEndpoints[node.name] ?? null,
    timeoutSeconds: 180,
    pollMs: 2000,
  };
}
