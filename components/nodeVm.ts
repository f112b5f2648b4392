import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import type { NodeModel } from "../lib/model";
import { NODE_VM } from "../lib/tokens";

/** Arguments of {@link NodeVm}. */
export interface NodeVmArgs {
  /** The node: its VM arguments, ignored properties and protection. */
  readonly node: Pick<NodeModel, "vmArgs" | "vmIgnoreChanges" | "protect">;
  /** The id of the Talos disk image its boot disk is imported from. */
  readonly imageFileId: pulumi.Input<string>;
}

/**
 * One inventory node's VM on Proxmox. It owns the VM's lifecycle only; Talos owns
 * everything inside it.
 */
export class NodeVm extends pulumi.ComponentResource {
  /** The Proxmox VM. */
  public readonly vm: proxmoxve.VmLegacy;
  /** The VM id Proxmox reports. */
  public readonly vmId: pulumi.Output<number | undefined>;

  constructor(name: string, args: NodeVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NODE_VM, name, {}, opts);
    const { node, imageFileId } = args;
    this.vm = new proxmoxve.VmLegacy(`${name}-vm`, node.vmArgs(imageFileId), {
      parent: this,
      ignoreChanges: [...node.vmIgnoreChanges],
      // Pulumi's protect rather than Proxmox's `protection` flag: Pulumi refuses the
      // whole plan before it touches anything, where a Proxmox-side flag would fail
      // `pulumi destroy` half-way, after the node's Talos state was already reset.
      protect: node.protect,
      // A replacement VM has the same id, MAC and address as the one it replaces,
      // which Proxmox and the network allow only once: delete first, then create.
      deleteBeforeReplace: true,
    });
    this.vmId = this.vm.vmId;
    this.registerOutputs({ vmId: this.vmId });
  }
}
