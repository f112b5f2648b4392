/**
 * The rollout engine's Talos upgrade against the fake cluster: order and overlap from
 * the call log, idempotent reruns, resume after a failure or an interruption, and every
 * fault stopping the rollout at the right node with nothing else touched.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import type { FakeCluster } from "../packages/day2/fake";
import { rejection } from "./support/day2";
import {
  clusterNodes,
  fake,
  inputsFor,
  lastSeqOf,
  providerFor,
  seqOf,
  touches,
  type RolloutOutputs,
} from "./support/rollout";

const FROM = "v1.13.0";
const TO = "v1.13.3";
const CPS = ["cp-1", "cp-2", "cp-3"];
/** One control plane and one worker. */
const SMALL = clusterNodes(1).filter((n) => n.name === "cp-1" || n.name === "w-1");

/** A cluster created at FROM (the provider's create), and the inputs for TO. */
async function setUp(
  cluster: FakeCluster,
  o: Parameters<typeof inputsFor>[1] = {},
  extra: Parameters<typeof providerFor>[0] = {},
) {
  const { provider, lines } = providerFor(extra);
  const created = await provider.create(inputsFor(cluster, { ...o, talosVersion: FROM }));
  const news = inputsFor(cluster, { ...o, talosVersion: TO });
  return { provider, lines, olds: created.outs as RolloutOutputs, news };
}

function untouched(cluster: FakeCluster, nodes: string[], since = 0) {
  for (const n of nodes)
    assert.deepEqual(
      touches(cluster, n, since).map((e) => `${e.call} ${e.outcome}`),
      [],
      `${n} was touched:\n${cluster.log.toString()}`,
    );
}

describe("day2 rollout: Talos upgrade", () => {
  it("rolls control planes one at a time (bootstrap last), then worker batches of at most 2", async () => {
    const c = await fake({ nodes: clusterNodes(4), rebootMs: 10 });
    try {
      const { provider, lines, olds, news } = await setUp(c, { maxUnavailableWorkers: 2 });
      assert.deepEqual(news.batches, [
        ["cp-2"],
        ["cp-3"],
        ["cp-1"],
        ["w-1", "w-2"],
        ["w-3", "w-4"],
      ]);
      const { outs } = await provider.update("fake-rollout", olds, news);
      const all = c.nodes.map((n) => n.name);
      for (const n of all) assert.equal(c.node(n).version, TO, n);
      assert.equal(c.log.maxConcurrentDown(CPS), 1, c.log.toString());
      assert.equal(c.log.maxConcurrentDown(["w-1", "w-2", "w-3", "w-4"]), 2, c.log.toString());
      const reboot = (n: string) => seqOf(c, { node: n, call: "Reboot" });
      const order = ["cp-2", "cp-3", "cp-1", "w-1", "w-3"];
      for (let i = 1; i < order.length; i++)
        assert.ok(reboot(order[i - 1]) < reboot(order[i]), `${order[i - 1]} before ${order[i]}`);
      // The next control plane is touched only after the previous one is back.
      for (const [a, b] of [
        ["cp-2", "cp-3"],
        ["cp-3", "cp-1"],
      ]) {
        const back = { seq: lastSeqOf(c, a, "state", "running") };
        assert.ok(back.seq < touches(c, b)[0].seq, `${b} touched before ${a} was back`);
      }
      for (const n of all) {
        // talosctl's order: pull, stage (install to the other partition), then drain.
        const pull = seqOf(c, { node: n, call: "ImagePull" });
        const stage = seqOf(c, { node: n, call: "LifecycleService.Upgrade" });
        const cordon = seqOf(c, { node: n, call: "PATCH node" });
        const reboot = seqOf(c, { node: n, call: "Reboot" });
        assert.ok(pull >= 0 && pull < stage, `${n}: pull before the upgrade is staged`);
        assert.ok(stage < cordon, `${n}: staged before the cordon`);
        assert.ok(
          seqOf(c, { node: n, call: "POST eviction" }, cordon) < reboot,
          `${n}: drained before the reboot`,
        );
        const lastUp = { seq: lastSeqOf(c, n, "state", "running") };
        const uncordon = { seq: lastSeqOf(c, n, "PATCH node") };
        assert.ok(lastUp.seq < uncordon.seq, `${n}: uncordoned after it was back`);
        assert.equal(c.node(n).cordoned, false, n);
        assert.equal(outs.rolled[n].talosVersion, TO);
      }
      assert.ok(
        lines.some((l) =>
          /^\[Talos v1\.13\.3, control plane 1\/3\] cp-2: stage the upgrade to v1\.13\.3 done \(\d+/.test(
            l,
          ),
        ),
        lines.join("\n"),
      );
      assert.ok(!lines.some((l) => /WARNING/.test(l)));
      // A rerun with nothing to do: diff says no change (so the engine never calls
      // update); an update all the same only reads (the cordon sweep lists the Nodes).
      const { changes } = await provider.diff("fake-rollout", outs, news);
      assert.equal(changes, false);
      const mark = c.log.entries.length;
      await provider.update("fake-rollout", outs, news);
      for (const n of all) assert.deepEqual(touches(c, n, mark), [], c.log.toString());
      assert.deepEqual([...new Set(c.log.entries.slice(mark).map((e) => e.call))].sort(), [
        "GET nodes",
        "Kubeconfig",
      ]);
    } finally {
      c.stop();
    }
  });

  it("resumes after a node that never came back: names it, touches nothing after it, skips finished nodes on rerun", async () => {
    const c = await fake({ faults: { neverComesBack: ["cp-3"] } });
    try {
      const { provider, olds, news } = await setUp(c, { timing: { nodeTimeoutSeconds: 0.3 } });
      const err = await rejection(provider.update("fake-rollout", olds, news));
      assert.match(
        err.message,
        /^cp-3: did not come back after upgrade to v1\.13\.3 within 0\.3 s \(last seen: Talos API: connection refused at 127\.0\.0\.1:\d+\); the rollout stopped here and touched no other node/,
      );
      assert.equal(c.node("cp-2").version, TO);
      untouched(c, ["cp-1", "w-1", "w-2"]);
      // The operator brings cp-3 back; it boots the staged version, still cordoned by us.
      c.faults.neverComesBack.length = 0;
      await c.node("cp-3").rebootNow("power cycled by the operator");
      await day2.waitFor(() => c.node("cp-3").phase === "running", {
        timeoutMs: 2000,
        describe: () => c.log.toString(),
      });
      assert.equal(c.node("cp-3").cordoned, true);
      const mark = c.log.entries.length;
      await provider.update("fake-rollout", olds, news);
      for (const n of c.nodes.map((x) => x.name)) assert.equal(c.node(n).version, TO, n);
      for (const n of ["cp-2", "cp-3"])
        assert.equal(
          seqOf(c, { node: n, call: "LifecycleService.Upgrade" }, mark),
          -1,
          `${n} upgraded again`,
        );
      assert.equal(c.node("cp-3").cordoned, false, "the rerun finished cp-3's uncordon");
    } finally {
      c.stop();
    }
  });

  it("after an interruption, uncordons what it cordoned and never what someone else cordoned", async () => {
    const c = await fake();
    const k = day2.createKubeClient({ kubeconfig: c.kubeconfig, endpoint: c.kubernetesEndpoint });
    try {
      const { provider, olds, news } = await setUp(c);
      // w-1: upgraded by an interrupted run, still cordoned by it.
      c.node("w-1").version = TO;
      await k.cordon("w-1", { annotation: { key: "em-infra.dev/cordoned-by", value: "rollout" } });
      // w-2: cordoned by an operator; it still needs the upgrade.
      await k.cordon("w-2");
      await provider.update("fake-rollout", olds, news);
      assert.equal(seqOf(c, { node: "w-1", call: "LifecycleService.Upgrade" }), -1);
      assert.equal(c.node("w-1").cordoned, false);
      assert.equal(c.node("w-2").version, TO);
      assert.equal(c.node("w-2").cordoned, true, "someone else's cordon stays");
    } finally {
      k.close();
      c.stop();
    }
  });

  it("upgrades a single control plane, warning first that the API goes down", async () => {
    const c = await fake({ nodes: SMALL });
    try {
      const { provider, lines, olds, news } = await setUp(c);
      const { outs } = await provider.update("fake-rollout", olds, news);
      assert.equal(c.node("cp-1").version, TO);
      assert.equal(c.node("w-1").version, TO);
      const warn = lines.findIndex((l) =>
        /WARNING: single control plane: the Kubernetes API is down while cp-1 restarts/.test(l),
      );
      assert.ok(
        warn >= 0 &&
          warn <
            lines.findIndex((l) => /^\[Talos v1\.13\.3, control plane 1\/1\] cp-1: reboot/.test(l)),
        lines.join("\n"),
      );
      assert.equal(outs.lastRun?.warnings.length, 1);
    } finally {
      c.stop();
    }
  });

  it("falls back to the legacy upgrade on a node before v1.13, which reboots by itself", async () => {
    const c = await fake({ nodes: SMALL, faults: { legacyOnly: ["w-1"] } });
    try {
      const { provider, olds, news } = await setUp(c);
      await provider.update("fake-rollout", olds, news);
      assert.equal(c.node("w-1").version, TO);
      assert.equal(seqOf(c, { node: "w-1", call: "Reboot" }), -1);
      assert.ok(seqOf(c, { node: "w-1", call: "Upgrade" }) >= 0);
    } finally {
      c.stop();
    }
  });

  describe("each fault stops the rollout at the right node, nothing else touched", () => {
    it("a node back at the wrong version", async () => {
      const c = await fake({ faults: { wrongVersionAfterUpgrade: { "cp-3": "v1.13.1" } } });
      try {
        const { provider, olds, news } = await setUp(c);
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /^cp-3: came back after upgrade to v1\.13\.3 running Talos v1\.13\.1, not v1\.13\.3/,
        );
        untouched(c, ["cp-1", "w-1", "w-2"]);
      } finally {
        c.stop();
      }
    });

    it("an unhealthy etcd member: the preflight refuses before anything", async () => {
      const c = await fake({ faults: { unhealthyEtcd: ["cp-3"] } });
      try {
        const { provider, olds, news } = await setUp(c);
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /^preflight before upgrading cp-2 refused, nothing was changed on it: etcd member cp-3 reports etcdserver: member is unhealthy/,
        );
        untouched(
          c,
          c.nodes.map((n) => n.name),
        );
      } finally {
        c.stop();
      }
    });

    it("a 2-member etcd is refused: add a third control plane first", async () => {
      const c = await fake({ faults: { etcdMembers: ["cp-1", "cp-2"] } });
      try {
        const { provider, olds, news } = await setUp(c, { only: ["cp-1", "cp-2", "w-1"] });
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /etcd has exactly 2 members \(cp-1, cp-2\).*add a third control plane first/,
        );
        untouched(
          c,
          c.nodes.map((n) => n.name),
        );
      } finally {
        c.stop();
      }
    });

    it("a PodDisruptionBudget that never allows eviction: the drain deadline fails clearly, the staged upgrade not rebooted into", async () => {
      const c = await fake({ faults: { pdbNeverAllows: ["default/app-w-1"] } });
      try {
        const { provider, olds, news } = await setUp(c, { timing: { drainTimeoutSeconds: 0.2 } });
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /node\/w-1: drain failed.*pod default\/app-w-1 could not be evicted within the 200 ms drain deadline/,
        );
        // Staged first (as talosctl does), so the failed drain left it staged, not rebooted.
        assert.ok(seqOf(c, { node: "w-1", call: "LifecycleService.Upgrade" }) >= 0);
        assert.equal(seqOf(c, { node: "w-1", call: "Reboot" }), -1);
        assert.equal(c.node("w-1").version, FROM);
        untouched(c, ["w-2"]);
      } finally {
        c.stop();
      }
    });

    it("a call that hangs past its deadline", async () => {
      const c = await fake({
        faults: { hang: [{ node: "cp-3", call: "LifecycleService.Upgrade" }] },
      });
      try {
        const { provider, olds, news } = await setUp(c, {}, { longTimeoutMs: 150 });
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /^cp-3 \(10\.20\.0\.13 via 127\.0\.0\.1:\d+\): Talos LifecycleService\.Upgrade failed: DEADLINE_EXCEEDED: no answer within 150 ms/,
        );
        untouched(c, ["cp-1", "w-1", "w-2"]);
      } finally {
        c.stop();
      }
    });

    it("an installer image that cannot be pulled fails before the node is drained", async () => {
      const c = await fake();
      try {
        const { provider, news, olds } = await setUp(c);
        c.faults.badImages.push(news.nodes["cp-2"].installer);
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /^cp-2 \(10\.20\.0\.12 via [^)]+\): Talos ImagePull failed: NOT_FOUND/,
        );
        untouched(c, ["cp-1", "cp-3", "w-1", "w-2"]);
        assert.deepEqual(
          touches(c, "cp-2").map((e) => e.call),
          ["ImagePull"],
        );
      } finally {
        c.stop();
      }
    });

    it("a reboot that drops the connection counts as done", async () => {
      const c = await fake({ nodes: SMALL, faults: { rebootDropsConnection: ["w-1"] } });
      try {
        const { provider, olds, news } = await setUp(c);
        await provider.update("fake-rollout", olds, news);
        assert.equal(c.node("w-1").version, TO);
      } finally {
        c.stop();
      }
    });

    for (const [fault, node, pattern] of [
      ["connectionRefused", "w-2", /UNAVAILABLE: connection refused/],
      ["wrongCertIp", "w-1", /TLS: server certificate is not valid for 10\.20\.0\.21/],
    ] as const) {
      it(`${fault}: found before any node is touched`, async () => {
        const c = await fake({ faults: { [fault]: [node] } });
        try {
          const { provider, olds, news } = await setUp(c);
          const err = await rejection(provider.update("fake-rollout", olds, news));
          assert.match(
            err.message,
            new RegExp(
              `^${node}: could not ask for its Talos version before the upgrade, nothing was changed on any node`,
            ),
          );
          assert.match(err.message, pattern);
          untouched(
            c,
            c.nodes.map((n) => n.name),
          );
        } finally {
          c.stop();
        }
      });
    }
  });
});
