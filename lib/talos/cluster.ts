/**
 * Cluster-level Talos decisions, as plain functions: the secrets' version contract,
 * the bootstrap node, the talosctl endpoints, and what a node's apply does when it
 * is destroyed.
 */
import type { Cni, NodeSpec, Role } from "../inventory/types";

/**
 * The version contract for machine secrets: the Talos minor (`v1.13.0` → `v1.13`).
 * A patch release never changes it, so a Talos patch upgrade never touches secrets.
 */
export function talosContract(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`talos.version: "${version}" is not a vX.Y.Z version`);
  return `v${m[1]}.${m[2]}`;
}

/** The node that bootstraps etcd: the first control plane in inventory order. */
export function bootstrapNode(nodes: readonly NodeSpec[]): NodeSpec {
  const node = nodes.find((n) => n.role === "controlplane");
  // The loader guarantees one; this guards a hand-built inventory.
  if (!node) throw new Error("the inventory has no control plane");
  return node;
}

/** The control planes' own addresses: talosctl endpoints and health endpoints. */
export function controlPlaneIps(nodes: readonly NodeSpec[]): string[] {
  return ipsOf(nodes, "controlplane");
}

/** The addresses of the nodes of one role, in inventory order. */
export function ipsOf(nodes: readonly NodeSpec[], role: Role): string[] {
  return nodes.filter((n) => n.role === role).map((n) => n.ip);
}

/** What destroying a node's apply does to the node. */
export interface OnDestroy {
  /** Cordon and drain (and leave etcd) before the reset. */
  readonly graceful: boolean;
  /** Reboot after the reset. */
  readonly reboot: boolean;
  /** Wipe the node's Talos state. */
  readonly reset: boolean;
}

/**
 * Workers are drained and reset when removed, so their pods move elsewhere and
 * the cluster stays healthy. Control planes are not reset: a graceful reset must
 * leave etcd, which hangs once quorum is gone, and that is exactly the state a
 * whole-stack destroy reaches. Removing a control plane is a documented manual
 * step (leave etcd first); its VM is deleted right after anyway.
 */
export function onDestroyFor(role: Role): OnDestroy {
  switch (role) {
    case "worker":
      return { graceful: true, reboot: false, reset: true };
    case "controlplane":
      return { graceful: false, reboot: false, reset: false };
    default: {
      const unknownRole: never = role;
      throw new Error(`unknown role ${String(unknownRole)}`);
    }
  }
}

/**
 * Whether the health gate skips its Kubernetes checks. Without a CNI
 * (`kubernetes.cni: none`) no node turns Ready until the operator installs one,
 * so the gate checks Talos, etcd and the kubelets only.
 */
export function skipKubernetesChecks(cni: Cni): boolean {
  return cni === "none";
}
