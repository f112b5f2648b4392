/**
 * `npm run plan`: the offline plan of what `pulumi up` would build.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkInventory, formatProblem } from "../lib/inventory";
import { MOCK_SECRETS } from "../tools/offline/fakes";
import { longestChain, type Plan } from "../tools/plan";
import { runPlan } from "../scripts/plan";
import { DEV, LARGE, editedInventory, reusedRuns } from "./support/program";
import { materialise } from "./support/invalidFixtures";
import { APPLY, BOOTSTRAP, DYNAMIC, FILE, KUBECONFIG, SCHEMATIC, SECRETS, VM } from "../lib/tokens";
import { tempDir } from "./support/tmp";
import { parseDocument } from "yaml";

class Buffer {
  text = "";
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

/** `npm run plan` with `args`; whole lines (`--wide`): these tests read content, not layout. */
/** A Pulumi checkpoint of a stack with no resources yet. */
const EMPTY_CHECKPOINT = JSON.stringify({ version: 3, checkpoint: { latest: { resources: [] } } });

async function plan(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Buffer();
  const err = new Buffer();
  const code = await runPlan([...args, "--wide"], out, err, reusedRuns);
  return { code, out: out.text, err: err.text };
}

describe("npm run plan", function () {
  let text: string;
  let json: Plan;
  before(async function () {
    text = (await plan([DEV])).out;
    json = JSON.parse((await plan([DEV, "--json"])).out) as Plan;
  });

  it("prints the endpoint and one table row per node", function () {
    assert.match(text, /^endpoint {4}https:\/\/10\.20\.0\.10:6443$/m);
    assert.match(
      text,
      /^ {2}dev-gpu-1 +worker +pve1 +1031 +10\.20\.0\.31 +8 +32768 MiB +128 GiB +rtx-a4000 +no +gpu [0-9a-f]{12}$/m,
    );
    assert.match(
      text,
      /^ {2}dev-cp-1 +controlplane +pve1 +1011 +10\.20\.0\.11 +2 +4096 MiB +32 GiB +- +yes +base /m,
    );
  });

  it("counts the resources by type", function () {
    assert.deepEqual(json.resources, {
      "em-infra:proxmox:NodeVm": 3,
      "em-infra:proxmox:TalosImages": 1,
      "em-infra:talos:TalosCluster": 1,
      [FILE]: 2,
      [VM]: 3,
      [KUBECONFIG]: 1,
      [SCHEMATIC]: 2,
      [BOOTSTRAP]: 1,
      [APPLY]: 3,
      [SECRETS]: 1,
      [DYNAMIC]: 2,
    });
  });

  it("reads the deploy order from the dependency graph", function () {
    const stages = json.order.map((s) => s.stage);
    const at = (s: string) => stages.indexOf(s as never);
    for (const [a, b] of [
      ["image", "vm"],
      ["vm", "apply"],
      ["apply", "bootstrap"],
      ["bootstrap", "kubeconfig"],
      ["kubeconfig", "health"],
    ]) {
      assert.ok(at(a) >= 0 && at(a) < at(b), `${a} is not before ${b}: ${stages.join(" → ")}`);
    }
    assert.match(text, /Deploy order\n {2}1\. image: /);
  });

  it("shows each node's Talos patches, with no secret in the output", function () {
    const gpu = json.nodes.find((n) => n.name === "dev-gpu-1")!;
    assert.ok(gpu.patches.some((p) => p.includes("nvidia_uvm")));
    assert.ok(gpu.patches.every((p) => !p.includes("kind: Layer2VIPConfig")));
    for (const secret of Object.values(MOCK_SECRETS)) {
      assert.ok(!text.includes(secret), `plan text shows ${secret}`);
      assert.ok(!JSON.stringify(json).includes(secret), `plan JSON shows ${secret}`);
    }
  });

  it("lists the add-ons and what they change on a running stack; inline manifests as their objects", function () {
    assert.deepEqual(
      json.addons.map((a) => `${a.name} ${a.release}`),
      [
        "nvidia-device-plugin v0.20.0",
        "local-path-provisioner v0.0.37",
        "metrics-server v0.9.0",
        "kubelet-serving-cert-approver v0.11.0",
      ],
    );
    assert.match(text, /^Add-ons \(inline manifests on the control planes/m);
    assert.match(text, /every kubelet gets rotate-server-certificates/);
    assert.match(text, /local-path becomes the default StorageClass.*storage\.localPath: false/s);
    // The text names each manifest's objects instead of printing their YAML.
    assert.match(
      text,
      /^ {6}- metrics-server: ServiceAccount kube-system\/metrics-server, ClusterRole/m,
    );
    assert.doesNotMatch(text, /readinessProbe/);
    const cp = json.nodes.find((n) => n.name === "dev-cp-1")!;
    assert.ok(
      cp.patches.some((p) => p.includes("readinessProbe")),
      "the JSON keeps the full patches",
    );
  });

  it("says when no add-on runs", async function () {
    const dir = editedInventory(DEV, ({ cluster, nodes }) => {
      cluster.setIn(["storage", "localPath"], false);
      cluster.setIn(["addons", "metricsServer"], false);
      nodes.set(
        "nodes",
        (nodes.toJS().nodes as { gpu?: unknown }[]).filter((n) => n.gpu === undefined),
      );
    });
    const out = (await plan([dir])).out;
    assert.match(out, /^Add-ons: none/m);
    assert.doesNotMatch(out, /inlineManifests/);
  });

  it("draws the graph as a Mermaid flowchart, into Markdown or a bare file", async function () {
    const dir = tempDir("plan");
    const md = path.join(dir, "graph.md");
    const mmd = path.join(dir, "graph.mmd");
    assert.equal((await plan([DEV, "--mermaid", md])).code, 0);
    assert.equal((await plan([DEV, "--json", "--mermaid", mmd])).code, 0);
    const chart = fs.readFileSync(mmd, "utf8");
    assert.match(chart, /^flowchart LR\n/);
    assert.match(chart, /\["VmLegacy<br\/>dev-gpu-1-vm"\]/);
    assert.match(fs.readFileSync(md, "utf8"), new RegExp("```mermaid\\n" + "flowchart LR"));
    const edges = chart.split("\n").filter((l) => l.includes("-->")).length;
    assert.equal(edges, json.graph.edges.length + 2);
  });

  it("shows the SCSI controller and the rollout the inventory implies", function () {
    assert.match(text, /^scsi {8}virtio-scsi-pci$/m);
    assert.deepEqual(json.rollout, {
      maxUnavailableWorkers: 1,
      batches: [["dev-cp-1"], ["dev-worker-1"], ["dev-gpu-1"]],
      apiDowntime: true,
    });
    assert.match(text, /^ {2}1\. dev-cp-1\n {2}2\. dev-worker-1\n {2}3\. dev-gpu-1\n/m);
    assert.match(text, /warning: one control plane: the Kubernetes API is down while it restarts/);
  });

  it("batches a large inventory's workers and puts the bootstrap node last among control planes", async function () {
    const large = JSON.parse((await plan([LARGE, "--json"])).out) as Plan;
    const cps = large.nodes.filter((n) => n.role === "controlplane").map((n) => n.name);
    assert.ok(cps.length >= 3);
    assert.deepEqual(
      large.rollout.batches.slice(0, cps.length),
      [...cps.slice(1), cps[0]].map((n) => [n]),
    );
    assert.equal(large.rollout.apiDowntime, false);
    assert.ok(
      large.rollout.batches
        .slice(cps.length)
        .every((b) => b.length <= large.rollout.maxUnavailableWorkers),
    );
  });

  it("writes the plan to --out FILE and keeps stdout empty, so JSON stays parseable", async function () {
    const dir = tempDir("plan");
    const file = path.join(dir, "plan.json");
    const result = await plan([DEV, "--json", "--out", file, "--mermaid", path.join(dir, "g.mmd")]);
    assert.equal(result.code, 0);
    assert.equal(result.out, "");
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), json);
    assert.match(result.err, /wrote the plan to .*plan\.json\nwrote the dependency graph to /);
    assert.equal((await plan([DEV, "--out"])).code, 2);
  });

  it("keeps stdout pure JSON with --json even when it also writes a graph", async function () {
    const dir = tempDir("plan");
    const result = await plan([DEV, "--json", "--mermaid", path.join(dir, "g.mmd")]);
    assert.deepEqual(JSON.parse(result.out), json);
  });

  it("names the nodes an edit removes, against the stack's state, and refuses a protected one", async function () {
    const { runFor, editedInventory } = await import("./support/program");
    const { unwrapSecrets } = await import("../tools/offline/secretSig");
    const record = await runFor(LARGE);
    const dir = tempDir("plan-state");
    const state = path.join(dir, "dev.json");
    // The file backend's checkpoint, as Pulumi writes it, with the resources' outputs.
    const resources = record.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      outputs: unwrapSecrets(r.outputs),
    }));
    fs.writeFileSync(state, JSON.stringify({ version: 3, checkpoint: { latest: { resources } } }));
    const smaller = editedInventory(LARGE, ({ nodes }) => {
      const list = nodes.get("nodes") as { items: { get(k: string): unknown }[] };
      list.items = list.items.filter(
        (n) => !["lab-worker-3", "lab-cp-3"].includes(String(n.get("name"))),
      );
    });
    const result = await plan([smaller, "--state", state, "--json"]);
    // Removing a protected node is one of the edits pulumi preview refuses: exit 1.
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      /^pulumi preview would refuse this edit:\n {2}lab-cp-3: removing a protected node is refused/,
    );
    const removed = (JSON.parse(result.out) as Plan).removals!;
    assert.deepEqual(removed.nodes, [
      { name: "lab-worker-3", role: "worker", protected: false },
      { name: "lab-cp-3", role: "controlplane", protected: true },
    ]);
    const text = (await plan([smaller, "--state", state])).out;
    assert.match(text, /lab-worker-3 \(worker\): decommissioned by the rollout/);
    assert.match(text, /lab-cp-3 \(controlplane\): REFUSED: protected; set protect: false/);
    // A state without a rollout (a stack not yet deployed) has nothing to compare
    // with, and the plan says nothing.
    fs.writeFileSync(path.join(dir, "none.json"), EMPTY_CHECKPOINT);
    assert.equal(
      (
        JSON.parse(
          (await plan([smaller, "--state", path.join(dir, "none.json"), "--json"])).out,
        ) as Plan
      ).removals,
      null,
    );
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(smaller, { recursive: true, force: true });
  });

  describe("refuses offline every edit the rollout refuses, in preview's words", function () {
    let dir: string;
    let state: string;
    before(async function () {
      const { runFor } = await import("./support/program");
      const { unwrapSecrets } = await import("../tools/offline/secretSig");
      const record = await runFor(LARGE);
      dir = tempDir("plan-refusals");
      state = path.join(dir, "dev.json");
      const resources = record.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        outputs: unwrapSecrets(r.outputs),
      }));
      fs.writeFileSync(
        state,
        JSON.stringify({ version: 3, checkpoint: { latest: { resources } } }),
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    type Docs = Parameters<Parameters<typeof import("./support/program").editedInventory>[1]>[0];
    const cases: [string, (d: Docs) => void, RegExp][] = [
      [
        "a node's IP",
        ({ nodes }) => nodes.setIn(["nodes", 1, "ip"], "10.40.0.19"),
        /^lab-cp-2: its network identity cannot change while it exists \(ip 10\.40\.0\.12 -> 10\.40\.0\.19\)/,
      ],
      [
        "Kubernetes backwards",
        ({ cluster }) => cluster.setIn(["kubernetes", "version"], "1.34.2"),
        /^kubernetesVersion: downgrading Kubernetes from 1\.35\.3 to 1\.34\.2 crosses a minor release/,
      ],
      [
        "Talos and Kubernetes together",
        ({ cluster }) => {
          cluster.setIn(["talos", "version"], "v1.13.2");
          cluster.setIn(["kubernetes", "version"], "1.36.0");
        },
        /^talosVersion \(v1\.13\.0 -> v1\.13\.2\) and kubernetesVersion \(1\.35\.3 -> 1\.36\.0\) changed together/,
      ],
      [
        "a disk shrunk",
        ({ nodes }) => nodes.setIn(["nodes", 7, "diskGiB"], 400),
        /^lab-worker-5: diskGiB 500 -> 400: Proxmox cannot shrink a disk/,
      ],
      [
        "a disk grown with a memory change on one node",
        ({ nodes }) => {
          nodes.setIn(["nodes", 7, "diskGiB"], 600);
          nodes.setIn(["nodes", 7, "memoryMiB"], 32768);
        },
        /^lab-worker-5: diskGiB 500 -> 600 together with memoryMiB 16384 -> 32768: .*make the two edits in two pulumi up runs/,
      ],
      [
        "the endpoint (the vip dropped)",
        ({ cluster }) => cluster.delete("vip"),
        /^clusterEndpoint: the cluster endpoint would move from https:\/\/10\.40\.0\.10:6443 to https:\/\/10\.40\.0\.11:6443 \(the vip changed from 10\.40\.0\.10 to none\)/,
      ],
    ];
    for (const [what, change, refusal] of cases) {
      it(what, async function () {
        const { editedInventory } = await import("./support/program");
        const edited = editedInventory(LARGE, change);
        try {
          const result = await plan([edited, "--state", state]);
          assert.equal(result.code, 1, result.err);
          const lines = result.out.split("\n");
          const at = lines.findIndex((l) => l.startsWith("REFUSED against the deployed stack"));
          assert.ok(at >= 0, result.out);
          assert.match(lines[at + 1].trim(), refusal);
          assert.match(result.err, /^pulumi preview would refuse this edit:/);
        } finally {
          fs.rmSync(edited, { recursive: true, force: true });
        }
      });
    }

    it("says which VMs a hardware edit restarts through Proxmox, in the rollout's order", async function () {
      const { editedInventory } = await import("./support/program");
      const edited = editedInventory(LARGE, ({ cluster, nodes }) => {
        cluster.setIn(["defaults", "controlplane", "cores"], 6);
        nodes.setIn(["nodes", 7, "diskGiB"], 600);
      });
      try {
        const ok = await plan([edited, "--state", state, "--wide"]);
        assert.equal(ok.code, 0, ok.err);
        const lines = ok.out.split("\n");
        const at = lines.findIndex((l) => l.startsWith("VM hardware: the rollout restarts"));
        assert.ok(at >= 0, ok.out);
        assert.deepEqual(lines.slice(at + 1, at + 5), [
          "  1. lab-cp-2 (control plane 1/3): cores 4 -> 6",
          "  2. lab-cp-3 (control plane 2/3): cores 4 -> 6",
          "  3. lab-cp-1 (control plane 3/3): cores 4 -> 6",
          "  4. lab-worker-5 (workers batch 3/3): diskGiB 500 -> 600",
        ]);
        assert.equal(lines[at + 5], "");
      } finally {
        fs.rmSync(edited, { recursive: true, force: true });
      }
    });

    it("an edit the rollout takes is compared and accepted; without a state the plan says why not", async function () {
      const { editedInventory } = await import("./support/program");
      const edited = editedInventory(LARGE, ({ cluster }) =>
        cluster.setIn(["talos", "version"], "v1.13.2"),
      );
      try {
        const ok = await plan([edited, "--state", state]);
        assert.equal(ok.code, 0, ok.err);
        assert.match(
          ok.out,
          /\nAgainst the deployed stack \(.*dev\.json\): nothing the rollout refuses\n/,
        );
        fs.writeFileSync(path.join(dir, "none.json"), EMPTY_CHECKPOINT);
        const none = await plan([edited, "--state", path.join(dir, "none.json")]);
        assert.equal(none.code, 0);
        assert.match(
          none.out,
          /\nNot compared with a deployed stack: .*none\.json holds no rollout \(a stack not yet deployed, or its state is elsewhere: pass --state FILE\)/,
        );
      } finally {
        fs.rmSync(edited, { recursive: true, force: true });
      }
    });
  });

  it("prints validate's problems and exits 1 for an invalid inventory", async function () {
    const bad = materialise("node-ip-outside-cidr");
    const result = await plan([bad]);
    assert.equal(result.code, 1);
    assert.equal(result.out, "");
    const expected = checkInventory(bad).problems.map(formatProblem);
    assert.ok(expected.length > 0);
    assert.equal(result.err, expected.join("\n") + "\n");
  });

  it("refuses unknown arguments with the error and where the help is, exit 2", async function () {
    const result = await plan(["--bogus"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      "unexpected argument --bogus\nrun `npm run plan -- --help` for usage\n",
    );
  });

  it("refuses a --state file that does not exist, naming it, before running the program", async function () {
    const result = await plan([DEV, "--state", "no/such/state.json"]);
    assert.deepEqual(
      [result.code, result.out, result.err],
      [2, "", "--state no/such/state.json: no such file\n"],
    );
  });

  it("finds the same longest chain to the kubeconfig for one and three control planes", async function () {
    const { planFor } = await import("../scripts/plan");
    const small = longestChain((await planFor(DEV, undefined, reusedRuns)).record);
    const large = longestChain((await planFor(LARGE, undefined, reusedRuns)).record);
    assert.equal(small.length, large.length);
    // Image → VM → first apply → bootstrap → (a later apply or the bootstrap check) →
    // the rollout, which records → gate.
    const kinds = small.map((s) => s.split("::")[0].split(":").pop());
    assert.equal(kinds.length, 8);
    assert.deepEqual(kinds.slice(0, 5), [
      "Schematic",
      "File",
      "VmLegacy",
      "ConfigurationApply",
      "Bootstrap",
    ]);
    assert.equal(small[6].split("::").pop(), "dev-rollout");
    assert.equal(kinds[7], "getHealth");
  });

  it("reuses a program run only for the same options over the same inventory text", async function () {
    // The tests above pass reusedRuns (test/support/program.ts): a stale record there
    // would let them pass on the wrong inventory.
    const dir = editedInventory(DEV, () => undefined);
    const options = {
      config: { "em-infra:inventory": dir, "proxmoxve:endpoint": "https://pve.invalid:8006/" },
    };
    const vmCount = async () =>
      (await reusedRuns(options)).resources.filter((r) => r.type === VM).length;
    const before = await vmCount();
    const nodes = path.join(dir, "nodes.yaml");
    const text = fs.readFileSync(nodes, "utf8");
    const doc = parseDocument(text);
    doc.deleteIn(["nodes", (doc.getIn(["nodes"]) as { items: unknown[] }).items.length - 1]);
    fs.writeFileSync(nodes, doc.toString());
    assert.equal(await vmCount(), before - 1);
    fs.writeFileSync(nodes, text);
    assert.equal(await vmCount(), before);
    // Each call has its own record: what one caller changes, the next does not see.
    ((await reusedRuns(options)).resources as unknown[]).length = 0;
    assert.equal(await vmCount(), before);
  });
});
