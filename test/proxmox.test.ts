/** The Proxmox-side decisions (images and VM arguments), as pure functions. */
import { strict as assert } from "assert";
import {
  diskImageUrl,
  downloadKeyOf,
  imageFileName,
  planDownloads,
  planSchematics,
  renderSchematic,
  schematicKeyOf,
} from "../lib/proxmox/images";
import { buildVmArgs, proxmoxMac, vmDescription, vmTags } from "../lib/proxmox/vm";
import { cluster, haWithGpu, node, nodeNamed } from "./support/talosInventories";

describe("Proxmox decisions", () => {
  const inv = haWithGpu();
  const talos = inv.cluster.talos;

  describe("images", () => {
    it("gives a GPU worker the gpu schematic only when the GPU set adds extensions", () => {
      const gpu = nodeNamed(inv, "gpu-1");
      assert.equal(schematicKeyOf(talos, gpu), "gpu");
      assert.equal(schematicKeyOf(talos, nodeNamed(inv, "worker-1")), "base");
      assert.equal(schematicKeyOf({ ...talos, gpuExtensions: [...talos.extensions] }, gpu), "base");
    });

    it("plans schematics with sorted, de-duplicated extensions", () => {
      const plans = planSchematics(
        { ...talos, extensions: ["b/x", "a/y"], gpuExtensions: ["a/y", "c/z"] },
        inv.nodes,
      );
      assert.deepEqual(
        plans.map((p) => [p.key, p.extensions]),
        [
          ["base", ["a/y", "b/x"]],
          ["gpu", ["a/y", "b/x", "c/z"]],
        ],
      );
      assert.equal(
        plans[0].schematic,
        "customization:\n  systemExtensions:\n    officialExtensions:\n      - a/y\n      - b/x\n",
      );
    });

    it("renders an empty extension set as an empty customization", () => {
      assert.equal(renderSchematic([]), "customization: {}\n");
    });

    it("downloads each schematic once per host", () => {
      const moved = inv.nodes.map((n) => (n.name === "cp-3" ? { ...n, host: "pve2" } : n));
      assert.deepEqual(
        planDownloads(talos, moved).map((d) => d.key),
        ["pve1-base", "pve2-base", "pve1-gpu"],
      );
      assert.equal(downloadKeyOf(talos, moved[2]), "pve2-base");
    });

    it("names the image file per cluster, schematic (16 characters) and version", () => {
      assert.equal(
        imageFileName("lab", "0123456789abcdef0123", "v1.13.0"),
        "talos-lab-v1.13.0-0123456789abcdef-nocloud-amd64.qcow2",
      );
    });

    it("asks the factory for the uncompressed QCOW2 of the disk image it links", () => {
      assert.equal(
        diskImageUrl("https://f/image/abc/v1.13.0/nocloud-amd64.raw.xz"),
        "https://f/image/abc/v1.13.0/nocloud-amd64.qcow2",
      );
      assert.equal(
        diskImageUrl("https://f/x/nocloud-amd64.raw"),
        "https://f/x/nocloud-amd64.qcow2",
      );
    });
  });

  describe("VM arguments", () => {
    const gpu = nodeNamed(inv, "gpu-1");
    const args = buildVmArgs(inv.cluster, gpu, "local:import/img.qcow2");

    it("tags and describes the VM by cluster, role and GPU, tags sorted", () => {
      assert.deepEqual(vmTags("lab", gpu), ["em-infra", "gpu", "lab", "worker"]);
      assert.match(
        vmDescription("lab", gpu),
        /^Managed by em-infra: worker \(GPU\) node gpu-1 of Talos cluster lab\./,
      );
    });

    it("gives Proxmox the MAC upper case, as it reports it", () => {
      assert.equal(proxmoxMac("bc:24:11:00:00:31"), "BC:24:11:00:00:31");
      const nics = args.networkDevices as { macAddress: string }[];
      assert.equal(nics[0].macAddress, "BC:24:11:00:00:31");
    });

    it("imports the boot disk from the image and sizes it from the node", () => {
      const disks = args.disks as { importFrom: string; size: number; interface: string }[];
      assert.deepEqual(
        [disks[0].interface, disks[0].importFrom, disks[0].size],
        ["scsi0", "local:import/img.qcow2", gpu.sizing.diskGiB],
      );
    });

    it("passes the GPU through by its resource mapping", () => {
      assert.deepEqual(args.hostpcis, [
        { device: "hostpci0", mapping: "rtx-a2000", pcie: true, rombar: true },
      ]);
      const plain = buildVmArgs(inv.cluster, nodeNamed(inv, "worker-1"), "id");
      assert.equal(plain.hostpcis, undefined);
    });

    it("uses the plain VirtIO SCSI controller by default, with no I/O thread", () => {
      assert.equal(args.scsiHardware, "virtio-scsi-pci");
      const disks = args.disks as unknown as Record<string, unknown>[];
      assert.equal("iothread" in disks[0], false);
    });

    it("sets an I/O thread only on VirtIO SCSI Single, which supports one", () => {
      const single = cluster({
        proxmox: { ...inv.cluster.proxmox, scsiController: "virtio-scsi-single" },
      });
      const vm = buildVmArgs(single, gpu, "id");
      assert.equal(vm.scsiHardware, "virtio-scsi-single");
      assert.equal((vm.disks as { iothread?: boolean }[])[0].iothread, true);
    });

    it("never restarts a VM for a hardware change: the rollout does, one at a time", () => {
      assert.equal(args.rebootAfterUpdate, false);
      assert.equal(buildVmArgs(inv.cluster, nodeNamed(inv, "cp-1"), "id").rebootAfterUpdate, false);
    });

    it("puts only network metadata on the cloud-init drive", () => {
      assert.deepEqual(Object.keys(args.initialization as object).sort(), [
        "datastoreId",
        "dns",
        "interface",
        "ipConfigs",
        "type",
      ]);
    });

    it("enables the guest agent only when the image carries its extension", () => {
      assert.equal((args.agent as { enabled: boolean }).enabled, true);
      const bare = cluster({ talos: { ...inv.cluster.talos, extensions: [] } });
      const n = node({
        name: "x",
        role: "worker",
        vmId: 9,
        ip: "192.168.10.9",
        mac: "bc:24:11:00:00:09",
      });
      assert.equal((buildVmArgs(bare, n, "id").agent as { enabled: boolean }).enabled, false);
    });

    it("sets a VLAN tag only when the inventory has one", () => {
      const nics = args.networkDevices as Record<string, unknown>[];
      assert.equal("vlanId" in nics[0], false);
      const tagged = cluster({ proxmox: { ...inv.cluster.proxmox, vlan: 20 } });
      const withVlan = buildVmArgs(tagged, gpu, "id").networkDevices as { vlanId?: number }[];
      assert.equal(withVlan[0].vlanId, 20);
    });
  });
});
