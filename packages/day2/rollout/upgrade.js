// @ts-check
/**
 * The Talos upgrade step: every node whose Talos version or schematic differs from what
 * was last rolled to it, in batch order (control planes one at a time, the bootstrap
 * node last, then worker batches), with a preflight before each batch.
 */
"use strict";

const { filterBatches, needs } = require("./plan");
const { preflight } = require("./preflight");
const { rollThroughReboot, uncordonIfOurs, inParallel } = require("./node");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RolledNode} RolledNode
 */

/**
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled Updated in place as nodes finish.
 */
async function talosStep(session, rolled) {
  const news = session.news;
  const target = news.talosVersion;
  const todo = Object.keys(news.nodes).filter((n) => needs(rolled[n], news, n).talos);
  if (todo.length === 0) return;
  const cps = Object.keys(news.nodes).filter((n) => news.nodes[n].role === "controlplane");
  session.log(`Talos upgrade to ${target}: ${todo.length} node(s) to check: ${todo.join(", ")}`);
  if (cps.length === 1 && todo.includes(cps[0]))
    session.warn(
      `single control plane: the Kubernetes API is down while ${cps[0]} restarts for its upgrade`,
    );
  // Ask every node first (state may be stale): an unreachable node stops the run
  // before anything is touched.
  /** @type {Record<string, string>} */
  const running = {};
  await inParallel(todo, async (n) => {
    try {
      running[n] = (await session.talos.version(n)).tag;
    } catch (e) {
      throw new Error(
        `${n}: could not ask for its Talos version before the upgrade, nothing was changed on any node: ${/** @type {Error} */ (e).message}`,
      );
    }
  });
  const record = (/** @type {string} */ n) => {
    rolled[n] = { ...rolled[n], talosVersion: target, schematic: news.nodes[n].schematic };
  };
  for (const batch of filterBatches(news.batches, (n) => todo.includes(n))) {
    const skip = batch.filter(
      (n) => running[n] === target && rolled[n].schematic === news.nodes[n].schematic,
    );
    for (const n of skip) {
      session.log(`${n}: already runs Talos ${target}, skipped`);
      await uncordonIfOurs(session, n);
      record(n);
    }
    const work = batch.filter((n) => !skip.includes(n));
    if (work.length === 0) continue;
    await session.step(work.join(", "), "preflight", () =>
      preflight(session, { before: `upgrading ${work.join(", ")}`, reboots: true }),
    );
    await inParallel(work, async (n) => {
      const image = news.nodes[n].installer;
      await session.step(n, `pull ${image}`, () => session.talos.pullImage(n, image));
      await rollThroughReboot(session, n, {
        what: `upgrade to ${target}`,
        version: target,
        change: async () => {
          const r = await session.talos.upgrade(n, { image });
          if (r.via === "legacy") session.log(`${n}: legacy upgrade call; the node reboots itself`);
          return { rebootsItself: r.rebootsItself };
        },
      });
      record(n);
      session.log(`${n}: now runs Talos ${target}`);
    });
  }
}

module.exports = { talosStep };
