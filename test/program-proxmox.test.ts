/**
 * The Proxmox layer, as the real program registers it under the offline engine:
 * Talos images and one VM per inventory node.
 */
import { strict as assert } from "assert";
import { loadInventory } from "../lib/inventory";
import type { RunRecord } from "../tools/offline/engine";
import { VM_IGNORE_CHANGES } from "../lib/proxmox/vm";
import {
  DEV,
  LARGE,
  editedInventory,
  ofType,
  plainInputs,
  resource,
  runFor,
} from "./support/program";
import { deprecatedProperties, proxmoxveSchema, unknownProperties } from "./support/upstream";
import { APPLY, DYNAMIC, VM, FILE, SCHEMATIC, NODE_VM, IMAGES } from "../lib/tokens";
import { unwrapSecrets } from "../tools/offline/secretSig";

/** The (host, extension set) pairs an inventory needs, worked out independently. */
function expectedDownloads(dir: string): string[] {
  const inv = loadInventory(dir);
  return [...new Set(inv.nodes.map((n) => `${n.host}-${n.gpu ? "gpu" : "base"}`))].sort();
}

describe("Proxmox layer", function () {
  for (const [label, dir] of [
    ["dev", DEV],
    ["large", LARGE],
  ] as const) {
    describe(`${label} inventory`, function () {
      let record: RunRecord;
      before(async function () {
        record = await runFor(dir);
      });

      it("registers one VM per node, named after the node", function () {
        const inv = loadInventory(dir);
        const vms = ofType(record, VM);
        assert.equal(vms.length, inv.nodes.length);
        assert.deepEqual(
          vms.map((v) => v.name).sort(),
          inv.nodes.map((n) => `${n.name}-vm`).sort(),
        );
        assert.deepEqual(
          vms.map((v) => plainInputs(v).name).sort(),
          inv.nodes.map((n) => n.name).sort(),
        );
      });

      it("downloads each image once per host that needs it", function () {
        const files = ofType(record, FILE);
        assert.deepEqual(
          files.map((f) => f.name.replace(/^talos-images-/, "")).sort(),
          expectedDownloads(dir),
        );
        const schematics = ofType(record, SCHEMATIC).map((s) => s.name);
        assert.deepEqual(schematics.sort(), ["talos-images-base", "talos-images-gpu"]);
      });

      it("puts every VM on its node's host, with its image file from that host", function () {
        const inv = loadInventory(dir);
        for (const node of inv.nodes) {
          const vm = resource(record, VM, `${node.name}-vm`);
          const kind = node.gpu ? "gpu" : "base";
          const file = resource(record, FILE, `talos-images-${node.host}-${kind}`);
          assert.equal(plainInputs(vm).nodeName, node.host);
          assert.equal(plainInputs(file).nodeName, node.host);
          assert.ok(
            vm.dependencies.includes(file.urn),
            `${node.name} does not depend on its image`,
          );
          const disks = plainInputs(vm).disks as { importFrom: string }[];
          assert.equal(disks[0].importFrom, file.id);
        }
      });

      it("parents VMs under their node component and images under TalosImages", function () {
        const stack = record.resources[0];
        assert.equal(stack.type, "pulumi:pulumi:Stack");
        const images = ofType(record, IMAGES);
        assert.equal(images.length, 1);
        assert.equal(images[0].parent, stack.urn);
        for (const r of [...ofType(record, FILE), ...ofType(record, SCHEMATIC)]) {
          assert.equal(r.parent, images[0].urn, `${r.name} is not a child of TalosImages`);
        }
        for (const vm of ofType(record, VM)) {
          const owner = resource(record, NODE_VM, vm.name.replace(/-vm$/, ""));
          assert.equal(vm.parent, owner.urn);
          assert.equal(owner.parent, stack.urn);
        }
      });

      it("sets ignoreChanges for what Proxmox rewrites on its own", function () {
        for (const vm of ofType(record, VM)) {
          assert.deepEqual(vm.ignoreChanges, [...VM_IGNORE_CHANGES]);
        }
      });

      it("replaces a VM delete-first, since its id, MAC and address are unique", function () {
        for (const vm of ofType(record, VM)) {
          assert.equal(vm.deleteBeforeReplace, true, vm.name);
        }
      });

      it("restarts no VM for a hardware change (the rollout does, drained, one at a time)", function () {
        const inv = loadInventory(dir);
        for (const node of inv.nodes) {
          const vm = plainInputs(resource(record, VM, `${node.name}-vm`));
          assert.equal(vm.rebootAfterUpdate, false, node.name);
        }
      });

      it("protects control-plane VMs by default, and workers only when asked", function () {
        const inv = loadInventory(dir);
        const expected = (name: string, role: string) =>
          role === "controlplane" || name === "lab-worker-5";
        for (const node of inv.nodes) {
          const vm = resource(record, VM, `${node.name}-vm`);
          assert.equal(vm.protect, expected(node.name, node.role), node.name);
        }
      });

      it("sets only properties the proxmoxve provider schema defines", function () {
        const schema = proxmoxveSchema();
        const proxmox = record.resources.filter((r) => r.type.startsWith("proxmoxve:"));
        const types = [...new Set(proxmox.map((r) => r.type))].sort();
        assert.ok(types.includes(VM) && types.includes(FILE), types.join(", "));
        assert.deepEqual(
          types.filter((t) => !(t in schema.resources)),
          [],
          "types without facts: list them in tools/facts/proxmoxve.ts and run npm run facts",
        );
        for (const r of proxmox) {
          const props = schema.resources[r.type].inputProperties!;
          assert.deepEqual(unknownProperties(schema, props, plainInputs(r)), [], r.name);
        }
      });

      it("sets no property the proxmoxve provider schema deprecates", function () {
        const schema = proxmoxveSchema();
        const vmProps = schema.resources[VM].inputProperties!;
        // The check sees a deprecated field where one is set.
        assert.deepEqual(
          deprecatedProperties(schema, vmProps, { cdrom: { enabled: true, fileId: "none" } }),
          ["cdrom.enabled"],
        );
        for (const r of record.resources.filter((x) => x.type.startsWith("proxmoxve:"))) {
          const props = schema.resources[r.type].inputProperties!;
          assert.deepEqual(deprecatedProperties(schema, props, plainInputs(r)), [], r.name);
        }
      });
    });
  }

  describe("VM inputs", function () {
    let record: RunRecord;
    before(async function () {
      record = await runFor(DEV);
    });

    it("builds the control plane VM exactly", function () {
      const vm = resource(record, VM, "dev-cp-1-vm");
      const file = resource(record, FILE, "talos-images-pve1-base");
      const inv = loadInventory(DEV);
      const mac = inv.nodes[0].mac.toUpperCase();
      assert.deepEqual(plainInputs(vm), {
        name: "dev-cp-1",
        vmId: 1011,
        nodeName: "pve1",
        description:
          "Managed by em-infra: controlplane node dev-cp-1 of Talos cluster dev. " +
          "Edit the inventory and run pulumi up; changes made here are reverted.",
        tags: ["controlplane", "dev", "em-infra"],
        onBoot: true,
        started: true,
        stopOnDestroy: true,
        rebootAfterUpdate: false,
        machine: "q35",
        bios: "ovmf",
        efiDisk: { datastoreId: "local-lvm", type: "4m", preEnrolledKeys: false },
        operatingSystem: { type: "l26" },
        cpu: { cores: 2, sockets: 1, type: "x86-64-v2-AES" },
        memory: { dedicated: 4096, floating: 0 },
        scsiHardware: "virtio-scsi-pci",
        disks: [
          {
            interface: "scsi0",
            datastoreId: "local-lvm",
            importFrom: file.id,
            size: 32,
            discard: "on",
            ssd: true,
          },
        ],
        bootOrders: ["scsi0"],
        networkDevices: [{ bridge: "vmbr0", model: "virtio", macAddress: mac }],
        initialization: {
          type: "nocloud",
          datastoreId: "local-lvm",
          interface: "ide2",
          ipConfigs: [{ ipv4: { address: "10.20.0.11/24", gateway: "10.20.0.1" } }],
          dns: { servers: ["10.20.0.1", "1.1.1.1"] },
        },
        agent: { enabled: true, trim: true, waitForIp: { disabled: true } },
        serialDevices: [{ device: "socket" }],
      });
      assert.match(mac, /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
    });

    it("passes the GPU through its resource mapping, with ballooning off", function () {
      const gpu = plainInputs(resource(record, VM, "dev-gpu-1-vm"));
      assert.deepEqual(gpu.hostpcis, [
        { device: "hostpci0", mapping: "rtx-a4000", pcie: true, rombar: true },
      ]);
      assert.deepEqual(gpu.memory, { dedicated: 32768, floating: 0 });
      assert.deepEqual(gpu.cpu, { cores: 8, sockets: 1, type: "host" });
      assert.deepEqual(gpu.tags, ["dev", "em-infra", "gpu", "worker"]);
      assert.equal((gpu.disks as { size: number }[])[0].size, 128);
      const worker = plainInputs(resource(record, VM, "dev-worker-1-vm"));
      assert.equal(worker.hostpcis, undefined);
      assert.deepEqual(worker.tags, ["dev", "em-infra", "worker"]);
    });

    it("downloads the uncompressed QCOW2 image as import content, named per cluster", function () {
      const file = plainInputs(resource(record, FILE, "talos-images-pve1-base"));
      const schematicId = resource(record, SCHEMATIC, "talos-images-base").id!;
      assert.deepEqual(file, {
        nodeName: "pve1",
        datastoreId: "local",
        contentType: "import",
        url: `https://factory.talos.dev/image/${schematicId}/v1.13.0/nocloud-amd64.qcow2`,
        fileName: `talos-dev-v1.13.0-${schematicId.slice(0, 16)}-nocloud-amd64.qcow2`,
        overwrite: false,
        overwriteUnmanaged: true,
        uploadTimeout: 1800,
      });
      assert.equal(
        resource(record, FILE, "talos-images-pve1-base").id,
        `local:import/${file.fileName}`,
      );
    });

    it("sends the extension sets as Image Factory schematics", function () {
      assert.equal(
        plainInputs(resource(record, SCHEMATIC, "talos-images-base")).schematic,
        "customization:\n  systemExtensions:\n    officialExtensions:\n" +
          "      - siderolabs/qemu-guest-agent\n",
      );
      assert.equal(
        plainInputs(resource(record, SCHEMATIC, "talos-images-gpu")).schematic,
        "customization:\n  systemExtensions:\n    officialExtensions:\n" +
          "      - siderolabs/nvidia-container-toolkit-production\n" +
          "      - siderolabs/nvidia-open-gpu-kernel-modules-production\n" +
          "      - siderolabs/qemu-guest-agent\n",
      );
    });
  });

  describe("guest agent", function () {
    it("is enabled only when the image carries the guest agent extension", async function () {
      const without = editedInventory(DEV, ({ cluster }) => {
        cluster.setIn(["talos", "extensions"], []);
      });
      const agent = (r: RunRecord) =>
        (plainInputs(resource(r, VM, "dev-cp-1-vm")).agent as { enabled: boolean }).enabled;
      assert.equal(agent(await runFor(without)), false);
      assert.equal(agent(await runFor(DEV)), true);
    });
  });

  describe("removing a node", function () {
    it("removes that node's resources and leaves every other name and input alone", async function () {
      const before = await runFor(LARGE);
      const dir = editedInventory(LARGE, ({ nodes }) => {
        const list = nodes.get("nodes") as { items: { get(k: string): unknown }[] };
        list.items = list.items.filter((n) => n.get("name") !== "lab-worker-3");
      });
      const after = await runFor(dir);
      const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
      const afterByKey = new Map(after.resources.map((r) => [key(r), r]));
      const gone = before.resources.filter((r) => !afterByKey.has(key(r))).map(key);
      assert.deepEqual(gone.sort(), [
        `${NODE_VM}::lab-worker-3`,
        `${VM}::lab-worker-3-vm`,
        `${APPLY}::lab-apply-lab-worker-3`,
      ]);
      assert.equal(after.resources.length, before.resources.length - 3);
      for (const r of before.resources) {
        const other = afterByKey.get(key(r));
        if (!other || r.type === "pulumi:pulumi:Stack") continue;
        if (r.type === DYNAMIC && r.name === "lab-rollout") {
          // The rollout sees every node: it loses this one, which it decommissions.
          const nodes = (x: typeof r) => Object.keys(unwrapSecrets(x.inputs.nodes) as object);
          assert.deepEqual(
            nodes(other),
            nodes(r).filter((n) => n !== "lab-worker-3"),
          );
          continue;
        }
        assert.deepEqual(other.inputs, r.inputs, `${key(r)} changed its inputs`);
      }
    });
  });
});
