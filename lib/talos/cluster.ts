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
 * What destroying a node's apply does: nothing, on every role. A node removed from the
 * inventory is decommissioned by the rollout's update before Pulumi deletes its apply
 * (drained, reset, out of etcd, its Node deleted), and `pulumi destroy` tears the
 * whole cluster down, where a graceful reset of the last etcd member would hang
 * (siderolabs/terraform-provider-talos #216). The role stays a parameter: the
 * decision is per node, and a later one may differ.
 */
export function onDestroyFor(role: Role): OnDestroy {
  switch (role) {
    case "worker":
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
