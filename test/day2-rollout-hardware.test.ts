/**
 * VM hardware edits rolled through the Proxmox API, against the fake Talos, Kubernetes
 * and Proxmox APIs: one node at a time (workers by batch), drained, rebooted through
 * Proxmox, Ready, uncordoned; permissions checked before any cordon; a failed reboot
 * task or a VM that never comes back stops the run at that node, and a rerun resumes.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import { startFakePve, type FakePve } from "../packages/day2/fake";
import type { FakeCluster } from "../packages/day2/fake";
import { readFacts } from "../tools/facts";
import type { PveApiFacts } from "../tools/facts/pveApi";
import { FAST } from "./support/day2";
import { rejection } from "./support/day2";
import {
  clusterNodes,
  fake,
  inputsFor,
  rolloutWorkDir,
  type InputOptions,
  type RolloutInputs,
  type RolloutOutputs,
} from "./support/rollout";

const FACTS = readFacts<PveApiFacts>("pve-api").facts;

type Hardware = { cores: number; memoryMiB: number; diskGiB: number };
const BASE: Record<"controlplane" | "worker", Hardware> = {
  controlplane: { cores: 4, memoryMiB: 8192, diskGiB: 32 },
  worker: { cores: 4, memoryMiB: 16384, diskGiB: 64 },
};
const vmId = (i: number) => 200 + i;

interface Rig {
  c: FakeCluster;
  pve: FakePve;
  stop(): void;
}

async function rig(
  opts: {
    workers?: number;
    privileges?: string[];
    faults?: Parameters<typeof startFakePve>[0]["faults"];
    cluster?: Parameters<typeof fake>[0];
  } = {},
): Promise<Rig> {
  const c = await fake({ nodes: clusterNodes(opts.workers ?? 4), ...(opts.cluster ?? {}) });
  const pve = await startFakePve({
    facts: FACTS,
    cluster: c,
    vms: c.nodes.map((n, i) => ({
      node: n.name,
      vmid: vmId(i),
      host: i % 2 === 0 ? "pve-a" : "pve-b",
      ...BASE[n.role],
    })),
    ...(opts.privileges === undefined ? {} : { privileges: opts.privileges }),
    ...(opts.faults === undefined ? {} : { faults: opts.faults }),
  });
  return {
    c,
    pve,
    stop: () => {
      pve.stop();
      c.stop();
    },
  };
}

/** Inputs with each node's VM, and the fake's Proxmox settings. */
function hwInputs(
  r: Rig,
  edits: Record<string, Partial<Hardware>> = {},
  o: InputOptions = {},
  proxmox: object = r.pve.settings,
): RolloutInputs {
  const base = inputsFor(r.c, o);
  const nodes: RolloutInputs["nodes"] = {};
  r.c.nodes.forEach((n, i) => {
    if (base.nodes[n.name] === undefined) return;
    nodes[n.name] = {
      ...base.nodes[n.name],
      hardware: {
        host: i % 2 === 0 ? "pve-a" : "pve-b",
        vmId: vmId(i),
        ...BASE[n.role],
        ...(edits[n.name] ?? {}),
      },
    };
  });
  return { ...base, nodes, proxmox: proxmox as RolloutInputs["proxmox"] };
}

/** A provider whose clients dial only the fakes, with short deadlines. */
function providerFor(r: Rig) {
  const lines: string[] = [];
  const provider = day2.createRolloutProvider({
    workDir: rolloutWorkDir(),
    log: (l) => lines.push(l),
    now: () => new Date("2026-12-07T09:00:00Z"),
    connect: {
      talos: (opts) => day2.createTalosClient({ ...FAST, ...opts, longTimeoutMs: 3000 }),
      kube: (opts) => day2.createKubeClient({ ...opts, ...FAST }),
      pve: (opts) =>
        day2.createPveClient({
          ...opts,
          ca: r.pve.ca,
          timeoutMs: 1000,
          retry: { attempts: 2, baseMs: 5, maxMs: 10 },
        }),
    },
  });
  return { provider, lines };
}

/** What the provider does on `pulumi up` before the rollout: pending writes, disks grown online. */
function applyVmEdits(r: Rig, edits: Record<string, Partial<Hardware>>) {
  for (const [n, e] of Object.entries(edits)) r.pve.providerUpdate(n, e);
}

const workers = (r: Rig) => r.c.nodes.filter((n) => n.role === "worker").map((n) => n.name);
const cps = ["cp-1", "cp-2", "cp-3"];

/** Proxmox reboots that finished, in order. */
function pveReboots(c: FakeCluster, outcome = "ok") {
  return c.log.calls({ call: "PVE reboot", outcome }).map((e) => e.node);
}

describe("day2 rollout: VM hardware through the Proxmox API", function () {
  this.timeout(20000);

  it("raises memory on 4 workers one at a time: drained, rebooted through Proxmox, Ready, uncordoned", async () => {
    const r = await rig();
    try {
      const { provider, lines } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = Object.fromEntries(workers(r).map((w) => [w, { memoryMiB: 24576 }]));
      applyVmEdits(r, edits);
      const news = hwInputs(r, edits);
      assert.equal(await provider.diff("fake-rollout", olds, news).then((d) => d.changes), true);
      const { outs } = await provider.update("fake-rollout", olds, news);
      assert.deepEqual(pveReboots(r.c), ["w-1", "w-2", "w-3", "w-4"]);
      assert.equal(r.c.log.maxConcurrentDown(workers(r)), 1, "no two workers down together");
      for (const w of workers(r)) {
        const n = r.c.node(w);
        assert.equal(n.boots, 2, `${w} booted once more`);
        assert.equal(n.cordoned, false, `${w} uncordoned`);
        assert.equal(r.pve.vm(w).config.memory, "24576");
        assert.deepEqual(r.pve.vm(w).pending, {});
        assert.deepEqual(outs.rolled[w].hardware, { ...BASE.worker, memoryMiB: 24576 });
        // Cordoned and drained before its Proxmox reboot; Ready again before the next one.
        const cordon = r.c.log.entries.find((e) => e.node === w && e.call === "PATCH node")!;
        const evict = r.c.log.entries.find(
          (e) => e.call === "POST eviction" && e.detail?.includes(`app-${w}`),
        );
        const reboot = r.c.log.entries.find((e) => e.node === w && e.call === "PVE reboot")!;
        assert.ok(cordon.seq < reboot.seq, `${w} cordoned before its reboot`);
        assert.ok(evict === undefined || evict.seq < reboot.seq, `${w} drained before its reboot`);
      }
      for (let i = 1; i < 4; i++) {
        const prev = r.c.log.downIntervals(`w-${i}`)[0];
        const next = r.c.log.downIntervals(`w-${i + 1}`)[0];
        assert.ok(prev[1] <= next[0], `w-${i + 1} went down before w-${i} was back`);
      }
      for (const cp of cps) assert.equal(r.c.node(cp).boots, 1, `${cp} untouched`);
      assert.equal(r.c.log.calls({ call: "Reboot" }).length, 0, "no reboot from inside Talos");
      assert.ok(
        lines.some((l) => l.includes("w-1: VM pve-b/")),
        lines.join("\n"),
      );
      // A rerun changes nothing.
      const again = hwInputs(r, edits);
      assert.equal((await provider.diff("fake-rollout", outs, again)).changes, false);
      const mark = r.c.log.entries.length;
      await provider.update("fake-rollout", outs, again);
      assert.equal(
        r.c.log.entries.slice(mark).filter((e) => e.call === "PVE reboot" || e.call === "state")
          .length,
        0,
      );
      // Only 127.0.0.1 was ever dialed, and only the schema's endpoints.
      assert.ok(r.pve.requests.length > 0);
      assert.ok(
        r.pve.requests.every((q) => q.status < 400),
        JSON.stringify(r.pve.requests),
      );
    } finally {
      r.stop();
    }
  });

  it("raises cores on 3 control planes one at a time, etcd healthy between, the bootstrap node last", async () => {
    const r = await rig({ workers: 1 });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = Object.fromEntries(cps.map((n) => [n, { cores: 8 }]));
      applyVmEdits(r, edits);
      await provider.update("fake-rollout", olds, hwInputs(r, edits));
      assert.deepEqual(pveReboots(r.c), ["cp-2", "cp-3", "cp-1"]);
      assert.equal(r.c.log.maxConcurrentDown(cps), 1);
      assert.equal(r.c.node("w-1").boots, 1, "the worker is untouched");
      // Between one control plane's return and the next one's reboot, every member's
      // etcd answered healthy (the preflight), and after the last as well (its wait).
      const order = ["cp-2", "cp-3", "cp-1"];
      for (let i = 1; i < order.length; i++) {
        const back = r.c.log.downIntervals(order[i - 1])[0][1];
        const next = r.c.log.entries.find((e) => e.node === order[i] && e.call === "PVE reboot")!;
        for (const cp of cps)
          assert.ok(
            r.c.log.entries.some(
              (e) =>
                e.node === cp &&
                e.call === "EtcdStatus" &&
                e.outcome === "ok" &&
                e.t >= back &&
                e.seq < next.seq,
            ),
            `${cp}'s etcd checked between ${order[i - 1]} and ${order[i]}`,
          );
      }
      for (const cp of cps) assert.equal(r.pve.vm(cp).config.cores, "8");
    } finally {
      r.stop();
    }
  });

  it("fails before any cordon when the token lacks VM.PowerMgmt, naming it", async () => {
    const r = await rig({ workers: 2, privileges: ["VM.Audit"] });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = { "w-1": { memoryMiB: 32768 } };
      applyVmEdits(r, edits);
      const mark = r.c.log.entries.length;
      const err = await rejection(provider.update("fake-rollout", olds, hwInputs(r, edits)));
      assert.match(err.message, /lack VM\.PowerMgmt on \/vms\/203 \(w-1\)/);
      assert.match(err.message, /nothing was changed/);
      const after = r.c.log.entries.slice(mark);
      assert.equal(after.filter((e) => e.call === "PATCH node").length, 0, "nothing cordoned");
      assert.equal(after.filter((e) => e.call === "PVE reboot").length, 0);
      assert.equal(r.pve.vm("w-1").pending.memory, "32768", "still pending");
    } finally {
      r.stop();
    }
  });

  for (const fault of ["rebootFails", "neverComesBack"] as const) {
    it(`stops at a node whose ${fault === "rebootFails" ? "reboot task fails" : "VM never comes back"}; a rerun after healing resumes`, async () => {
      const r = await rig({ faults: { [fault]: ["w-2"] } });
      try {
        const { provider } = providerFor(r);
        const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
        const edits = Object.fromEntries(workers(r).map((w) => [w, { memoryMiB: 20480 }]));
        applyVmEdits(r, edits);
        const news = hwInputs(r, edits, { timing: { nodeTimeoutSeconds: 0.5 } });
        const err = (await rejection(provider.update("fake-rollout", olds, news))) as Error & {
          properties: RolloutOutputs;
        };
        assert.match(err.message, /w-2/);
        if (fault === "rebootFails")
          assert.match(err.message, /exit status "VM quit\/powerdown failed"/);
        else assert.match(err.message, /did not come back/);
        // The task of a VM whose guest never boots again still ends OK.
        assert.deepEqual(pveReboots(r.c), fault === "rebootFails" ? ["w-1"] : ["w-1", "w-2"]);
        for (const w of ["w-3", "w-4"]) {
          assert.equal(r.c.node(w).boots, 1, `${w} untouched`);
          assert.equal(r.pve.vm(w).pending.memory, "20480");
          assert.equal(r.c.node(w).cordoned, false);
        }
        const partial = err.properties;
        assert.deepEqual(partial.rolled["w-1"].hardware, { ...BASE.worker, memoryMiB: 20480 });
        assert.deepEqual(partial.rolled["w-2"].hardware, BASE.worker);
        assert.equal("proxmox" in partial, false);
        // Heal, and run again: w-1 is not rebooted again.
        r.pve.heal("w-2");
        const mark = r.c.log.entries.length;
        const { outs } = await provider.update("fake-rollout", partial, hwInputs(r, edits));
        const rebooted = r.c.log.entries
          .slice(mark)
          .filter((e) => e.call === "PVE reboot" && e.outcome === "ok")
          .map((e) => e.node);
        // A VM that never came back had its pending values applied by that reboot.
        assert.deepEqual(
          rebooted,
          fault === "rebootFails" ? ["w-2", "w-3", "w-4"] : ["w-3", "w-4"],
        );
        for (const w of workers(r)) {
          assert.deepEqual(outs.rolled[w].hardware, { ...BASE.worker, memoryMiB: 20480 });
          assert.equal(r.c.node(w).cordoned, false);
          assert.equal(r.c.node(w).phase, "running");
        }
      } finally {
        r.stop();
      }
    });
  }

  it("reboots each v1.13 node once for a Talos upgrade and a memory change together; a v1.12 node twice", async () => {
    const r = await rig({ workers: 2, cluster: { faults: { legacyOnly: ["w-2"] } } });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = Object.fromEntries(r.c.nodes.map((n) => [n.name, { memoryMiB: 32768 }]));
      applyVmEdits(r, edits);
      const { outs } = await provider.update(
        "fake-rollout",
        olds,
        hwInputs(r, edits, { talosVersion: "v1.13.1" }),
      );
      for (const n of ["cp-1", "cp-2", "cp-3", "w-1"]) {
        assert.equal(r.c.node(n).boots, 2, `${n} rebooted once`);
        assert.equal(r.c.node(n).version, "v1.13.1");
        assert.equal(r.pve.vm(n).config.memory, "32768");
      }
      assert.equal(r.c.node("w-2").boots, 3, "the legacy upgrade reboots by itself, then Proxmox");
      assert.equal(r.pve.vm("w-2").config.memory, "32768");
      assert.equal(r.c.log.calls({ call: "Reboot" }).length, 0);
      assert.deepEqual(pveReboots(r.c).sort(), ["cp-1", "cp-2", "cp-3", "w-1", "w-2"]);
      for (const n of Object.keys(outs.rolled))
        assert.equal(outs.rolled[n].hardware?.memoryMiB, 32768);
    } finally {
      r.stop();
    }
  });

  it("reboots once for a configuration that needs a reboot and a memory change, and rolls a SCSI controller change", async () => {
    const r = await rig({ workers: 1, cluster: { faults: { configNeedsReboot: ["w-1"] } } });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = { "w-1": { memoryMiB: 20480 } };
      applyVmEdits(r, edits);
      const { outs } = await provider.update(
        "fake-rollout",
        olds,
        hwInputs(r, edits, { extraConfig: "a sysctl" }),
      );
      assert.equal(r.c.node("w-1").boots, 2, "one reboot for both");
      assert.deepEqual(pveReboots(r.c), ["w-1"]);
      assert.match(String(r.c.node("w-1").config), /a sysctl/);
      assert.equal(r.pve.vm("w-1").config.memory, "20480");
      assert.equal(outs.rolled["w-1"].hardware?.memoryMiB, 20480);
      // A controller change is pending on every VM: each restarted through Proxmox in turn.
      const scsi = Object.fromEntries(
        r.c.nodes.map((n) => [n.name, { scsiController: "virtio-scsi-single" }]),
      );
      const withScsi = (e: Record<string, object>) => {
        const i = hwInputs(r, edits, { extraConfig: "a sysctl" });
        for (const n of Object.keys(i.nodes))
          i.nodes[n] = {
            ...i.nodes[n],
            hardware: { ...i.nodes[n].hardware!, scsiController: "virtio-scsi-pci", ...e[n] },
          };
        return i;
      };
      const base = (await provider.update("fake-rollout", outs, withScsi({}))).outs;
      for (const n of r.c.nodes) r.pve.providerUpdate(n.name, scsi[n.name]);
      const mark = r.c.log.entries.length;
      await provider.update("fake-rollout", base, withScsi(scsi));
      assert.deepEqual(
        r.c.log.entries
          .slice(mark)
          .filter((e) => e.call === "PVE reboot" && e.outcome === "ok")
          .map((e) => e.node),
        ["cp-2", "cp-3", "cp-1", "w-1"],
      );
      assert.equal(r.pve.vm("cp-1").config.scsihw, "virtio-scsi-single");
    } finally {
      r.stop();
    }
  });

  it("state from before hardware was recorded: asks Proxmox, restarts only a VM with something pending", async () => {
    const r = await rig({ workers: 2 });
    try {
      const { provider } = providerFor(r);
      // Outputs written by an older em-infra: no hardware anywhere.
      const old = (await provider.create(inputsFor(r.c))).outs as RolloutOutputs;
      assert.equal(old.rolled["w-1"].hardware, undefined);
      r.pve.providerUpdate("w-2", { cores: 6 });
      const news = hwInputs(r, { "w-2": { cores: 6 } });
      assert.equal((await provider.diff("fake-rollout", old, news)).changes, true);
      const { outs } = await provider.update("fake-rollout", old, news);
      assert.deepEqual(pveReboots(r.c), ["w-2"]);
      for (const n of ["cp-1", "cp-2", "cp-3", "w-1"]) assert.equal(r.c.node(n).boots, 1, n);
      assert.deepEqual(outs.rolled["w-1"].hardware, BASE.worker);
      assert.equal((await provider.diff("fake-rollout", outs, news)).changes, false);
    } finally {
      r.stop();
    }
  });

  it("reboots a worker whose disk grew, drained, once; the others are untouched", async () => {
    const r = await rig({ workers: 2 });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const edits = { "w-2": { diskGiB: 100 } };
      applyVmEdits(r, edits);
      assert.deepEqual(r.pve.vm("w-2").pending, {}, "an online resize leaves nothing pending");
      const { outs } = await provider.update("fake-rollout", olds, hwInputs(r, edits));
      assert.deepEqual(pveReboots(r.c), ["w-2"]);
      assert.equal(r.c.node("w-2").boots, 2);
      assert.ok(r.c.log.calls({ node: "w-2", call: "PATCH node" }).length > 0, "cordoned");
      for (const n of ["cp-1", "cp-2", "cp-3", "w-1"]) assert.equal(r.c.node(n).boots, 1);
      assert.equal(outs.rolled["w-2"].hardware?.diskGiB, 100);
    } finally {
      r.stop();
    }
  });

  it("refuses at preview a disk grown with a memory change on one node, and a disk shrunk", async () => {
    const r = await rig({ workers: 1 });
    try {
      const { provider } = providerFor(r);
      const olds = (await provider.create(hwInputs(r))).outs as RolloutOutputs;
      const both = await rejection(
        provider.diff(
          "fake-rollout",
          olds,
          hwInputs(r, { "w-1": { diskGiB: 80, memoryMiB: 20480 } }),
        ),
      );
      assert.match(both.message, /w-1: diskGiB 64 -> 80 together with memoryMiB 16384 -> 20480/);
      assert.match(both.message, /two pulumi up runs/);
      const shrink = await rejection(
        provider.diff("fake-rollout", olds, hwInputs(r, { "w-1": { diskGiB: 48 } })),
      );
      assert.match(shrink.message, /w-1: diskGiB 64 -> 48: Proxmox cannot shrink a disk/);
      // On different nodes, the two edits go together.
      const apart = hwInputs(r, { "w-1": { diskGiB: 80 }, "cp-1": { memoryMiB: 12288 } });
      assert.equal((await provider.diff("fake-rollout", olds, apart)).changes, true);
    } finally {
      r.stop();
    }
  });

  it("keeps the Proxmox credentials out of outputs, logs, errors and change detection", async () => {
    const r = await rig({ workers: 1, faults: { rebootFails: ["w-1"] } });
    try {
      const { provider, lines } = providerFor(r);
      const inputs = hwInputs(r);
      const { outs } = await provider.create(inputs);
      assert.equal("proxmox" in outs, false);
      // Other credentials (a password instead of a token) are no change.
      const other = hwInputs(r, {}, {}, r.pve.passwordSettings);
      assert.equal((await provider.diff("fake-rollout", outs, other)).changes, false);
      const edits = { "w-1": { cores: 6 } };
      applyVmEdits(r, edits);
      const err = await rejection(
        provider.update("fake-rollout", outs, hwInputs(r, edits, {}, r.pve.passwordSettings)),
      );
      const text = [
        ...lines,
        err.message,
        err.stack ?? "",
        JSON.stringify((err as { properties?: unknown }).properties),
      ].join("\n");
      for (const secret of r.pve.secretMaterial())
        assert.ok(!text.includes(secret), "a secret leaked");
      // The password login worked: the reboot task was started, and failed.
      assert.deepEqual(pveReboots(r.c, "failed"), ["w-1"]);
    } finally {
      r.stop();
    }
  });
});

describe("day2 status and rollout --dry-run: pending VM hardware", function () {
  this.timeout(20000);

  it("shows each node's pending hardware, and the dry run restarts it through Proxmox", async () => {
    const { rig: cliRig, full } = await import("./support/day2Cli");
    const path = await import("path");
    const DEV = path.resolve(__dirname, "..", "inventory", "dev");
    const r = await cliRig(DEV);
    const pve = await startFakePve({
      facts: FACTS,
      cluster: r.cluster,
      vms: r.inventory.nodes.map((n) => ({
        node: n.name,
        vmid: n.vmId,
        host: n.host,
        cores: n.sizing.cores,
        memoryMiB: n.sizing.memoryMiB,
        diskGiB: n.sizing.diskGiB,
      })),
    });
    try {
      pve.providerUpdate("dev-worker-1", { memoryMiB: 16384 });
      const env = {
        PROXMOX_VE_ENDPOINT: pve.settings.endpoint,
        PROXMOX_VE_API_TOKEN: pve.settings.apiToken,
      };
      const status = await r.command("status", [...full(r, DEV), "--json"], { env, pveCa: pve.ca });
      assert.equal(status.code, 1, status.err);
      const doc = JSON.parse(status.out) as {
        nodes: { name: string; pendingHardware: string[] | null }[];
        problems: string[];
      };
      assert.deepEqual(Object.fromEntries(doc.nodes.map((n) => [n.name, n.pendingHardware])), {
        "dev-cp-1": [],
        "dev-worker-1": ["memory 8192 -> 16384"],
        "dev-gpu-1": [],
      });
      assert.ok(
        doc.problems.includes(
          "dev-worker-1: VM hardware pending in Proxmox (memory 8192 -> 16384); the next pulumi up restarts it through Proxmox, drained",
        ),
        doc.problems.join("\n"),
      );
      const dry = await r.command("rollout", [...full(r, DEV), "--dry-run"], {
        env,
        pveCa: pve.ca,
      });
      assert.equal(dry.code, 1, dry.err);
      assert.match(
        dry.out,
        /\n\d+\. dev-worker-1 \(worker\): included: already runs Talos v1\.13\.0; its VM has hardware pending in Proxmox \(memory 8192 -> 16384\)[^\n]*\n {5}- cordon and drain\n {5}- reboot through Proxmox, applying the VM's pending memory 8192 -> 16384\n/,
      );
      assert.match(dry.out, /\n\d+\. dev-cp-1 \(controlplane\): skipped: /);
      // Read-only: nothing was restarted, nothing leaked.
      assert.equal(r.cluster.log.calls({ call: "PVE reboot" }).length, 0);
      assert.ok(
        !status.out.includes(pve.secretMaterial()[0]) && !dry.out.includes(pve.secretMaterial()[0]),
      );
      // Without credentials, Proxmox is not asked.
      const none = await r.command("status", [...full(r, DEV), "--json"]);
      assert.ok(
        (JSON.parse(none.out) as { nodes: { pendingHardware: unknown }[] }).nodes.every(
          (n) => n.pendingHardware === null,
        ),
      );
    } finally {
      pve.stop();
      r.close();
    }
  });
});
