/** The shape of the stack outputs operators read. Pure. */
import type { Inventory, Role } from "./inventory/types";

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
export function nodesOutput(inventory: Inventory): Record<string, NodeOutput> {
  return Object.fromEntries(
    inventory.nodes.map((n) => [
      n.name,
      { role: n.role, host: n.host, vmId: n.vmId, ip: n.ip, gpu: n.gpu?.mapping ?? null },
    ]),
  );
}
