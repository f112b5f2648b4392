// @ts-check
/**
 * Decommissioning the nodes that left the inventory, before Pulumi deletes their VMs:
 * workers first, then control planes one at a time, each in the order of Talos's own
 * graceful reset (`v1alpha1_sequencer.go`, v1.13: cordon and drain, then leave etcd,
 * then wipe):
 * - a worker: cordon and drain, reset, delete its Node;
 * - a control plane: quorum check (Omni's CanScaleDown), cordon and drain, forfeit etcd
 *   leadership, leave etcd, confirm on a peer (remove by id if still listed), reset,
 *   delete its Node. A failed drain leaves etcd untouched.
 * Every reset wipes STATE and EPHEMERAL and reboots, and is confirmed as Omni confirms
 * it: the node must come back answering only in maintenance mode, with no cluster
 * certificate, the reset retried until the node deadline. (The cloud-init drive carries
 * network metadata only, so a wiped node cannot rejoin.) A node that does not answer is
 * not a dead end: its member is removed by id from a peer, its Node is deleted, and the
 * report says what was not done on it.
 */
"use strict";

const { removedNodes, scaleDownRefusal } = require("./plan");
const { etcdHealth } = require("./preflight");
const { cordonAndDrain } = require("./node");
const { isUnreachable } = require("./session");
const { delay } = require("../lib/retry");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RemovalReport} RemovalReport
 * @typedef {import("./types").RolloutProgress} RolloutProgress
 */

const WIPE = ["STATE", "EPHEMERAL"];

/**
 * How a removed node answers: `reachable` (its Talos API, with the cluster's
 * certificates), `wiped` (only in maintenance mode: an earlier run reset it), or
 * `unreachable`, with why.
 * @typedef {{ kind: "reachable" } | { kind: "wiped", why: string } | { kind: "unreachable", why: string }} Reach
 */

/**
 * Removes every node in the stored outputs that left the inventory, recording each
 * one in `progress.removed` once it is fully done.
 * @param {Session} session
 * @param {RolloutProgress} progress
 * @returns {Promise<Record<string, RemovalReport>>}
 */
async function decommission(session, progress) {
  const { olds, news } = session;
  const { workers, controlPlanes } = removedNodes(olds, news);
  const all = [...workers, ...controlPlanes];
  if (all.length === 0) return {};
  const protectedOnes = all.filter((n) => olds.nodes[n].protect === true);
  if (protectedOnes.length > 0)
    throw new Error(
      `${protectedOnes.join(", ")}: removing a protected node is refused; set protect: false in a separate pulumi up first. Nothing was done`,
    );
  for (const n of all) session.leaving.add(n);
  session.log(`removing ${all.join(", ")} (workers first, then control planes one at a time)`);

  /** @type {Record<string, Reach>} */
  const reach = {};
  await Promise.all(
    all.map(async (n) => {
      reach[n] = await reachOf(session, n);
      if (reach[n].kind === "unreachable")
        session.warn(`${n} does not answer; what needs the node itself will be skipped`);
      if (reach[n].kind === "wiped")
        session.log(`${n}: already wiped (${reach[n].why}); only the cluster's side is left`);
    }),
  );

  // Each control plane must be removable in turn, judged before anything is done.
  if (controlPlanes.length > 0) {
    const { members } = await etcdHealth(session);
    let total = members.length;
    let healthy = members.filter((m) => m.healthy).length;
    for (const cp of controlPlanes) {
      const m = members.find((x) => x.node === cp);
      if (m === undefined) continue;
      const refusal = scaleDownRefusal({ total, healthy, leavingHealthy: m.healthy, node: cp });
      if (refusal !== null)
        throw new Error(
          `refusing to remove ${cp}: ${refusal}. Nothing was done on any node; bring the unhealthy members back (or remove fewer control planes), then run pulumi up again`,
        );
      total--;
      if (m.healthy) healthy--;
    }
  }

  for (const [i, n] of all.entries()) {
    session.checkpoint(`removing ${n}`);
    const started = Date.now();
    session.place = `removal ${i + 1}/${all.length}`;
    try {
      progress.removed[n] =
        olds.nodes[n].role === "worker"
          ? await removeWorker(session, n, reach[n])
          : await removeControlPlane(session, n, reach[n]);
    } finally {
      session.place = "";
    }
    session.finished(n, "removed", Date.now() - started);
  }
  return progress.removed;
}

/**
 * @param {Session} session
 * @param {string} name
 * @returns {Promise<Reach>}
 */
async function reachOf(session, name) {
  try {
    await session.talos.version(name);
    return { kind: "reachable" };
  } catch (e) {
    const id = await session.talos.identity(name);
    if (id.answer === "other") return { kind: "wiped", why: id.detail };
    if (isUnreachable(e) || id.answer === "down")
      return { kind: "unreachable", why: /** @type {Error} */ (e).message };
    throw e;
  }
}

/**
 * @param {Session} session
 * @param {string} name
 * @param {Reach} reach
 * @returns {Promise<RemovalReport>}
 */
async function removeWorker(session, name, reach) {
  /** @type {RemovalReport} */
  const report = { role: "worker", reachable: reach.kind === "reachable", done: [], notDone: [] };
  if (reach.kind === "unreachable")
    notOnNode(session, report, name, reach.why, ["drain", "Talos reset"]);
  const exists = await drainUnlessGone(session, name, report, reach);
  await resetConfirmed(session, name, report, reach, { graceful: true });
  await deleteNodeObject(session, name, exists, report);
  return report;
}

/**
 * @param {Session} session
 * @param {string} name
 * @param {Reach} reach
 * @returns {Promise<RemovalReport>}
 */
async function removeControlPlane(session, name, reach) {
  /** @type {RemovalReport} */
  const report = {
    role: "controlplane",
    reachable: reach.kind === "reachable",
    done: [],
    notDone: [],
  };
  if (reach.kind === "unreachable")
    notOnNode(session, report, name, reach.why, ["drain", "etcd leave on the node", "Talos reset"]);
  const t = session.talos;
  const { peer, members } = await etcdHealth(session);
  const me = members.find((m) => m.node === name);
  if (me !== undefined) {
    const refusal = scaleDownRefusal({
      total: members.length,
      healthy: members.filter((m) => m.healthy).length,
      leavingHealthy: me.healthy,
      node: name,
    });
    if (refusal !== null)
      throw new Error(
        `refusing to remove ${name}: ${refusal}. Nothing was done on ${name}; bring the unhealthy members back, then run pulumi up again`,
      );
  }
  // Drain while it is still a member: a failed drain leaves etcd as it was.
  const exists = await drainUnlessGone(session, name, report, reach);
  if (me === undefined) {
    session.log(`${name}: not an etcd member, nothing to leave`);
    report.done.push("not an etcd member");
  } else {
    if (reach.kind === "reachable") {
      await session.step(name, "forfeit etcd leadership", () => t.etcdForfeitLeadership(name));
      await session.step(name, "leave etcd", () => t.etcdLeaveCluster(name));
      report.done.push("etcd leadership forfeited", "left etcd");
    }
    const still = (await t.etcdMemberList(peer)).some((m) => m.id === me.id);
    if (still) {
      await session.step(name, `remove its etcd member ${me.id} from ${peer}`, () =>
        t.etcdRemoveMemberById(peer, me.id),
      );
      report.done.push(`etcd member removed by id from ${peer}`);
    } else {
      report.done.push(`etcd membership gone, confirmed on ${peer}`);
      session.log(`${name}: ${peer} confirms its etcd member is gone`);
    }
  }
  // Not graceful: a graceful reset would leave etcd again, and the member is gone.
  await resetConfirmed(session, name, report, reach, { graceful: false });
  await deleteNodeObject(session, name, exists, report);
  if (
    session.news.nodes[session.olds.bootstrapNode] === undefined &&
    session.olds.bootstrapNode === name
  )
    session.log(`${name} was the bootstrap node; ${session.news.bootstrapNode} serves from now on`);
  return report;
}

/**
 * Cordons and drains a removed node that still runs; returns whether its Node exists.
 * @param {Session} session
 * @param {string} name
 * @param {RemovalReport} report
 * @param {Reach} reach
 */
async function drainUnlessGone(session, name, report, reach) {
  const kube = await session.kube();
  const exists = (await kube.getNode(name)) !== null;
  if (reach.kind !== "reachable" || !exists) return exists;
  try {
    await session.step(name, "cordon and drain", () => cordonAndDrain(session, name));
  } catch (e) {
    throw new Error(
      `${name}: could not be drained for its removal, so nothing else was done on it (its etcd membership and data are untouched) and it stays cordoned: ${/** @type {Error} */ (e).message}`,
    );
  }
  report.done.push("cordon and drain");
  return exists;
}

/**
 * Resets the node (wiping STATE and EPHEMERAL, with a reboot) and confirms it: the node
 * must come back answering only in maintenance mode, no longer with the cluster's
 * certificate. A reset that did not take is asked again, until the node deadline.
 * @param {Session} session
 * @param {string} name
 * @param {RemovalReport} report
 * @param {Reach} reach
 * @param {{ graceful: boolean }} how
 */
async function resetConfirmed(session, name, report, reach, how) {
  if (reach.kind === "unreachable") return;
  if (reach.kind === "wiped") {
    report.done.push("already reset: answers only in maintenance mode");
    return;
  }
  const t = session.talos;
  const { nodeTimeoutMs, pollMs } = session.timing;
  const reset = () =>
    t.reset(name, { graceful: how.graceful, reboot: true, systemPartitionsToWipe: WIPE });
  const label = `reset (${how.graceful ? "graceful, " : "no etcd leave, "}wiping ${WIPE.join(" and ")}, reboot)`;
  await session.step(name, label, reset);
  let resets = 1;
  await session.step(name, "confirm it answers only in maintenance mode", async () => {
    const deadline = Date.now() + nodeTimeoutMs;
    // A reset that answered but did not take is asked again, no more often than this.
    const againAfterMs = Math.max(pollMs, Math.min(60000, nodeTimeoutMs / 5));
    let lastReset = Date.now();
    let seen = "nothing yet";
    for (;;) {
      const id = await t.identity(name, { timeoutMs: Math.max(50, Math.min(5000, pollMs * 10)) });
      if (id.answer === "other") return;
      seen = id.detail;
      if (Date.now() >= deadline)
        throw new Error(
          `${name}: its reset could not be confirmed within ${nodeTimeoutMs / 1000} s after ${resets} reset call(s): a wiped node answers only in maintenance mode, with a certificate the cluster's CA did not issue (last seen: ${seen}). Its removal is not recorded as done and its VM is kept; check its console, then run pulumi up again`,
        );
      if (id.answer === "cluster" && Date.now() - lastReset >= againAfterMs) {
        session.log(`${name}: still serves the cluster's certificate; asking for the reset again`);
        t.forget(name);
        try {
          await reset();
        } catch (e) {
          seen = /** @type {Error} */ (e).message;
        }
        resets++;
        lastReset = Date.now();
      }
      await delay(pollMs);
    }
  });
  t.forget(name);
  report.done.push(
    `Talos reset${how.graceful ? ", graceful" : ""}, ${WIPE.join(" and ")} wiped, confirmed in maintenance mode`,
  );
}

/**
 * @param {Session} session
 * @param {RemovalReport} report
 * @param {string} name
 * @param {string} why
 * @param {string[]} steps
 */
function notOnNode(session, report, name, why, steps) {
  for (const s of steps) report.notDone.push(`${s}: the node did not answer (${why})`);
  session.warn(
    `${name}: could not ${steps.join(", ")} on the node itself because it does not answer; its disks keep their state until its VM is deleted`,
  );
}

/**
 * @param {Session} session
 * @param {string} name
 * @param {boolean} exists
 * @param {RemovalReport} report
 */
async function deleteNodeObject(session, name, exists, report) {
  if (!exists) {
    report.done.push("no Node object to delete");
    return;
  }
  const kube = await session.kube();
  await session.step(name, "delete its Node object", () => kube.deleteNode(name));
  report.done.push("Node object deleted");
}

module.exports = { decommission };
