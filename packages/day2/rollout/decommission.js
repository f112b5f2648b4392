// @ts-check
/**
 * Decommissioning the nodes that left the inventory, before Pulumi deletes their VMs:
 * workers first (cordon, drain, graceful reset wiping STATE and EPHEMERAL, delete the
 * Node), then control planes one at a time (quorum check, forfeit leadership, leave
 * etcd on the node, confirm on a peer, drain, reset without a second leave, delete the
 * Node). A node that does not answer is not a dead end: its member is removed by id
 * from a peer, its Node is deleted, and the report says what was not done on it.
 */
"use strict";

const { removedNodes, scaleDownRefusal } = require("./plan");
const { etcdHealth } = require("./preflight");
const { cordonAndDrain } = require("./node");
const { isUnreachable } = require("./session");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RemovalReport} RemovalReport
 */

const WIPE = ["STATE", "EPHEMERAL"];

/**
 * @param {Session} session
 * @returns {Promise<Record<string, RemovalReport>>}
 */
async function decommission(session) {
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

  /** @type {Record<string, string>} why each unreachable node is */
  const unreachable = {};
  await Promise.all(
    all.map(async (n) => {
      try {
        await session.talos.version(n);
      } catch (e) {
        if (!isUnreachable(e)) throw e;
        unreachable[n] = /** @type {Error} */ (e).message;
        session.warn(`${n} does not answer; what needs the node itself will be skipped`);
      }
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

  /** @type {Record<string, RemovalReport>} */
  const reports = {};
  for (const n of workers) reports[n] = await removeWorker(session, n, unreachable[n]);
  for (const n of controlPlanes) reports[n] = await removeControlPlane(session, n, unreachable[n]);
  return reports;
}

/**
 * @param {Session} session
 * @param {string} name
 * @param {string | undefined} unreachable Why the node does not answer, when it does not.
 * @returns {Promise<RemovalReport>}
 */
async function removeWorker(session, name, unreachable) {
  /** @type {RemovalReport} */
  const report = { role: "worker", reachable: unreachable === undefined, done: [], notDone: [] };
  await drainResetAndDelete(session, name, report, unreachable, {
    graceful: true,
    step: "reset (graceful, wiping STATE and EPHEMERAL)",
    done: "Talos reset, graceful, STATE and EPHEMERAL wiped",
    notDone: ["drain", "Talos reset"],
  });
  return report;
}

/**
 * @param {Session} session
 * @param {string} name
 * @param {string | undefined} unreachable
 * @returns {Promise<RemovalReport>}
 */
async function removeControlPlane(session, name, unreachable) {
  /** @type {RemovalReport} */
  const report = {
    role: "controlplane",
    reachable: unreachable === undefined,
    done: [],
    notDone: [],
  };
  const t = session.talos;
  const { peer, members } = await etcdHealth(session);
  const me = members.find((m) => m.node === name);
  if (me === undefined) {
    session.log(`${name}: not an etcd member, nothing to leave`);
  } else {
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
    if (unreachable === undefined) {
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
  await drainResetAndDelete(session, name, report, unreachable, {
    graceful: false,
    step: "reset (wiping STATE and EPHEMERAL, no etcd leave)",
    done: "Talos reset, STATE and EPHEMERAL wiped",
    notDone: ["etcd leave on the node", "drain", "Talos reset"],
  });
  if (
    session.news.nodes[session.olds.bootstrapNode] === undefined &&
    session.olds.bootstrapNode === name
  )
    session.log(`${name} was the bootstrap node; ${session.news.bootstrapNode} serves from now on`);
  return report;
}

/**
 * The end of every removal: drain the node, reset it and delete its Node object; or,
 * for a node that is gone, delete the Node object and say what could not be done on it.
 * @param {Session} session
 * @param {string} name
 * @param {RemovalReport} report
 * @param {string | undefined} unreachable Why the node cannot be reached, if it cannot.
 * @param {{ graceful: boolean, step: string, done: string, notDone: string[] }} how
 */
async function drainResetAndDelete(session, name, report, unreachable, how) {
  const kube = await session.kube();
  const exists = (await kube.getNode(name)) !== null;
  if (unreachable === undefined) {
    if (exists) {
      await drainForRemoval(session, name);
      report.done.push("cordon and drain");
    }
    await session.step(name, how.step, () =>
      session.talos.reset(name, {
        graceful: how.graceful,
        reboot: false,
        systemPartitionsToWipe: WIPE,
      }),
    );
    report.done.push(how.done);
  } else {
    notOnNode(session, report, name, unreachable, how.notDone);
  }
  await deleteNodeObject(session, name, exists, report);
}

/**
 * @param {Session} session
 * @param {string} name
 */
async function drainForRemoval(session, name) {
  try {
    await session.step(name, "cordon and drain", () => cordonAndDrain(session, name));
  } catch (e) {
    throw new Error(
      `${name}: could not be drained for its removal, so nothing was reset and it stays cordoned: ${/** @type {Error} */ (e).message}`,
    );
  }
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
