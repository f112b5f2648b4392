// @ts-check
/**
 * The rollout as a Pulumi dynamic provider (check, diff, create, update, delete). The
 * Pulumi side serializes a thin shim that requires this package by name and calls
 * `providers.rollout`; everything here is plain data in, plain data out.
 *
 * - create: a fresh cluster; records every node as rolled at the current targets and
 *   dials nothing (nodes may still be in maintenance mode).
 * - diff: runs at preview too; throws the refusals, else says whether anything changed.
 * - update: nodes left cordoned by an earlier run, removed nodes, new nodes, Talos
 *   upgrade, Kubernetes upgrade, other configuration changes, in that order. It stops at
 *   a node or batch boundary when asked (`npm run day2 -- stop`, or a signal). When it
 *   fails or stops, it throws an error carrying `id`, `properties` and `reasons`, which
 *   the dynamic-provider host sends as ErrorResourceInitFailed
 *   (@pulumi/pulumi 3.248 `cmd/dynamic-provider/index.js`, grpcResponseFromError): the
 *   engine stores those properties as the outputs, so what the run finished is kept and
 *   a rerun skips it. A plain Error would keep the old outputs and lose that progress.
 * - delete: `pulumi destroy` tears the whole cluster down; nothing to do node by node.
 */
"use strict";

const plan = require("./plan");
const { Session } = require("./session");
const { decommission } = require("./decommission");
const { talosStep } = require("./upgrade");
const { kubernetesStep, manifestSync } = require("./kubernetes");
const { hasInventory } = require("./manifests");
const { configStep } = require("./config");
const { hardwareCheck, hardwareStep } = require("./hardware");
const { uncordonFinished } = require("./node");
const { StopWatch } = require("./stop");
const { etcdHealth } = require("./preflight");
const { takeSnapshot, pruneSnapshots, caFingerprint } = require("../lib/snapshots");
const { talosCredentials } = require("../lib/credentials");
const { duration, wrap, TERMINAL_WIDTH } = require("../lib/text");
const { redact, secretFragments } = require("../lib/errors");
const path = require("node:path");

/**
 * @typedef {import("./types").RolloutInputs} RolloutInputs
 * @typedef {import("./types").RolloutOutputs} RolloutOutputs
 * @typedef {import("./types").RolloutLog} RolloutLog
 * @typedef {import("./types").RolloutProgress} RolloutProgress
 * @typedef {import("./session").RolloutConnect} RolloutConnect
 */

/**
 * @typedef {object} RolloutProviderOptions
 * @property {RolloutConnect} [connect] Client factories (tests: short deadlines).
 * @property {RolloutLog} [log] Progress sink. Default: console lines prefixed `em-infra rollout:`.
 * @property {() => Date} [now]
 * @property {string} [workDir] Where stop requests are looked for and a relative backups folder starts. Default: the current directory (the host runs providers in the program's directory).
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
  const log = opts.log ?? lineLogger((l) => console.log(l));
  const now = opts.now ?? (() => new Date());
  const workDir = opts.workDir ?? process.cwd();
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

    async update(id, oldsIn, newsIn) {
      /** @type {RolloutInputs} */
      const news = newsIn;
      const olds = plan.normalizeOutputs(oldsIn);
      const refused = plan.refusals(olds, news);
      if (refused.length > 0) throw new Error(refused.join("\n"));
      const started = Date.now();
      const stored = redactorFor(news);
      /** @type {RolloutProgress} */
      const progress = { rolled: { ...olds.rolled }, removed: {} };
      const stop = new StopWatch({
        workDir,
        stack: news.stack ?? news.cluster,
        cluster: news.cluster,
        log,
        now,
      });
      const session = new Session({
        news,
        olds,
        log,
        stop,
        ...(opts.connect === undefined ? {} : { connect: opts.connect }),
      });
      stop.begin();
      try {
        // Before anything is touched: the Proxmox privileges and pending hardware of
        // every VM whose hardware changed (a missing privilege stops the run here).
        await hardwareCheck(session, progress.rolled);
        // Then an etcd snapshot when this run disturbs a control plane.
        const risks = plan.controlPlaneRisks(olds, news, progress.rolled);
        const backups = plan.etcdBackups(news);
        if (risks.length > 0 && backups.beforeRollout)
          await snapshotFirst(session, {
            dir: path.resolve(workDir, backups.dir),
            workDir,
            keep: backups.keep,
            why: `before rollout: ${risks.join("; ")}`,
            now,
          });
        // 0. Nodes an earlier run left cordoned, now done.
        await uncordonFinished(session);
        // 1. Nodes that left the inventory.
        const removed = await decommission(session, progress);
        for (const n of Object.keys(removed)) delete progress.rolled[n];
        // 2. New nodes: their own apply made them; they run the current targets.
        const added = plan.addedNodes(olds, news);
        Object.assign(progress.rolled, plan.rolledAtTargets(news, added));
        if (added.length > 0)
          log(`recorded new node(s) ${added.join(", ")} at the current targets`);
        // A sync prunes only what its inventory lists; a cluster that never had one (Talos
        // created its manifests, nothing synced them since) gets it now, before a change
        // to a control plane stops rendering what an inventory edit removes (an add-on
        // turned off, an inline manifest dropped).
        const cpChanging = Object.keys(news.nodes).some((n) => {
          const need = plan.needs(progress.rolled[n], news, n);
          return (
            news.nodes[n].role === "controlplane" && (need.talos || need.config || need.kubernetes)
          );
        });
        if (cpChanging && !(await hasInventory(await session.kube())))
          await manifestSync(session, "to record what Talos renders before it changes");
        // 3-5. Rolling changes.
        const before = JSON.parse(JSON.stringify(progress.rolled));
        await talosStep(session, progress.rolled);
        const synced = await kubernetesStep(session, progress.rolled);
        await configStep(session, progress.rolled);
        await hardwareStep(session, progress.rolled);
        // A new Talos release or control-plane configuration renders other bootstrap
        // manifests (CoreDNS, Flannel, inline manifests), which Talos only ever creates:
        // sync them, as upgrade-k8s would (the Kubernetes step already did).
        const cpChanged = Object.keys(news.nodes).some(
          (n) =>
            news.nodes[n].role === "controlplane" &&
            before[n] !== undefined &&
            (before[n].talosVersion !== progress.rolled[n]?.talosVersion ||
              before[n].configHash !== progress.rolled[n]?.configHash),
        );
        if (cpChanged && !synced)
          await manifestSync(session, "after the control planes' Talos or configuration changed");
        for (const line of session.summary()) log(line);
        log(`${news.cluster}: update finished in ${duration(Date.now() - started)}`);
        return {
          outs: plan.outputsFor(news, progress.rolled, {
            at: now().toISOString(),
            removed,
            warnings: session.warnings.map(stored),
            ...(Object.keys(session.asked).length > 0 ? { asked: session.asked } : {}),
          }),
        };
      } catch (e) {
        const message = stored(/** @type {Error} */ (e).message);
        const properties = /** @type {Record<string, unknown>} */ (
          plan.partialOutputs(oldsIn, progress, {
            at: now().toISOString(),
            removed: progress.removed,
            warnings: session.warnings.map(stored),
            ...(Object.keys(session.asked).length > 0 ? { asked: session.asked } : {}),
            failed: message,
          })
        );
        // The host adds __provider to outputs only on success: without it in the stored
        // outputs, every later delete or refresh of this resource would fail.
        const provider = newsIn?.__provider ?? oldsIn?.__provider;
        if (provider !== undefined) properties.__provider = provider;
        for (const line of session.summary()) log(line);
        log(
          `${news.cluster}: update ended after ${duration(Date.now() - started)} without finishing; what it finished is recorded`,
        );
        throw Object.assign(new Error(message), { id, properties, reasons: [message] });
      } finally {
        stop.end();
        session.close();
      }
    },

    async delete() {
      // pulumi destroy removes the whole cluster; no node-by-node decommission.
    },
  };
}

/**
 * What the run's stored text (`lastRun`'s warnings and failure, the error Pulumi shows)
 * passes through: the clients' redaction of the credentials, so that a server's words
 * echoing a certificate or key stay out of the state.
 * @param {RolloutInputs} news
 * @returns {(text: string) => string}
 */
function redactorFor(news) {
  const pems = Object.values(news?.credentials ?? {})
    .filter((v) => typeof v === "string" && v !== "")
    .map((v) => Buffer.from(/** @type {string} */ (v), "base64").toString("utf8"));
  const fragments = secretFragments(pems);
  return (text) => redact(String(text), fragments);
}

/**
 * The rollout's progress lines as `pulumi up` shows a provider's console output: each
 * prefixed `em-infra rollout: ` and folded to 80 columns.
 * @param {(line: string) => void} write
 * @returns {RolloutLog}
 */
function lineLogger(write) {
  return (line) => {
    for (const l of wrap(`em-infra rollout: ${line}`, TERMINAL_WIDTH, 20)) write(l);
  };
}

/**
 * Takes an etcd snapshot from a healthy member (one that is not leaving, if any) and
 * prunes the oldest. A failure stops the run before anything was changed.
 * @param {Session} session
 * @param {{ dir: string, workDir: string, keep: number, why: string, now: () => Date }} how
 */
async function snapshotFirst(session, how) {
  const gone = new Set(plan.removedNodes(session.olds, session.news).controlPlanes);
  /** @type {string | undefined} */
  let node;
  try {
    const { members } = await etcdHealth(session);
    const healthy = members.filter((m) => m.healthy && m.node !== undefined);
    node = (healthy.find((m) => !gone.has(/** @type {string} */ (m.node))) ?? healthy[0])?.node;
    if (node === undefined) throw new Error("no etcd member is healthy");
    const taken = await session.step(node, "etcd snapshot", () =>
      takeSnapshot(session.talos, {
        dir: how.dir,
        cluster: session.news.cluster,
        // Whose cluster it is, beyond the name: recover compares it with the CA it trusts.
        caFingerprint: caFingerprint(
          talosCredentials(/** @type {Record<string, unknown>} */ (session.news.credentials)).ca,
        ),
        node: /** @type {string} */ (node),
        why: how.why,
        now: how.now,
      }),
    );
    // Shown from the program's directory; the full sha256 is in the record beside it.
    session.log(
      `etcd snapshot ${path.relative(how.workDir, taken.file)} (${taken.size} bytes, sha256 ${taken.sha256.slice(0, 16)}…) taken ${how.why}`,
    );
    for (const f of pruneSnapshots(how.dir, session.news.cluster, how.keep))
      session.log(
        `removed the oldest snapshot ${path.relative(how.workDir, f)} (keeping ${how.keep})`,
      );
  } catch (e) {
    throw new Error(
      `the etcd snapshot ${how.why} failed${node === undefined ? "" : ` on ${node}`}, so nothing was changed: ${/** @type {Error} */ (e).message}. Fix it and run pulumi up again, or set backups.etcd.beforeRollout: false in cluster.yaml to roll without one`,
    );
  }
}

module.exports = { createRolloutProvider, lineLogger };
