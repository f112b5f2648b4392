/**
 * The whole day-two path, as `pulumi up` would take it, with the fake cluster standing
 * in for the nodes: the real program runs under the offline engine with the stack
 * config pointing the day-two resources at the fake; a second run after an inventory
 * edit, with the first run's state, updates the rollout; and the provider text that
 * run stored is loaded the way the dynamic-provider host loads it and given the
 * update, which it carries out against the fake.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import "./support/loopbackOnly";
import { startFakeCluster, type FakeCluster } from "../packages/day2/fake";
import { DYNAMIC } from "../lib/tokens";
import {
  hostUpdate,
  loadSerializedProvider,
  runProgram,
  type RunOptions,
  type RunRecord,
} from "../tools/offline/engine";
import { unwrapSecrets } from "../tools/offline/secretSig";
import { DEV, editedInventory, resource, stackConfig } from "./support/program";
import { tempDir } from "./support/tmp";

/** inventory/dev's nodes, as the fake serves them. */
const DEV_NODES = [
  { name: "dev-cp-1", ip: "10.20.0.11", role: "controlplane" },
  { name: "dev-worker-1", ip: "10.20.0.21", role: "worker" },
  { name: "dev-gpu-1", ip: "10.20.0.31", role: "worker" },
] as const;

/** Quick waits for the fake's few-millisecond reboots. */
const TEST_TIMING = { nodeTimeoutSeconds: 5, drainTimeoutSeconds: 2, pollMs: 5 };

interface UpdatingProvider {
  update(id: string, olds: unknown, news: unknown): Promise<{ outs: Record<string, unknown> }>;
}

describe("day two end to end: program, state, stored provider, fake cluster", function () {
  let fake: FakeCluster;
  let options: (dir: string) => Partial<RunOptions>;
  /** Where the rollout's etcd snapshots go here, instead of the project's backups/. */
  let backupsDir: string;
  before(async function () {
    backupsDir = tempDir("e2e-backups");
    fake = await startFakeCluster({
      nodes: DEV_NODES,
      clusterName: "dev",
      endpointHost: "10.20.0.10",
      talosVersion: "v1.13.0",
      kubernetesVersion: "1.36.0",
    });
    options = (dir) => {
      const base = stackConfig(dir);
      return {
        ...base,
        config: {
          ...base.config,
          "em-infra:talosEndpoints": JSON.stringify(fake.endpoints),
          "em-infra:kubernetesEndpoint": fake.kubernetesEndpoint,
        },
      };
    };
  });
  after(function () {
    fake?.stop();
    fs.rmSync(backupsDir, { recursive: true, force: true });
  });

  /** What the rollout printed. */
  const lines: string[] = [];

  /** Runs the program, then the rollout's stored update as the host would. */
  async function upAfter(prior: RunRecord, dir: string): Promise<Record<string, unknown>> {
    const next = await runProgram({ ...options(dir), prior });
    const before = resource(prior, DYNAMIC, "dev-rollout");
    const rollout = resource(next, DYNAMIC, "dev-rollout");
    assert.equal(rollout.op, "update");
    const provider = loadSerializedProvider(
      String(rollout.inputs.__provider),
    ) as unknown as UpdatingProvider;
    const { __provider: _, ...news } = unwrapSecrets(rollout.stateInputs) as Record<
      string,
      unknown
    >;
    // The offline Secrets resource hands out mock key material; the fake has its own CA.
    // The host shows a provider's console lines as plain text; here they are kept.
    const saved = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      const olds = unwrapSecrets(before.outputs);
      const id = before.id ?? "dev-rollout";
      const changed = {
        ...news,
        credentials: fake.clientConfiguration,
        timing: TEST_TIMING,
        backups: { etcd: { ...(news.backups as { etcd: object }).etcd, dir: backupsDir } },
      };
      return (await provider.update(id, olds, changed)).outs;
    } finally {
      console.log = saved;
    }
  }

  it("creates the cluster without dialing a node, then upgrades every node after a Talos bump", async function () {
    const created = await runProgram(options(DEV));
    assert.deepEqual(fake.log.calls(), [], "a new cluster's rollout only records");

    const bumped = editedInventory(DEV, ({ cluster }) =>
      cluster.setIn(["talos", "version"], "v1.13.1"),
    );
    const outs = await upAfter(created, bumped);
    for (const n of DEV_NODES) {
      assert.equal(fake.node(n.name).version, "v1.13.1", n.name);
    }
    // The control plane was touched, so a snapshot was taken first, into the stack's dir.
    assert.deepEqual((outs.backups as { etcd: unknown }).etcd, {
      beforeRollout: true,
      keep: 10,
      dir: backupsDir,
    });
    const taken = fs.readdirSync(backupsDir).filter((f) => f.endsWith(".db"));
    assert.equal(taken.length, 1, fs.readdirSync(backupsDir).join(", "));
    assert.ok(
      fake.log.first({ call: "EtcdSnapshot" })!.seq < fake.log.first({ call: "PATCH node" })!.seq,
    );
    const rolled = outs.rolled as Record<string, { talosVersion: string }>;
    assert.deepEqual(
      Object.values(rolled).map((r) => r.talosVersion),
      ["v1.13.1", "v1.13.1", "v1.13.1"],
    );
    // The control plane first (the only one), then the workers one at a time.
    assert.equal(fake.log.maxConcurrentDown(DEV_NODES.map((n) => n.name)), 1);
    // As pulumi up shows them: each line 80 columns at most, a long one continued on
    // indented lines; every logical line starts with the provider's prefix and names
    // its phase and place while a batch runs.
    // (A single word longer than that, a path say, is left whole.)
    assert.deepEqual(
      lines.filter((l) => l.length > 80 && /\s\S/.test(l.trim())),
      [],
    );
    assert.ok(lines.every((l) => l.startsWith("em-infra rollout: ") || /^ {20}\S/.test(l)));
    const logical = lines
      .join("\n")
      .replace(/\n {20}/g, " ")
      .split("\n");
    const done = logical.filter((l) => /now runs Talos v1\.13\.1$/.test(l));
    assert.deepEqual(
      done.map((l) => /^em-infra rollout: \[Talos v1\.13\.1, ([^\]]+)\] (\S+):/.exec(l)?.slice(1)),
      [
        ["control plane 1/1", "dev-cp-1"],
        ["workers batch 1/2", "dev-worker-1"],
        ["workers batch 2/2", "dev-gpu-1"],
      ],
    );
    // Each batch says how long it took and what is left; the run ends with a summary.
    assert.ok(
      logical.some((l) =>
        /\[Talos v1\.13\.1, workers batch 1\/2\] dev-worker-1 done in [\d.]+ m?s; about [\d.]+ m?s left for 1 more batch$/.test(
          l,
        ),
      ),
      logical.join("\n"),
    );
    const summary = logical.indexOf("em-infra rollout: summary:");
    assert.ok(summary >= 0);
    assert.match(logical[summary + 1], /^em-infra rollout: {3}NODE +DONE +TIME$/);
    assert.match(
      logical[summary + 2],
      /^em-infra rollout: {3}dev-cp-1 +Talos v1\.13\.1 +[\d.]+ m?s$/,
    );
  });

  it("a failed run stores its progress through the stored provider, with __provider; the rerun skips what was done", async function () {
    const first = await runProgram(options(DEV));
    const bumped = editedInventory(DEV, ({ cluster }) =>
      cluster.setIn(["talos", "version"], "v1.13.2"),
    );
    const next = await runProgram({ ...options(bumped), prior: first });
    const rollout = resource(next, DYNAMIC, "dev-rollout");
    const text = String(unwrapSecrets(rollout.inputs.__provider));
    const provider = loadSerializedProvider(text);
    const { __provider: _, ...inputs } = unwrapSecrets(rollout.stateInputs) as Record<
      string,
      unknown
    >;
    const news = {
      ...inputs,
      __provider: text,
      credentials: fake.clientConfiguration,
      timing: { ...TEST_TIMING, nodeTimeoutSeconds: 0.4 },
      backups: { etcd: { beforeRollout: true, keep: 10, dir: backupsDir } },
    };
    const olds = unwrapSecrets(resource(first, DYNAMIC, "dev-rollout").outputs) as Record<
      string,
      unknown
    >;
    assert.equal(olds.__provider, text, "a created rollout's outputs carry __provider");
    fake.faults.neverComesBack.push("dev-gpu-1");
    const saved = console.log;
    console.log = () => undefined;
    try {
      const failed = await hostUpdate(provider, "dev-rollout", olds, news);
      assert.equal(failed.ok, false);
      assert.match(failed.message, /^dev-gpu-1: did not come back after upgrade to v1\.13\.2/);
      assert.equal(failed.outputs.__provider, text);
      assert.equal(failed.outputs.talosVersion, olds.talosVersion);
      const rolled = failed.outputs.rolled as Record<string, { talosVersion: string }>;
      assert.equal(rolled["dev-cp-1"].talosVersion, "v1.13.2");
      assert.equal(rolled["dev-gpu-1"].talosVersion, olds.talosVersion);

      fake.faults.neverComesBack.length = 0;
      await fake.node("dev-gpu-1").rebootNow("power cycled by the operator");
      const mark = fake.log.entries.length;
      const again = await hostUpdate(provider, "dev-rollout", failed.outputs, news);
      assert.equal(again.ok, true, again.message);
      for (const n of ["dev-cp-1", "dev-worker-1"])
        assert.equal(
          fake.log.calls({ node: n, call: "LifecycleService.Upgrade" }).filter((e) => e.seq >= mark)
            .length,
          0,
          `${n} was upgraded again`,
        );
      for (const n of DEV_NODES) assert.equal(fake.node(n.name).version, "v1.13.2", n.name);
    } finally {
      console.log = saved;
    }
  });
});
