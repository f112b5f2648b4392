/**
 * Change safety: what `pulumi up` would touch after an ordinary inventory edit. The
 * program runs over test/fixtures/valid/large and over an edited copy, and the two
 * records are compared resource by resource (type and name, inputs in wire form) and
 * invoke by invoke. Each test states the whole difference, so any extra change fails.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import type { RunRecord } from "../tools/offline/engine";
import { unwrapSecrets } from "../tools/offline/secretSig";
import { VM_IGNORE_CHANGES } from "../lib/proxmox/vm";
import { diffInvokes, diffResources, resourceKey, type RecordDiff } from "./support/diff";
import { LARGE, editedInventory, invokesOf, ofType, resource, runFor } from "./support/program";
import { proxmoxveSchema, replaceOnChangePaths } from "./support/upstream";
import {
  DYNAMIC,
  NODE_VM,
  VM,
  FILE,
  SECRETS,
  APPLY,
  GET_CONFIG,
  CLIENT_CONFIG,
  HEALTH,
  GET_URLS,
} from "../lib/tokens";

const key = (type: string, name: string) => `${type}::${name}`;

/** The rollout's change: the one resource that sees every node. */
const rolloutChange = (paths: string[]) => ({ key: key(DYNAMIC, "lab-rollout"), paths });

/** The parsed YAML documents editedInventory hands to an edit. */
type Edit = Parameters<typeof editedInventory>[1];

/** A node list item as the yaml Document API exposes it. */
interface NodeItem {
  get(k: string): unknown;
}

/** Index of a node in nodes.yaml, by name. */
function nodeIndex(docs: Parameters<Edit>[0], name: string): number {
  const items = (docs.nodes.get("nodes") as { items: NodeItem[] }).items;
  const i = items.findIndex((n) => n.get("name") === name);
  if (i < 0) throw new Error(`no node ${name} in the inventory`);
  return i;
}

/** The plain arguments of the one invoke of a token. */
function argsOf(record: RunRecord, token: string): Record<string, unknown> {
  const calls = invokesOf(record, token);
  assert.equal(calls.length, 1, `${token} called ${calls.length} times`);
  return unwrapSecrets(calls[0].args) as Record<string, unknown>;
}

/** `disks[0].fileId` → `disks[].fileId`, the form replaceOnChangePaths uses. */
const generic = (p: string) => p.replace(/\[\d+\]/g, "[]");

/** Whether changing `changed` changes `target` or something inside it, or the reverse. */
function overlaps(changed: string, target: string): boolean {
  const [a, b] = [generic(changed), generic(target)];
  const under = (x: string, y: string) => x.startsWith(`${y}.`) || x.startsWith(`${y}[`);
  return a === b || under(a, b) || under(b, a);
}

/**
 * The VM input changes that would make Pulumi replace a VM: the paths the provider
 * schema marks `willReplaceOnChanges`, minus those the VM's `ignoreChanges` (from
 * VM_IGNORE_CHANGES) hides from the diff.
 */
function replacingVmChanges(diff: RecordDiff, replacePaths: readonly string[]): string[] {
  return diff.changed
    .filter((c) => c.key.startsWith(`${VM}::`))
    .flatMap((c) =>
      c.paths
        .filter((p) => replacePaths.some((r) => overlaps(p, r)))
        .filter((p) => !VM_IGNORE_CHANGES.some((i) => overlaps(p, i)))
        .map((p) => `${c.key} ${p}`),
    );
}

describe("change safety (large inventory, edited)", function () {
  let base: RunRecord;
  const folders: string[] = [];
  /** Each edit's resource diff, for the replacement check at the end. */
  const diffs = new Map<string, RecordDiff>();
  const runEdited = async (label: string, edit: Edit): Promise<RunRecord> => {
    const dir = editedInventory(LARGE, edit);
    folders.push(dir);
    const record = await runFor(dir);
    diffs.set(label, diffResources(base, record));
    return record;
  };

  before(async function () {
    base = await runFor(LARGE);
  });
  after(function () {
    for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("adding a worker", function () {
    let after: RunRecord;
    before(async function () {
      after = await runEdited("adding a worker", ({ nodes }) => {
        nodes.addIn(
          ["nodes"],
          nodes.createNode({ name: "lab-worker-6", role: "worker", vmId: 4026, ip: "10.40.0.26" }),
        );
      });
    });

    it("adds its NodeVm, VmLegacy and apply, and leaves every other input byte-identical", function () {
      assert.deepEqual(diffResources(base, after), {
        added: [
          key(NODE_VM, "lab-worker-6"),
          key(VM, "lab-worker-6-vm"),
          key(APPLY, "lab-apply-lab-worker-6"),
        ],
        removed: [],
        // The rollout records the new node; it touches nothing on it.
        changed: [rolloutChange(["batches", "configs.lab-worker-6", "nodes.lab-worker-6"])],
      });
      // pve-a already has the base image: no new download.
      assert.equal(ofType(after, FILE).length, ofType(base, FILE).length);
      assert.equal(resource(after, VM, "lab-worker-6-vm").protect, false);
    });

    it("generates its machine config, and appends it to the talosconfig and health lists", function () {
      assert.deepEqual(diffInvokes(base, after), {
        added: [`${GET_CONFIG}::lab-worker-6`],
        removed: [],
        changed: [
          { key: CLIENT_CONFIG, paths: ["nodes"] },
          { key: HEALTH, paths: ["workerNodes"] },
        ],
      });
      const nodes = (r: RunRecord) => argsOf(r, CLIENT_CONFIG).nodes as string[];
      const workers = (r: RunRecord) => argsOf(r, HEALTH).workerNodes as string[];
      assert.deepEqual(nodes(after), [...nodes(base), "10.40.0.26"]);
      assert.deepEqual(workers(after), [...workers(base), "10.40.0.26"]);
    });
  });

  describe("adding a GPU worker on a host with no GPU image yet", function () {
    it("also adds that host's GPU image download, and changes nothing else but the rollout's record", async function () {
      const after = await runEdited("adding a GPU worker", ({ nodes }) => {
        nodes.addIn(
          ["nodes"],
          nodes.createNode({
            name: "lab-gpu-2",
            role: "worker",
            vmId: 4032,
            ip: "10.40.0.32",
            gpu: { mapping: "l40s-pve-a" },
          }),
        );
      });
      assert.deepEqual(diffResources(base, after), {
        added: [
          key(NODE_VM, "lab-gpu-2"),
          key(FILE, "talos-images-pve-a-gpu"),
          key(VM, "lab-gpu-2-vm"),
          key(APPLY, "lab-apply-lab-gpu-2"),
        ],
        removed: [],
        changed: [rolloutChange(["batches", "configs.lab-gpu-2", "nodes.lab-gpu-2"])],
      });
      assert.deepEqual(diffInvokes(base, after).added, [`${GET_CONFIG}::lab-gpu-2`]);
    });
  });

  describe("removing a worker", function () {
    it("removes its NodeVm, VmLegacy and apply only; the rest is byte-identical", async function () {
      const after = await runEdited("removing a worker", (docs) => {
        docs.nodes.deleteIn(["nodes", nodeIndex(docs, "lab-worker-3")]);
      });
      assert.deepEqual(diffResources(base, after), {
        added: [],
        removed: [
          key(NODE_VM, "lab-worker-3"),
          key(VM, "lab-worker-3-vm"),
          key(APPLY, "lab-apply-lab-worker-3"),
        ],
        // The rollout's update decommissions the node before these deletes.
        changed: [
          rolloutChange([
            "batches[4][0]",
            "batches[4][1]",
            "batches[5]",
            "configs.lab-worker-3",
            "nodes.lab-worker-3",
          ]),
        ],
      });
      assert.deepEqual(diffInvokes(base, after), {
        added: [],
        removed: [`${GET_CONFIG}::lab-worker-3`],
        changed: [
          { key: CLIENT_CONFIG, paths: ["nodes"] },
          { key: HEALTH, paths: ["workerNodes"] },
        ],
      });
      assert.ok(!(argsOf(after, CLIENT_CONFIG).nodes as string[]).includes("10.40.0.23"));
    });
  });

  describe("resizing a worker's memory", function () {
    let after: RunRecord;
    let diff: RecordDiff;
    before(async function () {
      after = await runEdited("resizing a worker's memory", (docs) => {
        docs.nodes.setIn(["nodes", nodeIndex(docs, "lab-worker-1"), "memoryMiB"], 24576);
      });
      diff = diffResources(base, after);
    });

    it("changes that VM's memory.dedicated and the rollout's record of it, nothing else", function () {
      // The rollout sees the edit, so it restarts the VM through Proxmox, drained.
      assert.deepEqual(diff, {
        added: [],
        removed: [],
        changed: [
          { key: key(VM, "lab-worker-1-vm"), paths: ["memory.dedicated"] },
          {
            key: "pulumi-nodejs:dynamic:Resource::lab-rollout",
            paths: ["nodes.lab-worker-1.hardware.memoryMiB"],
          },
        ],
      });
      assert.deepEqual(diffInvokes(base, after), { added: [], removed: [], changed: [] });
      const memory = (r: RunRecord) =>
        (unwrapSecrets(resource(r, VM, "lab-worker-1-vm").inputs.memory) as { dedicated: number })
          .dedicated;
      assert.deepEqual([memory(base), memory(after)], [16384, 24576]);
    });

    it("is applied in place: not ignored, and no input that forces replacement differs", function () {
      // What this relies on: Pulumi drops the paths in ignoreChanges (VM_IGNORE_CHANGES,
      // lib/proxmox/vm.ts) from the diff, and replaces a resource when an input the
      // provider schema marks willReplaceOnChanges changes.
      assert.ok(!VM_IGNORE_CHANGES.some((p) => overlaps("memory.dedicated", p)));
      const replacing = replaceOnChangePaths(proxmoxveSchema(), VM);
      assert.ok(replacing.includes("disks[].fileId"), "the schema check would see nothing");
      const paths = diff.changed.flatMap((c) => c.paths);
      assert.deepEqual(
        paths.filter((p) => replacing.some((r) => overlaps(p, r))),
        [],
      );
    });
  });

  describe("upgrading Talos v1.13.0 → v1.13.1", function () {
    let after: RunRecord;
    let diff: RecordDiff;
    before(async function () {
      after = await runEdited("upgrading Talos", ({ cluster }) => {
        cluster.setIn(["talos", "version"], "v1.13.1");
      });
      diff = diffResources(base, after);
    });

    it("changes the image downloads' url and fileName and each VM's disks[0].importFrom, nothing else", function () {
      // No apply changes: the configuration names no installer and keeps its contract.
      // The rollout, which upgrades the nodes, sees each node's new installer.
      const nodes = ofType(base, VM)
        .map((vm) => vm.name.replace(/-vm$/, ""))
        .sort();
      const expected = [
        ...ofType(base, FILE).map((r) => ({ key: resourceKey(r), paths: ["fileName", "url"] })),
        ...ofType(base, VM).map((r) => ({ key: resourceKey(r), paths: ["disks[0].importFrom"] })),
        rolloutChange([...nodes.map((n) => `nodes.${n}.installer`), "talosVersion"]),
      ].sort((a, b) => (a.key < b.key ? -1 : 1));
      assert.deepEqual(diff, { added: [], removed: [], changed: expected });
      for (const file of ofType(after, FILE)) {
        const inputs = unwrapSecrets(file.inputs) as { url: string; fileName: string };
        assert.match(inputs.url, /\/v1\.13\.1\/nocloud-amd64\.qcow2$/);
        assert.match(inputs.fileName, /^talos-lab-v1\.13\.1-/);
      }
    });

    it("keeps every VM: the only VM change is disks[0].importFrom, which ignoreChanges hides", function () {
      // Without the ignoreChanges entry every VM would be updated to re-import its
      // disk from the new image. Talos upgrades nodes in place instead, and only new
      // nodes boot the new image.
      assert.ok(VM_IGNORE_CHANGES.includes("disks[0].importFrom"));
      for (const vm of ofType(after, VM)) {
        assert.deepEqual(vm.ignoreChanges, [...VM_IGNORE_CHANGES], vm.name);
      }
      const vmPaths = diff.changed
        .filter((c) => c.key.startsWith(`${VM}::`))
        .flatMap((c) => c.paths);
      assert.deepEqual([...new Set(vmPaths)], ["disks[0].importFrom"]);
    });

    it("leaves the machine secrets' inputs alone: a patch release keeps the v1.13 contract", function () {
      assert.ok(!diff.changed.some((c) => c.key.startsWith(`${SECRETS}::`)));
      const secrets = (r: RunRecord) => resource(r, SECRETS, "lab-secrets").inputs;
      assert.deepEqual(unwrapSecrets(secrets(after)), { talosVersion: "v1.13" });
      assert.equal(JSON.stringify(secrets(after)), JSON.stringify(secrets(base)));
    });

    it("leaves every node's configuration alone; only the image URLs move to the new version", function () {
      const invokes = diffInvokes(base, after);
      assert.deepEqual(invokes.added, []);
      assert.deepEqual(invokes.removed, []);
      assert.deepEqual(
        invokes.changed.map((c) => [c.key.split("::")[0], c.paths]),
        [
          [GET_URLS, ["talosVersion"]],
          [GET_URLS, ["talosVersion"]],
        ],
      );
      const installers = (r: RunRecord) =>
        invokesOf(r, GET_URLS).map(
          (i) => (unwrapSecrets(i.result) as { urls: { installer: string } }).urls.installer,
        );
      for (const image of installers(base)) {
        assert.match(image, /^factory\.talos\.dev\/nocloud-installer\/[0-9a-f]{64}:v1\.13\.0$/);
      }
      assert.deepEqual(
        installers(after).sort(),
        installers(base)
          .map((image) => image.replace(/:v1\.13\.0$/, ":v1.13.1"))
          .sort(),
      );
    });
  });

  describe("moving a control plane to another host", function () {
    it("would replace its VM, which Pulumi refuses because the VM is protected", async function () {
      const after = await runEdited("moving a control plane", (docs) => {
        docs.nodes.setIn(["nodes", nodeIndex(docs, "lab-cp-3"), "host"], "pve-b");
      });
      // The one change is the VM's Proxmox node. The provider re-creates a VM whose
      // nodeName changes unless `migrate` is set (which em-infra does not set), and
      // Pulumi refuses any plan that replaces or deletes a protected resource: the
      // update stops before touching the control plane, with etcd intact.
      assert.deepEqual(diffResources(base, after), {
        added: [],
        removed: [],
        changed: [
          { key: key(VM, "lab-cp-3-vm"), paths: ["nodeName"] },
          // Where the rollout would address its VM.
          {
            key: "pulumi-nodejs:dynamic:Resource::lab-rollout",
            paths: ["nodes.lab-cp-3.hardware.host"],
          },
        ],
      });
      const vm = resource(after, VM, "lab-cp-3-vm");
      assert.equal(vm.protect, true);
      assert.equal(resource(base, VM, "lab-cp-3-vm").protect, true);
      assert.equal(unwrapSecrets(vm.inputs.nodeName), "pve-b");
      assert.equal(vm.inputs.migrate, undefined);
      for (const cp of ["lab-cp-1", "lab-cp-2", "lab-cp-3"]) {
        assert.equal(resource(base, VM, `${cp}-vm`).protect, true, cp);
      }
      // The provider documents it: `migrate` moves the VM on a node change instead of
      // re-creating it (read from the schema's description into the facts).
      const schema = proxmoxveSchema();
      assert.deepEqual(schema.resources[VM].inputProperties!.migrate, { type: "boolean" });
      assert.equal(schema.vmNodeChange.recreatedUnlessMigrate, true);
    });
  });

  describe("every edit above", function () {
    it("changes no VM input the provider schema marks as forcing replacement, ignored ones aside", function () {
      const replacing = replaceOnChangePaths(proxmoxveSchema(), VM);
      assert.equal(diffs.size, 6, "an edit did not run");
      for (const [label, diff] of diffs) {
        assert.deepEqual(replacingVmChanges(diff, replacing), [], label);
      }
      // The one replacement among them is the provider's own decision, not in the
      // schema: nodeName without `migrate` (see "moving a control plane" above).
      assert.ok(!replacing.includes("nodeName"));
    });
  });
});
