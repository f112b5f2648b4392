/**
 * Node removal (the rollout's first step) against the fake cluster: the order of calls
 * for a worker and a control plane (Talos's graceful-reset order: drain, leave etcd,
 * wipe), quorum refusals, a node already down, a drain that a PodDisruptionBudget
 * blocks, a reset confirmed in maintenance mode (retried, or never confirmed), and the
 * VIP moving away from a removed control plane.
 */
import { strict as assert } from "assert";
import type { FakeCluster } from "../packages/day2/fake";
import { rejection } from "./support/day2";
import { hostUpdate } from "../tools/offline/engine";
import {
  fake,
  inputsFor,
  providerFor,
  seqOf,
  touches,
  type RolloutOutputs,
} from "./support/rollout";

const ALL = ["cp-1", "cp-2", "cp-3", "w-1", "w-2"];

/** The stored outputs of a created cluster of every fake node, and inputs without `gone`. */
async function removing(c: FakeCluster, gone: string[], o: Parameters<typeof inputsFor>[1] = {}) {
  const { provider, lines } = providerFor();
  const olds = (await provider.create(inputsFor(c, o))).outs as RolloutOutputs;
  const keep = ALL.filter((n) => !gone.includes(n));
  const news = inputsFor(c, { ...o, only: keep, bootstrapNode: keep[0] });
  return { provider, lines, olds, news };
}

/** Positions of the first call matching each step, asserted strictly increasing. */
function inOrder(c: FakeCluster, steps: [string, string | RegExp][], since = 0) {
  const seqs = steps.map(([node, call]) => seqOf(c, { node, call }, since));
  steps.forEach(([node, call], i) =>
    assert.ok(seqs[i] >= 0, `no ${String(call)} on ${node}:\n${c.log.toString()}`),
  );
  for (let i = 1; i < seqs.length; i++)
    assert.ok(
      seqs[i - 1] < seqs[i],
      `${String(steps[i - 1][1])} before ${String(steps[i][1])}:\n${c.log.toString()}`,
    );
  return seqs;
}

describe("day2 rollout: removing nodes", () => {
  it("a worker: cordon, drain, graceful reset wiping STATE and EPHEMERAL, confirmed in maintenance mode, Node deleted", async () => {
    const c = await fake();
    try {
      const { provider, olds, news } = await removing(c, ["w-2"]);
      assert.equal((await provider.diff("fake-rollout", olds, news)).changes, true);
      const { outs } = await provider.update("fake-rollout", olds, news);
      inOrder(c, [
        ["w-2", "PATCH node"],
        ["w-2", "POST eviction"],
        ["w-2", "Reset"],
        ["w-2", "DELETE node"],
      ]);
      assert.deepEqual(c.node("w-2").wiped, ["STATE", "EPHEMERAL"]);
      // The Node is deleted only once the node answers in maintenance mode.
      const maintenance = seqOf(c, { node: "w-2", call: "state", outcome: "maintenance" });
      assert.ok(maintenance >= 0 && maintenance < seqOf(c, { node: "w-2", call: "DELETE node" }));
      assert.equal(c.node("w-2").phase, "maintenance");
      assert.ok(c.kube.deletedNodes.has("w-2"));
      assert.equal(outs.nodes["w-2"], undefined);
      assert.equal(outs.rolled["w-2"], undefined);
      assert.deepEqual(outs.lastRun?.removed["w-2"], {
        role: "worker",
        reachable: true,
        done: [
          "cordon and drain",
          "Talos reset, graceful, STATE and EPHEMERAL wiped, confirmed in maintenance mode",
          "Node object deleted",
        ],
        notDone: [],
      });
      for (const n of ["cp-1", "cp-2", "cp-3", "w-1"]) assert.deepEqual(touches(c, n), []);
    } finally {
      c.stop();
    }
  });

  it("the bootstrap control plane: quorum, drain, forfeit, leave, confirm on a peer, reset without a second leave, Node deleted; another control plane serves afterwards", async () => {
    const c = await fake();
    try {
      // A pod the drain must evict, so that the drain shows in the log.
      c.kube.pods.set("default/app-cp-1", {
        namespace: "default",
        name: "app-cp-1",
        node: "cp-1",
        ownerKind: "ReplicaSet",
      });
      const { provider, olds, news } = await removing(c, ["cp-1"]);
      assert.equal(olds.bootstrapNode, "cp-1");
      assert.equal(news.bootstrapNode, "cp-2");
      const cp1 = c.etcd.memberOf("cp-1")!.id;
      const { outs } = await provider.update("fake-rollout", olds, news);
      const [, , , leave] = inOrder(c, [
        ["cp-1", "PATCH node"],
        ["cp-1", "POST eviction"],
        ["cp-1", "EtcdForfeitLeadership"],
        ["cp-1", "EtcdLeaveCluster"],
      ]);
      // The drain came before the leave: cp-1 was still a member while it drained.
      const drained = seqOf(c, { node: "cp-1", call: "POST eviction" });
      assert.ok(drained < leave);
      inOrder(
        c,
        [
          ["cp-2", "EtcdMemberList"],
          ["cp-1", "Reset"],
          ["cp-1", "DELETE node"],
        ],
        leave,
      );
      assert.equal(c.log.calls({ call: "EtcdLeaveCluster" }).length, 1, "no second leave");
      assert.equal(c.log.calls({ call: "EtcdRemoveMemberByID" }).length, 0);
      assert.deepEqual(c.etcd.members.map((m) => m.hostname).sort(), ["cp-2", "cp-3"]);
      assert.ok(!c.etcd.members.some((m) => m.id === cp1));
      assert.deepEqual(c.node("cp-1").wiped, ["STATE", "EPHEMERAL"]);
      assert.equal(c.log.calls({ node: "cp-1", call: "Kubeconfig" }).length, 0);
      // The next run (a configuration change) gets its kubeconfig from cp-2, never cp-1.
      const mark = c.log.entries.length;
      const next = inputsFor(c, {
        only: ["cp-2", "cp-3", "w-1", "w-2"],
        bootstrapNode: "cp-2",
        extraConfig: "after",
      });
      await provider.update("fake-rollout", outs, next);
      assert.ok(seqOf(c, { node: "cp-2", call: "Kubeconfig" }, mark) >= 0);
      assert.equal(c.log.entries.slice(mark).filter((e) => e.node === "cp-1").length, 0);
    } finally {
      c.stop();
    }
  });

  it("a worker and a control plane in one edit: the worker first", async () => {
    const c = await fake();
    try {
      const { provider, olds, news } = await removing(c, ["cp-3", "w-1"]);
      await provider.update("fake-rollout", olds, news);
      const w = seqOf(c, { node: "w-1", call: "DELETE node" });
      assert.ok(w >= 0 && w < touches(c, "cp-3")[0].seq, c.log.toString());
      assert.ok(c.kube.deletedNodes.has("cp-3"));
      assert.equal(c.etcd.memberOf("cp-3"), undefined);
    } finally {
      c.stop();
    }
  });

  it("refuses when quorum would break, before doing anything", async () => {
    const c = await fake({ faults: { unhealthyEtcd: ["cp-2"] } });
    try {
      const { provider, olds, news } = await removing(c, ["cp-3", "w-2"]);
      const err = await rejection(provider.update("fake-rollout", olds, news));
      assert.match(
        err.message,
        /^refusing to remove cp-3: removing cp-3 would break etcd quorum \(1 of 2 remaining members healthy, 2 needed\)\. Nothing was done on any node/,
      );
      for (const n of ALL) assert.deepEqual(touches(c, n), [], n);
    } finally {
      c.stop();
    }
  });

  it("a control plane already down: its member removed by id from a peer, its Node deleted, and says what was not done", async () => {
    const c = await fake({ faults: { connectionRefused: ["cp-3"] } });
    try {
      const { provider, lines, olds, news } = await removing(c, ["cp-3"]);
      const id = c.etcd.memberOf("cp-3")!.id;
      const { outs } = await provider.update("fake-rollout", olds, news);
      const removal = c.log.calls({ call: "EtcdRemoveMemberByID" });
      assert.equal(removal.length, 1);
      assert.notEqual(removal[0].node, "cp-3");
      assert.equal(
        c.etcd.members.some((m) => m.id === id),
        false,
      );
      assert.ok(c.kube.deletedNodes.has("cp-3"));
      const report = outs.lastRun!.removed["cp-3"];
      assert.equal(report.reachable, false);
      assert.deepEqual(
        report.notDone.map((s) => s.split(":")[0]),
        ["drain", "etcd leave on the node", "Talos reset"],
      );
      assert.match(report.notDone[2], /did not answer \(cp-3 .*connection refused/);
      assert.ok(
        lines.some((l) =>
          /^\[removal 1\/1\] WARNING: cp-3: could not drain, etcd leave on the node, Talos reset on the node itself/.test(
            l,
          ),
        ),
      );
      assert.equal(outs.lastRun!.warnings.length, 2);
    } finally {
      c.stop();
    }
  });

  it("a drain a PodDisruptionBudget blocks until its deadline: a clear failure, nothing reset", async () => {
    const c = await fake({ faults: { pdbNeverAllows: ["default/app-w-2"] } });
    try {
      const { provider, olds, news } = await removing(c, ["w-2"], {
        timing: { drainTimeoutSeconds: 0.2 },
      });
      const err = await rejection(provider.update("fake-rollout", olds, news));
      assert.match(
        err.message,
        /^w-2: could not be drained for its removal, so nothing else was done on it \(its etcd membership and data are untouched\) and it stays cordoned: node\/w-2: drain failed.*default\/app-w-2 could not be evicted within the 200 ms drain deadline/,
      );
      assert.equal(c.log.calls({ call: "Reset" }).length, 0);
      assert.equal(c.log.calls({ call: "DELETE node" }).length, 0);
      assert.equal(c.node("w-2").phase, "running");
    } finally {
      c.stop();
    }
  });

  it("a control plane whose drain fails keeps its etcd membership, is named, and stays recorded", async () => {
    const c = await fake({ faults: { pdbNeverAllows: ["default/app-cp-3"] } });
    try {
      c.kube.pods.set("default/app-cp-3", {
        namespace: "default",
        name: "app-cp-3",
        node: "cp-3",
        ownerKind: "ReplicaSet",
        pdb: "never",
      });
      const { provider, olds, news } = await removing(c, ["cp-3"], {
        timing: { drainTimeoutSeconds: 0.2 },
      });
      const members = c.etcd.members.map((m) => m.hostname).sort();
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, false);
      assert.match(
        r.message,
        /^cp-3: could not be drained for its removal, so nothing else was done on it \(its etcd membership and data are untouched\)/,
      );
      assert.deepEqual(c.etcd.members.map((m) => m.hostname).sort(), members);
      for (const call of [
        "EtcdForfeitLeadership",
        "EtcdLeaveCluster",
        "EtcdRemoveMemberByID",
        "Reset",
      ])
        assert.equal(c.log.calls({ call }).length, 0, call);
      // Its removal is not done: the stored outputs still hold it, so its VM is kept.
      const nodes = (r.outputs as RolloutOutputs).nodes;
      assert.ok(nodes["cp-3"] !== undefined);
    } finally {
      c.stop();
    }
  });

  it("a reset that answers but does not take is asked again, then confirmed", async () => {
    const c = await fake({ faults: { resetIgnored: { "w-2": 1 } } });
    try {
      const { provider, lines, olds, news } = await removing(c, ["w-2"], {
        timing: { nodeTimeoutSeconds: 1, pollMs: 10 },
      });
      await provider.update("fake-rollout", olds, news);
      assert.equal(c.log.calls({ node: "w-2", call: "Reset" }).length, 2);
      assert.equal(c.node("w-2").phase, "maintenance");
      assert.ok(
        lines.some((l) =>
          /^\[removal 1\/1\] w-2: still serves the cluster's certificate; asking for the reset again$/.test(
            l,
          ),
        ),
      );
    } finally {
      c.stop();
    }
  });

  it("a reset never confirmed: the node is named, its removal is not recorded, and a rerun finishes it", async () => {
    const c = await fake({ faults: { resetIgnored: { "w-2": 1000 } } });
    try {
      const { provider, olds, news } = await removing(c, ["w-2"], {
        timing: { nodeTimeoutSeconds: 0.3, pollMs: 10 },
      });
      const r = await hostUpdate(provider, "fake-rollout", olds, news);
      assert.equal(r.ok, false);
      assert.match(
        r.message,
        /^w-2: its reset could not be confirmed within 0\.3 s after \d+ reset call\(s\): a wiped node answers only in maintenance mode, with a certificate the cluster's CA did not issue \(last seen: serves the cluster's certificate for 10\.20\.0\.22\)\. Its removal is not recorded as done/,
      );
      assert.equal(c.kube.deletedNodes.has("w-2"), false, "its Node is kept");
      const stored = r.outputs as RolloutOutputs;
      assert.ok(stored.nodes["w-2"] !== undefined, "still recorded, so its VM is not deleted");
      assert.equal(stored.lastRun?.failed, r.message);
      // The reset takes at last; the rerun, fed the stored outputs, finishes the removal.
      c.faults.resetIgnored["w-2"] = 0;
      const again = await hostUpdate(provider, "fake-rollout", stored, news);
      assert.equal(again.ok, true, again.message);
      assert.equal(c.node("w-2").phase, "maintenance");
      assert.ok(c.kube.deletedNodes.has("w-2"));
      assert.equal((again.outputs as RolloutOutputs).nodes["w-2"], undefined);
    } finally {
      c.stop();
    }
  });

  it("a node an earlier run wiped answers only in maintenance mode: the rerun does the cluster's side only", async () => {
    const c = await fake();
    try {
      const { provider, lines, olds, news } = await removing(c, ["w-2"]);
      // An earlier run reset w-2 and failed before deleting its Node.
      const t = (await import("./support/day2")).talosFor(c);
      await t.reset("w-2", {
        graceful: true,
        reboot: true,
        systemPartitionsToWipe: ["STATE", "EPHEMERAL"],
      });
      t.close();
      await (
        await import("../packages/day2")
      ).waitFor(() => c.node("w-2").phase === "maintenance", {
        timeoutMs: 2000,
        describe: () => c.log.toString(),
      });
      const mark = c.log.entries.length;
      const { outs } = await provider.update("fake-rollout", olds, news);
      assert.equal(
        c.log.calls({ node: "w-2", call: "Reset" }).filter((e) => e.seq >= mark).length,
        0,
      );
      assert.ok(c.kube.deletedNodes.has("w-2"));
      assert.ok(
        lines.some((l) =>
          /^w-2: already wiped \(serves a certificate the cluster's CA did not issue/.test(l),
        ),
      );
      assert.deepEqual(outs.lastRun?.removed["w-2"].done, [
        "already reset: answers only in maintenance mode",
        "Node object deleted",
      ]);
    } finally {
      c.stop();
    }
  });

  it("removing the control plane that holds the VIP: Kubernetes calls ride out the move", async () => {
    const c = await fake({ vip: { holder: "cp-1", moveMs: 300 } });
    try {
      const { provider, olds, news } = await removing(c, ["cp-1"]);
      const withVip = { ...news, vip: "10.20.0.10", clusterEndpoint: "https://10.20.0.10:6443" };
      const oldsVip = { ...olds, vip: "10.20.0.10", clusterEndpoint: "https://10.20.0.10:6443" };
      const { outs } = await provider.update("fake-rollout", oldsVip, withVip);
      assert.ok(
        seqOf(c, { node: "kubernetes", call: "api", outcome: "down" }) >= 0,
        c.log.toString(),
      );
      assert.ok(c.kube.deletedNodes.has("cp-1"));
      assert.deepEqual(outs.lastRun?.removed["cp-1"].done.slice(-1), ["Node object deleted"]);
      assert.equal(c.vip?.holder, "cp-2");
    } finally {
      c.stop();
    }
  });

  it("refuses a protected node in update too, before anything", async () => {
    const c = await fake();
    try {
      const { provider, olds, news } = await removing(c, ["w-2"], { protect: ["w-2"] });
      await assert.rejects(
        provider.diff("fake-rollout", olds, news),
        /w-2: removing a protected node is refused; set protect: false in a separate pulumi up first/,
      );
      await assert.rejects(
        provider.update("fake-rollout", olds, news),
        /w-2: removing a protected node is refused/,
      );
      for (const n of ALL) assert.deepEqual(touches(c, n), [], n);
    } finally {
      c.stop();
    }
  });
});
