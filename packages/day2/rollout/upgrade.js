// @ts-check
/**
 * The Talos upgrade step: every node whose Talos version or schematic differs from what
 * was last rolled to it, in batch order (control planes one at a time, the bootstrap
 * node last, then worker batches), with a preflight before each batch. Each node goes
 * as `talosctl upgrade` takes it (cmd/talosctl/cmd/talos/upgrade.go, v1.13): pull the
 * installer, stage it with LifecycleService.Upgrade, then cordon and drain, reboot,
 * wait, uncordon. A node before v1.13 answers Unimplemented; it is drained first and
 * then given the legacy MachineService.Upgrade, which reboots it by itself.
 */
"use strict";

const { filterBatches, needs } = require("./plan");
const { Day2Error } = require("../lib/errors");
const { shortImage } = require("../lib/text");
const { preflight } = require("./preflight");
const { rollThroughReboot, uncordonIfOurs, inParallel } = require("./node");
const { proxmoxReboot, recordHardware } = require("./hardware");

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
  const batches = filterBatches(news.batches, (n) => todo.includes(n));
  await session.eachBatch(`Talos ${target}`, batches, async (batch) => {
    const skip = batch.filter(
      (n) => running[n] === target && rolled[n].schematic === news.nodes[n].schematic,
    );
    for (const n of skip) {
      session.log(`${n}: already runs Talos ${target}, skipped`);
      await uncordonIfOurs(session, n);
      record(n);
    }
    const work = batch.filter((n) => !skip.includes(n));
    if (work.length === 0) return false;
    session.checkpoint(`upgrading ${work.join(", ")}`);
    await session.step(work.join(", "), "preflight", () =>
      preflight(session, { before: `upgrading ${work.join(", ")}`, reboots: true }),
    );
    await inParallel(work, async (n) => {
      const started = Date.now();
      const image = news.nodes[n].installer;
      await session.step(n, `pull the ${shortImage(image)}`, async () => {
        try {
          await session.talos.pullImage(n, image);
        } catch (e) {
          // As talosctl upgrade-k8s does with its pre-pulls: a node without ImagePull is
          // skipped, and the upgrade pulls the installer itself.
          if (!(e instanceof Day2Error) || e.code !== "UNIMPLEMENTED") throw e;
          session.log(`${n}: ImagePull is not implemented, the upgrade pulls the installer`);
        }
      });
      // A node with VM hardware to apply is restarted through Proxmox instead of
      // Talos's Reboot: one restart applies both (a legacy upgrade reboots by itself,
      // so its hardware takes a second restart in the hardware step).
      const viaProxmox = proxmoxReboot(session, n);
      await rollThroughReboot(session, n, {
        what: `stage the upgrade to ${target}`,
        after: `upgrade to ${target}`,
        version: target,
        ...(viaProxmox === undefined ? {} : { reboot: viaProxmox }),
        stage: async () => {
          try {
            await session.talos.upgrade(n, { image, fallback: false });
            return null;
          } catch (e) {
            if (!(e instanceof Day2Error) || e.code !== "UNIMPLEMENTED") throw e;
            session.log(`${n}: older than v1.13, so the legacy upgrade follows the drain`);
            return {
              afterDrain: `legacy upgrade to ${target} (the node reboots itself)`,
              run: async () => {
                await session.talos.legacyUpgrade(n, { image });
              },
            };
          }
        },
      });
      record(n);
      if (session.viaProxmox.has(n)) recordHardware(session, rolled, n);
      session.log(`${n}: now runs Talos ${target}`);
      session.finished(n, `Talos ${target}`, Date.now() - started);
    });
    return true;
  });
}

module.exports = { talosStep };
