/**
 * The rollout on a real cluster's bad days, against the fake cluster: a failed run keeps
 * what it finished (the error the dynamic-provider host turns into partial state), a
 * stop asked for mid-batch ends the run cleanly at the next boundary, a node an earlier
 * run left cordoned is uncordoned once done, reboots are told by the boot id, and a
 * control plane counts as back only when its control-plane pods are Ready.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as day2 from "../packages/day2";
import type { FakeCluster } from "../packages/day2/fake";
import { hostUpdate, type HostUpdateResult } from "../tools/offline/engine";
import { TALOS_SUPPORT } from "../lib/inventory/versions";
import {
  clusterNodes,
  fake,
  inputsFor,
  lastSeqOf,
  providerFor,
  rolloutWorkDir,
  seqOf,
  touches,
  type InputOptions,
  type RolloutInputs,
  type RolloutOutputs,
} from "./support/rollout";

const FROM = "v1.13.0";
const TO = "v1.13.3";
const ALL = ["cp-1", "cp-2", "cp-3", "w-1", "w-2"];
/** What the host would pass as the provider: carried into the partial outputs. */
const PROVIDER_TEXT = "exports.handler = () => ({}); // stands in for the serialized shim";

type Provider = ReturnType<typeof providerFor>["provider"];

/** Inputs as the host passes them: with `__provider`. */
function hostInputs(c: FakeCluster, o: InputOptions): RolloutInputs & { __provider: string } {
  return { ...inputsFor(c, o), __provider: PROVIDER_TEXT };
}

/** Created at `from`, as the engine stores a created rollout. */
async function created(c: FakeCluster, provider: Provider, from: InputOptions) {
  const { outs } = await provider.create(inputsFor(c, from));
  return { ...outs, __provider: PROVIDER_TEXT } as unknown as Record<string, unknown>;
}

function stored(r: HostUpdateResult): RolloutOutputs {
  return r.outputs as unknown as RolloutOutputs;
}

async function comeBack(c: FakeCluster, node: string) {
  c.faults.neverComesBack.length = 0;
  await c.node(node).rebootNow("power cycled by the operator");
  await day2.waitFor(() => c.node(node).phase === "running", {
    timeoutMs: 3000,
    describe: () => c.log.toString(),
  });
}

describe("day2 rollout: progress survives a failed run", () => {
  /**
   * Each kind of change, failed on cp-3 (the second control plane in rollout order,
   * after cp-2): the error's shape, what the engine stores, and a rerun fed those
   * stored outputs, which must touch no node that finished.
   */
  const kinds: {
    kind: string;
    from: InputOptions;
    to: InputOptions;
    cluster?: NonNullable<Parameters<typeof fake>[0]>;
    faults: NonNullable<NonNullable<Parameters<typeof fake>[0]>["faults"]>;
    done: string[];
    check: (outs: RolloutOutputs, olds: Record<string, unknown>) => void;
    /** How the failure reads; default: cp-3 did not come back. */
    message?: RegExp;
    /** What the rerun must not redo on the cluster, checked around it. */
    rerun?: (c: FakeCluster) => () => void;
  }[] = [
    {
      kind: "Talos version",
      from: { talosVersion: FROM },
      to: { talosVersion: TO },
      faults: { neverComesBack: ["cp-3"] },
      done: ["cp-2"],
      check: (outs) => {
        assert.equal(outs.talosVersion, FROM, "the old target stays recorded");
        assert.equal(outs.rolled["cp-2"].talosVersion, TO);
        assert.equal(outs.rolled["cp-3"].talosVersion, FROM);
      },
    },
    {
      kind: "schematic only",
      from: { talosVersion: TO, schematic: "a".repeat(64) },
      to: { talosVersion: TO, schematic: "b".repeat(64) },
      faults: { neverComesBack: ["cp-3"] },
      done: ["cp-2"],
      check: (outs) => {
        assert.equal(outs.nodes["cp-2"].schematic, "a".repeat(64), "old inputs kept");
        assert.equal(outs.rolled["cp-2"].schematic, "b".repeat(64));
        assert.equal(outs.rolled["cp-3"].schematic, "a".repeat(64));
      },
    },
    {
      kind: "Kubernetes version",
      from: { kubernetesVersion: "1.35.2" },
      to: { kubernetesVersion: "1.36.0" },
      cluster: { kubernetesVersion: "1.35.2" },
      // upgrade-k8s's order: kube-apiserver on cp-2, then on cp-3, where it crashloops.
      faults: { crashloops: [{ node: "cp-3", component: "kube-apiserver", version: "v1.36.0" }] },
      message:
        /^cp-3: kube-apiserver did not become Ready at registry\.k8s\.io\/kube-apiserver:v1\.36\.0/,
      done: [],
      check: (outs) => {
        assert.equal(outs.kubernetesVersion, "1.35.2");
        // A node counts as at the new version once its kubelet is: none got that far.
        assert.equal(outs.rolled["cp-2"].kubernetesVersion, "1.35.2");
        assert.equal(outs.rolled["cp-3"].kubernetesVersion, "1.35.2");
      },
      rerun: (c) => {
        const before = c.node("cp-2").componentVersion("kube-apiserver");
        assert.equal(
          c.node("cp-2").staticPodImages["kube-apiserver"],
          "registry.k8s.io/kube-apiserver:v1.36.0",
        );
        return () =>
          assert.equal(
            c.node("cp-2").componentVersion("kube-apiserver"),
            before,
            "cp-2's kube-apiserver, done in the failed run, was patched again",
          );
      },
    },
    {
      kind: "configuration",
      from: {},
      to: { extraConfig: "a new setting" },
      faults: { configNeedsReboot: ["cp-3"], neverComesBack: ["cp-3"] },
      done: ["cp-2"],
      check: (outs, olds) => {
        const oldHashes = olds.configHashes as Record<string, string>;
        assert.deepEqual(outs.configHashes, oldHashes, "the old hashes stay recorded");
        assert.notEqual(outs.rolled["cp-2"].configHash, oldHashes["cp-2"]);
        assert.equal(outs.rolled["cp-3"].configHash, oldHashes["cp-3"]);
      },
    },
  ];
  for (const k of kinds) {
    it(`${k.kind}: the error carries id, properties and reasons; a rerun touches no finished node`, async () => {
      const c = await fake({ ...k.cluster, faults: k.faults });
      try {
        const { provider } = providerFor();
        const timing = { nodeTimeoutSeconds: 0.4 };
        const olds = await created(c, provider, { ...k.from, timing });
        const news = hostInputs(c, { ...k.to, timing });
        const r = await hostUpdate(provider, "fake-rollout", olds, news);
        assert.equal(r.ok, false);
        assert.match(r.message, k.message ?? /^cp-3: did not come back after/);
        assert.deepEqual(r.reasons, [r.message], "ErrorResourceInitFailed's reasons");
        const outs = stored(r);
        assert.equal(
          (outs as unknown as Record<string, unknown>).__provider,
          PROVIDER_TEXT,
          "the partial outputs carry __provider, or every later delete or refresh fails",
        );
        assert.equal(outs.lastRun?.failed, r.message);
        assert.deepEqual(Object.keys(outs.nodes).sort(), ALL, "no node dropped out");
        k.check(outs, olds);

        c.faults.crashloops.length = 0;
        await comeBack(c, "cp-3");
        c.faults.configNeedsReboot.length = 0;
        const mark = c.log.entries.length;
        const after = k.rerun?.(c);
        const again = await hostUpdate(provider, "fake-rollout", r.outputs, news);
        assert.equal(again.ok, true, again.message);
        after?.();
        for (const n of k.done)
          assert.deepEqual(
            touches(c, n, mark).map((e) => e.call),
            [],
            `${n} finished in the failed run and was touched again`,
          );
        for (const n of ALL) {
          assert.equal(c.node(n).cordoned, false, `${n} left cordoned`);
          assert.equal(stored(again).rolled[n].configHash, stored(again).configHashes[n], n);
        }
      } finally {
        c.stop();
      }
    });
  }

  it("removal: a node fully removed drops out of the stored outputs; one whose removal failed stays, and the rerun finishes only it", async () => {
    const c = await fake({ faults: { resetIgnored: { "w-2": 1000 } } });
    try {
      const { provider } = providerFor();
      const timing = { nodeTimeoutSeconds: 0.3, pollMs: 10 };
      const olds = await created(c, provider, { timing });
      const news = hostInputs(c, { only: ["cp-1", "cp-2", "cp-3"], timing });
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, false);
      assert.match(r.message, /^w-2: its reset could not be confirmed/);
      const outs = stored(r);
      assert.equal(outs.nodes["w-1"], undefined, "w-1 was fully removed");
      assert.equal(outs.rolled["w-1"], undefined);
      assert.ok(!outs.batches.flat().includes("w-1"));
      assert.ok(outs.nodes["w-2"] !== undefined, "w-2's removal is not done");
      assert.ok(outs.lastRun?.removed["w-1"] !== undefined);
      assert.equal(outs.lastRun?.removed["w-2"], undefined);

      c.faults.resetIgnored["w-2"] = 0;
      const mark = c.log.entries.length;
      const again = await hostUpdate(provider, "fake-rollout", r.outputs, news);
      assert.equal(again.ok, true, again.message);
      assert.deepEqual(
        c.log.entries.slice(mark).filter((e) => e.node === "w-1"),
        [],
        "the rerun did not go back to w-1",
      );
      assert.ok(c.kube.deletedNodes.has("w-2"));
    } finally {
      c.stop();
    }
  });

  it("a refusal before anything is done stays a plain error: the old outputs are kept", async () => {
    const c = await fake();
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { kubernetesVersion: "1.34.0" });
      const r = await hostUpdate(provider, "fake-rollout", olds, hostInputs(c, {}));
      assert.equal(r.ok, false);
      assert.match(r.message, /skips a minor release/);
      assert.deepEqual(r.outputs, olds);
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: a clean stop", () => {
  /** Upgrades 4 workers in batches of 2; `ask` is called once w-1 is rebooting. */
  async function stopMidBatch(ask: () => void) {
    const c = await fake({ nodes: clusterNodes(4), rebootMs: 150 });
    const { provider, lines } = providerFor();
    const olds = await created(c, provider, { talosVersion: FROM, maxUnavailableWorkers: 2 });
    // Only the workers need the upgrade: the control planes are already there.
    for (const n of ["cp-1", "cp-2", "cp-3"])
      (olds.rolled as RolloutOutputs["rolled"])[n].talosVersion = TO;
    for (const n of ["cp-1", "cp-2", "cp-3"]) c.node(n).version = TO;
    const news = hostInputs(c, { talosVersion: TO, maxUnavailableWorkers: 2 });
    const running = hostUpdate(provider, "fake-rollout", olds, news);
    await day2.waitFor(() => c.node("w-1").phase === "rebooting", {
      timeoutMs: 5000,
      everyMs: 2,
      describe: () => c.log.toString(),
    });
    ask();
    const r = await running;
    return { c, provider, lines, r, news };
  }

  function assertStoppedAfterFirstBatch(c: FakeCluster, r: HostUpdateResult) {
    assert.equal(r.ok, false);
    assert.match(
      r.message,
      /^stopped before upgrading w-3, w-4, as asked \(.*\); the node in progress was finished and what this run finished is recorded\. Run pulumi up again to resume/,
    );
    for (const n of ["w-1", "w-2"]) {
      assert.equal(c.node(n).version, TO, `${n}: the batch in progress finished`);
      assert.equal(c.node(n).cordoned, false, `${n}: uncordoned`);
      assert.equal(stored(r).rolled[n].talosVersion, TO);
    }
    for (const n of ["w-3", "w-4"]) {
      assert.deepEqual(touches(c, n), [], `${n}: nothing new started`);
      assert.equal(stored(r).rolled[n].talosVersion, FROM);
    }
  }

  it("npm run day2 -- stop mid-batch: the batch finishes, nothing new starts, a rerun resumes", async () => {
    let asked: ReturnType<typeof day2.requestStop>;
    const { c, provider, r, news } = await stopMidBatch(() => {
      asked = day2.requestStop(rolloutWorkDir(), "test");
    });
    try {
      assert.equal(asked?.pid, process.pid, "the running rollout was found");
      assertStoppedAfterFirstBatch(c, r);
      assert.match(r.message, /npm run day2 -- stop asked for it/);
      assert.equal(day2.runningRollout(rolloutWorkDir(), "test"), undefined, "marker removed");
      assert.ok(
        !fs.readdirSync(rolloutWorkDir()).includes(".em-infra"),
        "the markers' folders are removed with them",
      );
      const mark = c.log.entries.length;
      const again = await hostUpdate(provider, "fake-rollout", r.outputs, news);
      assert.equal(again.ok, true, again.message);
      for (const n of ["w-1", "w-2"]) assert.deepEqual(touches(c, n, mark), []);
      for (const n of ["w-3", "w-4"]) assert.equal(c.node(n).version, TO);
    } finally {
      c.stop();
    }
  });

  it("a SIGTERM that reaches the provider stops it the same way", async () => {
    const before = process.listeners("SIGTERM");
    const { c, r } = await stopMidBatch(() => {
      const ours = process.listeners("SIGTERM").filter((l) => !before.includes(l));
      assert.equal(ours.length, 1, "the rollout listens for SIGTERM while it runs");
      // Call the rollout's listener only: emitting the signal would reach the test runner's too.
      for (const l of ours) (l as (s: NodeJS.Signals) => void)("SIGTERM");
    });
    try {
      assertStoppedAfterFirstBatch(c, r);
      assert.match(r.message, /the provider process received SIGTERM/);
      assert.deepEqual(process.listeners("SIGTERM"), before, "listener removed after the run");
    } finally {
      c.stop();
    }
  });

  it("a stop asked for while no rollout runs writes nothing, and a stale request is not obeyed", async () => {
    assert.equal(day2.requestStop(rolloutWorkDir(), "test"), undefined);
    assert.equal(fs.existsSync(path.join(rolloutWorkDir(), ".em-infra")), false);
    // A request left behind (say, by hand) is removed when the next run starts.
    const dir = path.join(rolloutWorkDir(), ".em-infra", "rollout");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "test.stop.json"), "{}\n");
    const c = await fake({
      nodes: clusterNodes(1).filter((n) => n.name === "cp-1" || n.name === "w-1"),
    });
    try {
      const { provider, lines } = providerFor();
      const olds = await created(c, provider, { talosVersion: FROM });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { talosVersion: TO }),
      );
      assert.equal(r.ok, true, r.message);
      assert.ok(lines.includes("removed a stop request made while no rollout was running"));
      assert.ok(!fs.readdirSync(rolloutWorkDir()).includes(".em-infra"));
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: no node left cordoned by us", () => {
  it("a node back late after its staged configuration is uncordoned by the rerun, before anything else", async () => {
    const c = await fake({ faults: { configNeedsReboot: ["w-1"], neverComesBack: ["w-1"] } });
    try {
      const { provider, lines } = providerFor();
      const timing = { nodeTimeoutSeconds: 0.3 };
      const olds = await created(c, provider, { timing });
      const news = hostInputs(c, { extraConfig: "needs a reboot on w-1", timing });
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.match(r.message, /^w-1: did not come back after its staged configuration/);
      await comeBack(c, "w-1");
      assert.equal(c.node("w-1").cordoned, true, "cordoned by the failed run");
      const mark = lines.length;
      const again = await hostUpdate(provider, "fake-rollout", r.outputs, news);
      assert.equal(again.ok, true, again.message);
      assert.equal(c.node("w-1").cordoned, false);
      const sweep = lines.indexOf(
        "w-1: cordoned by an earlier rollout, now at its targets and healthy: uncordoned",
      );
      assert.ok(sweep >= mark, lines.slice(mark).join("\n"));
      assert.ok(sweep < lines.findIndex((l, i) => i >= mark && /^configuration change/.test(l)));
      assert.equal(stored(again).rolled["w-1"].configHash, stored(again).configHashes["w-1"]);
    } finally {
      c.stop();
    }
  });

  it("a node cordoned by someone else, or still behind its targets, stays cordoned by the sweep", async () => {
    const c = await fake();
    const k = day2.createKubeClient({ kubeconfig: c.kubeconfig, endpoint: c.kubernetesEndpoint });
    try {
      const { provider, lines } = providerFor();
      const olds = await created(c, provider, { talosVersion: TO });
      for (const n of ALL) c.node(n).version = TO;
      c.node("w-2").version = FROM; // behind: an interrupted run cordoned it before upgrading
      await k.cordon("w-1"); // an operator's
      await k.cordon("w-2", { annotation: { key: "em-infra.dev/cordoned-by", value: "rollout" } });
      // A change the sweep runs before: maxUnavailableWorkers only, nothing to roll.
      const news = hostInputs(c, { talosVersion: TO, maxUnavailableWorkers: 2 });
      (olds.rolled as RolloutOutputs["rolled"])["w-2"].talosVersion = TO;
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, true, r.message);
      assert.equal(c.node("w-1").cordoned, true, "someone else's cordon stays");
      assert.equal(c.node("w-2").cordoned, true, "not at its targets: stays until rolled");
      assert.ok(
        lines.includes(
          "w-2: cordoned by an earlier rollout and not done (runs Talos v1.13.0); it stays cordoned until rolled",
        ),
      );
    } finally {
      k.close();
      c.stop();
    }
  });
});

describe("day2 rollout: reboots and control planes, as talosctl judges them", () => {
  it("tells a reboot by the boot id, even when the node's clock went backwards", async () => {
    const c = await fake({ faults: { clockBehindAfterReboot: ["w-1"] } });
    try {
      const { provider } = providerFor();
      const timing = { nodeTimeoutSeconds: 1 };
      const olds = await created(c, provider, { talosVersion: FROM, timing });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { talosVersion: TO, timing }),
      );
      assert.equal(r.ok, true, r.message);
      assert.equal(c.node("w-1").version, TO);
      assert.ok(c.log.calls({ node: "w-1", call: "Read" }).length >= 2);
    } finally {
      c.stop();
    }
  });

  it("falls back to the boot time when the talosconfig may not read files", async () => {
    const c = await fake({ faults: { readDenied: ["w-1"] } });
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { talosVersion: FROM });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { talosVersion: TO }),
      );
      assert.equal(r.ok, true, r.message);
      assert.equal(c.node("w-1").version, TO);
      assert.ok(seqOf(c, { node: "w-1", call: "Read", outcome: "PERMISSION_DENIED" }) >= 0);
      assert.ok(c.log.calls({ node: "w-1", call: "SystemStat" }).length >= 2);
    } finally {
      c.stop();
    }
  });

  it("the next control plane waits until the last one's API server, controller manager and scheduler are Ready", async () => {
    const c = await fake({ staticPodReadyMs: 120 });
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { talosVersion: FROM });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { talosVersion: TO }),
      );
      assert.equal(r.ok, true, r.message);
      for (const [a, b] of [
        ["cp-2", "cp-3"],
        ["cp-3", "cp-1"],
      ]) {
        const ready = lastSeqOf(c, a, "static-pods", "ready");
        const nextTouched = touches(c, b)[0].seq;
        assert.ok(ready >= 0 && ready < nextTouched, `${b} touched before ${a}'s pods were Ready`);
      }
    } finally {
      c.stop();
    }
  });

  it("a control plane whose pods never turn Ready stops the run there, naming them", async () => {
    const c = await fake({ faults: { staticPodsNeverReady: ["cp-2"] } });
    try {
      const { provider } = providerFor();
      const timing = { nodeTimeoutSeconds: 0.3 };
      const olds = await created(c, provider, { talosVersion: FROM, timing });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { talosVersion: TO, timing }),
      );
      assert.match(
        r.message,
        /^cp-2: did not come back after upgrade to v1\.13\.3 within 0\.3 s \(last seen: pods not Ready: kube-apiserver, kube-controller-manager, kube-scheduler\)/,
      );
      for (const n of ["cp-1", "cp-3", "w-1", "w-2"]) assert.deepEqual(touches(c, n), [], n);
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: a Kubernetes upgrade counts a component as done only when Ready", () => {
  it("a kube-apiserver that crashloops at the new version stops the run at the first control plane; the others keep the old version", async () => {
    const c = await fake({
      kubernetesVersion: "1.35.2",
      faults: { crashloops: [{ node: "cp-2", component: "kube-apiserver", version: "v1.36.0" }] },
    });
    try {
      const { provider } = providerFor();
      const timing = { nodeTimeoutSeconds: 0.4 };
      const olds = await created(c, provider, { kubernetesVersion: "1.35.2", timing });
      const news = hostInputs(c, { kubernetesVersion: "1.36.0", timing });
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, false);
      assert.match(
        r.message,
        /^cp-2: kube-apiserver did not become Ready at registry\.k8s\.io\/kube-apiserver:v1\.36\.0 \(configuration version 2\) within 0\.4 s \(seen: its pod at configuration version 2, not Ready\); the Kubernetes upgrade stopped here, and no later node or component was touched/,
      );
      for (const n of ["cp-3", "cp-1"]) {
        assert.equal(
          c.node(n).staticPodImages["kube-apiserver"],
          "registry.k8s.io/kube-apiserver:v1.35.2",
          n,
        );
        assert.equal(c.node(n).kubeletVersion, "v1.35.2", n);
      }
      // Pre-pulled everywhere first; otherwise nothing changed on the other nodes.
      for (const n of ["cp-1", "cp-3", "w-1", "w-2"])
        assert.deepEqual(
          touches(c, n).filter((e) => e.call !== "ImagePull"),
          [],
          n,
        );
      assert.equal(
        stored(r).rolled["cp-2"].kubernetesVersion,
        "1.35.2",
        "cp-2 is not recorded as done",
      );
    } finally {
      c.stop();
    }
  });

  it("pre-pulls every image the upgrade needs on every node before any change: the kubelet (system), the control-plane pods (CRI)", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2" });
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { kubernetesVersion: "1.35.2" });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { kubernetesVersion: "1.36.0" }),
      );
      assert.equal(r.ok, true, r.message);
      const firstApply = seqOf(c, { call: "ApplyConfiguration" });
      for (const n of ALL) {
        const want = [{ ref: "ghcr.io/siderolabs/kubelet:v1.36.0", namespace: "NS_SYSTEM" }];
        if (n.startsWith("cp-"))
          for (const comp of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
            want.push({ ref: `registry.k8s.io/${comp}:v1.36.0`, namespace: "NS_CRI" });
        assert.deepEqual(c.node(n).pulled, want, n);
        const pulls = c.log.entries.filter((e) => e.node === n && e.call === "ImagePull");
        assert.ok(pulls[pulls.length - 1].seq < firstApply, `${n} pulled before any apply`);
      }
    } finally {
      c.stop();
    }
  });

  it("an image that cannot be pulled stops the upgrade before any configuration is applied", async () => {
    const c = await fake({
      kubernetesVersion: "1.35.2",
      faults: { badImages: ["registry.k8s.io/kube-scheduler:v1.36.0"] },
    });
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { kubernetesVersion: "1.35.2" });
      const r = await hostUpdate(
        provider,
        "fake-rollout",
        olds,
        hostInputs(c, { kubernetesVersion: "1.36.0" }),
      );
      assert.equal(r.ok, false);
      assert.match(
        r.message,
        /^cp-\d: pre-pulling registry\.k8s\.io\/kube-scheduler:v1\.36\.0 for Kubernetes v1\.36\.0 failed, so nothing was changed on any node: /,
      );
      assert.equal(c.log.calls({ call: "ApplyConfiguration" }).length, 0);
      for (const n of ALL) assert.equal(c.node(n).kubeletVersion, "v1.35.2", n);
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: a Kubernetes bump every node's Talos must support", () => {
  const support = { kubernetesSupport: [...TALOS_SUPPORT] };

  it("is refused at preview when the state records a node on a Talos that does not run the target", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2" });
    try {
      const { provider } = providerFor();
      const olds = (await created(c, provider, {
        kubernetesVersion: "1.35.2",
      })) as unknown as RolloutOutputs;
      // A Talos upgrade that failed part-way left cp-3 recorded at v1.12.5.
      olds.rolled["cp-3"].talosVersion = "v1.12.5";
      const news = { ...hostInputs(c, { kubernetesVersion: "1.36.0" }), ...support };
      await assert.rejects(
        provider.diff("fake-rollout", olds, news),
        /cp-3: runs Talos v1\.12\.5 \(as recorded\), which runs Kubernetes 1\.30 to 1\.35, not 1\.36; bring every node to Talos v1\.13\.0 first, then bump Kubernetes/,
      );
      assert.equal(
        c.log.calls().filter((e) => e.call !== "state").length,
        0,
        "preview dials nothing",
      );
    } finally {
      c.stop();
    }
  });

  it("is checked again against the nodes at update: a node that runs an older Talos stops it before any change", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2" });
    try {
      const { provider } = providerFor();
      const olds = await created(c, provider, { kubernetesVersion: "1.35.2" });
      c.node("w-2").version = "v1.12.5";
      const news = { ...hostInputs(c, { kubernetesVersion: "1.36.0" }), ...support };
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, false);
      assert.match(
        r.message,
        /^w-2: runs Talos v1\.12\.5, which runs Kubernetes 1\.30 to 1\.35, not 1\.36; nothing was changed on any node/,
      );
      assert.equal(c.log.calls({ call: "ApplyConfiguration" }).length, 0);
      assert.equal(c.log.calls({ call: "ImagePull" }).length, 0);
    } finally {
      c.stop();
    }
  });
});
