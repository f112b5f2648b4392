/** The shape of the stack outputs operators read. Pure. */
import type { NodeSpec, Role } from "./inventory/types";

/** One node as the `nodes` stack output shows it. */
export interface NodeOutput {
  readonly role: Role;
  readonly host: string;
  readonly vmId: number;
  readonly ip: string;
  /** The Proxmox PCI mapping passed through, or null for a node without a GPU. */
  readonly gpu: string | null;
}

/** The `nodes` stack output: node name → role, host, vmId, ip, gpu. */
export function nodesOutput(nodes: readonly NodeSpec[]): Record<string, NodeOutput> {
  return Object.fromEntries(
    nodes.map((n) => [
      n.name,
      { role: n.role, host: n.host, vmId: n.vmId, ip: n.ip, gpu: n.gpu?.mapping ?? null },
    ]),
  );
}
