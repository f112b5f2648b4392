/**
 * Every decision about a node's VM, as plain data. The NodeVm component passes
 * these arguments to `proxmoxve.VmLegacy` unchanged. Only type imports here.
 *
 * The VM owns the machine and nothing inside it: no SSH, no user data. The
 * cloud-init drive carries network bootstrap metadata only (address, gateway,
 * nameservers), so the Talos maintenance API comes up on the node's own address.
 */
import type * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../inventory/types";

/** The tag every em-infra VM carries, so operators can filter them in Proxmox. */
export const MANAGED_TAG = "em-infra";

/** The system extension that runs the QEMU guest agent inside Talos. */
export const GUEST_AGENT_EXTENSION = "siderolabs/qemu-guest-agent";

/** The SCSI slot of the boot disk. */
export const BOOT_DISK = "scsi0";

/**
 * VM properties Proxmox or the provider rewrite on their own, which would show as
 * a diff on every run, or replace the VM on an ordinary update. Each is explained.
 */
export const VM_IGNORE_CHANGES: readonly string[] = [
  // The image a VM's disk was imported from. A new Talos version or schematic
  // downloads a new image: existing VMs keep their disk (Talos upgrades nodes in
  // place), and only new nodes boot the new image.
  "disks[0].importFrom",
  // Proxmox reports unset speed limits back as an empty block (pulumi-proxmoxve #664).
  "disks[0].speed",
  // The cloud-init drive only bootstraps the maintenance network; after the first
  // apply Talos owns the network, and Proxmox regenerates the drive's settings.
  "initialization",
];

/** Proxmox sorts tags; giving them sorted avoids a perpetual diff. */
export function vmTags(clusterName: string, node: NodeSpec): string[] {
  const tags = new Set([MANAGED_TAG, clusterName, node.role]);
  if (node.gpu) tags.add("gpu");
  return [...tags].sort();
}

/** The VM's description, shown in the Proxmox UI. */
export function vmDescription(clusterName: string, node: NodeSpec): string {
  return [
    `Managed by em-infra: ${node.role}${node.gpu ? " (GPU)" : ""} node ${node.name}`,
    `of Talos cluster ${clusterName}.`,
    "Edit the inventory and run pulumi up; changes made here are reverted.",
  ].join(" ");
}

/** The MAC as Proxmox stores and reports it (upper case), so it never diffs. */
export function proxmoxMac(mac: string): string {
  return mac.toUpperCase();
}

/** The arguments of a node's `proxmoxve.VmLegacy`. */
export function buildVmArgs(
  cluster: ClusterSpec,
  node: NodeSpec,
  imageFileId: pulumi.Input<string>,
): proxmoxve.VmLegacyArgs {
  const { proxmox, network } = cluster;
  return {
    name: node.name,
    vmId: node.vmId,
    nodeName: node.host,
    description: vmDescription(cluster.name, node),
    tags: vmTags(cluster.name, node),
    onBoot: true,
    started: true,
    // A Talos node has nothing to shut down cleanly once its apply is gone:
    // a hard stop keeps `pulumi destroy` from waiting on an ACPI shutdown.
    stopOnDestroy: true,
    // Pulumi updates VMs side by side, so the provider never restarts one: a change
    // that needs a restart (cores, memory) stays pending in Proxmox, and the rollout
    // restarts the VMs through the Proxmox API one at a time (workers by batch),
    // drained, as it rolls every other edit. With this off, the provider refuses to
    // grow a disk in the same update as such a change (bpg v0.111.1,
    // proxmoxtf/resource/vm/vm.go: "cannot resize disks while the VM is running"), which
    // the rollout refuses at preview.
    rebootAfterUpdate: false,
    machine: "q35",
    bios: "ovmf",
    efiDisk: { datastoreId: proxmox.vmDatastore, type: "4m", preEnrolledKeys: false },
    operatingSystem: { type: "l26" },
    cpu: { cores: node.sizing.cores, sockets: 1, type: node.sizing.cpuType },
    memory: {
      dedicated: node.sizing.memoryMiB,
      // No balloon device on any node: PCI passthrough pins all guest memory, and
      // the Talos guide for Proxmox asks for ballooning off, since Talos sizes
      // itself from the memory it sees at boot.
      floating: 0,
    },
    // The Talos guide for Proxmox (v1.13) advises against VirtIO SCSI Single, which
    // has hung bootstraps (siderolabs/talos#11173); the inventory chooses, and the
    // default is the plain VirtIO SCSI controller.
    scsiHardware: proxmox.scsiController,
    disks: [
      {
        interface: BOOT_DISK,
        datastoreId: proxmox.vmDatastore,
        importFrom: imageFileId,
        size: node.sizing.diskGiB,
        // An I/O thread per disk needs a controller per disk: Proxmox ignores the flag,
        // with a warning, on the shared virtio-scsi-pci controller.
        ...(proxmox.scsiController === "virtio-scsi-single" ? { iothread: true } : {}),
        discard: "on",
        ssd: true,
      },
    ],
    bootOrders: [BOOT_DISK],
    networkDevices: [
      {
        bridge: proxmox.bridge,
        model: "virtio",
        macAddress: proxmoxMac(node.mac),
        ...(proxmox.vlan !== undefined ? { vlanId: proxmox.vlan } : {}),
      },
    ],
    initialization: {
      type: "nocloud",
      datastoreId: proxmox.vmDatastore,
      interface: "ide2",
      ipConfigs: [
        { ipv4: { address: `${node.ip}/${network.prefixLength}`, gateway: network.gateway } },
      ],
      dns: { servers: [...network.nameservers] },
    },
    agent: {
      // The qemu-guest-agent extension runs inside Talos when the image has it.
      // The provider must not wait for it to report an address: the address is in
      // the inventory.
      enabled: cluster.talos.extensions.includes(GUEST_AGENT_EXTENSION),
      trim: true,
      waitForIp: { disabled: true },
    },
    serialDevices: [{ device: "socket" }],
    ...(node.gpu
      ? {
          hostpcis: [
            // A resource mapping, not a raw PCI id: Proxmox refuses raw ids to API
            // tokens (bpg/terraform-provider-proxmox #495).
            { device: "hostpci0", mapping: node.gpu.mapping, pcie: node.gpu.pcie, rombar: true },
          ],
        }
      : {}),
  };
}
