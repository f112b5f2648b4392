// @ts-check
/**
 * Applying a node's new configuration at its turn: a dry run (mode AUTO) says whether
 * Talos needs a reboot for it. If not, it is applied without one; if so, it is staged
 * and the node is rolled through a reboot like an upgrade. The configuration-change
 * step runs this for every node whose configuration differs from what was rolled.
 */
"use strict";

const { configHash, filterBatches, needs } = require("./plan");
const { preflight } = require("./preflight");
const { rollThroughReboot, uncordonIfOurs, inParallel } = require("./node");
const { proxmoxReboot, recordHardware } = require("./hardware");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RolledNode} RolledNode
 */

/**
 * Applies the new configuration to every node of one batch (a control plane alone,
 * or a worker batch in parallel), after a preflight.
 * @param {Session} session
 * @param {readonly string[]} batch
 * @param {{ why: string, what: string, after?: (name: string) => Promise<void>, done: (name: string) => void }} how
 */
async function applyBatch(session, batch, how) {
  const t = session.talos;
  /** @type {Record<string, boolean>} */
  const reboot = {};
  await inParallel(batch, async (n) => {
    const dry = await t.applyConfiguration(n, {
      data: session.news.configs[n],
      mode: "AUTO",
      dryRun: true,
    });
    reboot[n] = dry.mode !== "NO_REBOOT";
    session.log(
      `${n}: the new configuration ${reboot[n] ? "needs a reboot" : "applies without a reboot"}`,
    );
  });
  const rebooting = batch.filter((n) => reboot[n]);
  await session.step(batch.join(", "), "preflight", () =>
    preflight(session, {
      before: `${how.why} on ${batch.join(", ")}`,
      reboots: rebooting.length > 0,
    }),
  );
  await inParallel(batch, async (n) => {
    const started = Date.now();
    const data = session.news.configs[n];
    if (reboot[n]) {
      // With VM hardware to apply too, one restart through Proxmox does both.
      const viaProxmox = proxmoxReboot(session, n);
      await rollThroughReboot(session, n, {
        what: "stage the configuration",
        after: "its staged configuration",
        ...(viaProxmox === undefined ? {} : { reboot: viaProxmox }),
        stage: async () => {
          await t.applyConfiguration(n, { data, mode: "STAGED" });
          return null;
        },
      });
    } else {
      await session.step(n, "apply the configuration (no reboot)", () =>
        t.applyConfiguration(n, { data, mode: "NO_REBOOT" }),
      );
    }
    if (how.after !== undefined) await how.after(n);
    // A node counts as rolled only once it is schedulable again (an earlier run may have
    // cordoned it before it failed).
    await uncordonIfOurs(session, n);
    how.done(n);
    session.finished(
      n,
      `${how.what}${reboot[n] ? ", staged and rebooted" : ", no reboot"}`,
      Date.now() - started,
    );
  });
}

/**
 * The configuration-change step: nodes whose configuration hash differs from what was
 * rolled, in batch order.
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled Updated in place as nodes finish.
 */
async function configStep(session, rolled) {
  const news = session.news;
  const todo = Object.keys(news.nodes).filter((n) => needs(rolled[n], news, n).config);
  if (todo.length === 0) return;
  session.log(`configuration change: ${todo.join(", ")}`);
  const batches = filterBatches(news.batches, (n) => todo.includes(n));
  await session.eachBatch("configuration", batches, async (batch) => {
    session.checkpoint(`applying the configuration to ${batch.join(", ")}`);
    await applyBatch(session, batch, {
      why: "applying the configuration",
      what: "configuration",
      done: (n) => {
        rolled[n] = { ...rolled[n], configHash: configHash(news.configs[n]) };
        if (session.viaProxmox.has(n)) recordHardware(session, rolled, n);
      },
    });
    return true;
  });
}

module.exports = { applyBatch, configStep };
