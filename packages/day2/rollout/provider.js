// @ts-check
/**
 * The rollout as a Pulumi dynamic provider (check, diff, create, update, delete). The
 * Pulumi side serializes a thin shim that requires this package by name and calls
 * `providers.rollout`; everything here is plain data in, plain data out.
 *
 * - create: a fresh cluster; records every node as rolled at the current targets and
 *   dials nothing (nodes may still be in maintenance mode).
 * - diff: runs at preview too; throws the refusals, else says whether anything changed.
 * - update: removed nodes, new nodes, Talos upgrade, Kubernetes upgrade, other
 *   configuration changes, in that order.
 * - delete: `pulumi destroy` tears the whole cluster down; nothing to do node by node.
 */
"use strict";

const plan = require("./plan");
const { Session } = require("./session");
const { decommission } = require("./decommission");
const { talosStep } = require("./upgrade");
const { kubernetesStep } = require("./kubernetes");
const { configStep } = require("./config");

/**
 * @typedef {import("./types").RolloutInputs} RolloutInputs
 * @typedef {import("./types").RolloutOutputs} RolloutOutputs
 * @typedef {import("./types").RolloutLog} RolloutLog
 * @typedef {import("./session").RolloutConnect} RolloutConnect
 */

/**
 * @typedef {object} RolloutProviderOptions
 * @property {RolloutConnect} [connect] Client factories (tests: short deadlines).
 * @property {RolloutLog} [log] Progress sink. Default: console lines prefixed `em-infra rollout:`.
 * @property {() => Date} [now]
 */

/**
 * @typedef {object} RolloutProvider
 * @property {(olds: any, news: any) => Promise<{ inputs: any, failures?: { property: string, reason: string }[] }>} check
 * @property {(id: string, olds: any, news: any) => Promise<{ changes: boolean, replaces: string[], deleteBeforeReplace: boolean }>} diff
 * @property {(inputs: any) => Promise<{ id: string, outs: RolloutOutputs }>} create
 * @property {(id: string, olds: any, news: any) => Promise<{ outs: RolloutOutputs }>} update
 * @property {(id: string, olds: any) => Promise<void>} delete
 */

/**
 * @param {RolloutProviderOptions} [opts]
 * @returns {RolloutProvider}
 */
function createRolloutProvider(opts = {}) {
  /** @type {RolloutLog} */
  const log = opts.log ?? ((line) => console.log(`em-infra rollout: ${line}`));
  const now = opts.now ?? (() => new Date());
  return {
    async check(_olds, news) {
      const failures = plan.checkInputs(news);
      return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    },

    async diff(_id, olds, news) {
      const refused = plan.refusals(olds, news);
      if (refused.length > 0) throw new Error(refused.join("\n"));
      return { changes: plan.hasChanges(olds, news), replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      /** @type {RolloutInputs} */
      const news = inputs;
      log(
        `${news.cluster}: created; recorded ${Object.keys(news.nodes).length} node(s) at Talos ${news.talosVersion}, Kubernetes ${news.kubernetesVersion}`,
      );
      return {
        id: `${news.cluster}-rollout`,
        outs: plan.outputsFor(news, plan.rolledAtTargets(news), null),
      };
    },

    async update(_id, oldsIn, newsIn) {
      /** @type {RolloutInputs} */
      const news = newsIn;
      const olds = plan.normalizeOutputs(oldsIn);
      const refused = plan.refusals(olds, news);
      if (refused.length > 0) throw new Error(refused.join("\n"));
      const started = Date.now();
      const rolled = { ...olds.rolled };
      const session = new Session({
        news,
        olds,
        log,
        ...(opts.connect === undefined ? {} : { connect: opts.connect }),
      });
      try {
        // 1. Nodes that left the inventory.
        const removed = await decommission(session);
        for (const n of Object.keys(removed)) delete rolled[n];
        // 2. New nodes: their own apply made them; they run the current targets.
        const added = plan.addedNodes(olds, news);
        Object.assign(rolled, plan.rolledAtTargets(news, added));
        if (added.length > 0)
          log(`recorded new node(s) ${added.join(", ")} at the current targets`);
        // 3-5. Rolling changes.
        await talosStep(session, rolled);
        await kubernetesStep(session, rolled);
        await configStep(session, rolled);
        log(`${news.cluster}: update finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return {
          outs: plan.outputsFor(news, rolled, {
            at: now().toISOString(),
            removed,
            warnings: session.warnings,
          }),
        };
      } finally {
        session.close();
      }
    },

    async delete() {
      // pulumi destroy removes the whole cluster; no node-by-node decommission.
    },
  };
}

module.exports = { createRolloutProvider };
