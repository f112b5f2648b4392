// @ts-check
/**
 * Disturbing one node safely: cordon (marked as ours) and drain, reboot, wait until it
 * is back and healthy, and uncordon only what we cordoned.
 */
"use strict";

const net = require("node:net");
const { delay } = require("../lib/retry");
const { parseHostPort } = require("../lib/endpoints");
const { CORDON_ANNOTATION } = require("./plan");

/** @typedef {import("./session").Session} Session */

/**
 * Cordons the node, marking the cordon as the rollout's, unless someone else already
 * cordoned it (then it stays theirs), and drains it.
 * @param {Session} session
 * @param {string} name
 */
async function cordonAndDrain(session, name) {
  const kube = await session.kube();
  const node = await kube.getNode(name);
  if (node === null) throw new Error(`${name}: cordon: no Node object in Kubernetes`);
  if (node.unschedulable && node.annotations[CORDON_ANNOTATION.key] !== CORDON_ANNOTATION.value) {
    session.log(`${name}: already cordoned by someone else; it stays cordoned afterwards`);
  } else {
    await kube.cordon(name, { annotation: CORDON_ANNOTATION });
  }
  await session.step(name, "drain", () =>
    kube.drain(name, {
      timeoutMs: session.timing.drainTimeoutMs,
      onProgress: (line) => session.log(line),
    }),
  );
}

/**
 * Uncordons the node when the rollout's annotation says we cordoned it (this run or an
 * interrupted one); a cordon without it is someone else's and stays.
 * @param {Session} session
 * @param {string} name
 */
async function uncordonIfOurs(session, name) {
  const kube = await session.kube();
  const node = await kube.getNode(name);
  if (node === null) return;
  if (node.annotations[CORDON_ANNOTATION.key] !== CORDON_ANNOTATION.value) return;
  await kube.uncordon(name, { removeAnnotation: CORDON_ANNOTATION.key });
  session.log(`${name}: uncordoned`);
}

/**
 * Waits until the node booted again (a boot time after `bootTime`), runs `version` when
 * given, reports every service healthy, has a healthy etcd member with a leader (control
 * planes) and its Node is Ready. A node back at another version fails at once.
 * @param {Session} session
 * @param {string} name
 * @param {{ bootTime: number, version?: string, after: string }} expect
 */
async function waitBack(session, name, expect) {
  const deadline = Date.now() + session.timing.nodeTimeoutMs;
  const isCp = session.allNodes[name].role === "controlplane";
  let seen = "nothing yet";
  for (;;) {
    seen = await look();
    if (seen === "") {
      // The run's own channel to the node broke with the reboot: dial it afresh next time.
      session.talos.forget(name);
      return;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${name}: did not come back after ${expect.after} within ${session.timing.nodeTimeoutMs / 1000} s (last seen: ${seen}); the rollout stopped here and touched no other node. Bring ${name} back, then run pulumi up again: nodes already done are skipped`,
      );
    }
    await delay(Math.min(session.timing.pollMs, Math.max(1, deadline - Date.now())));
  }

  /** @returns {Promise<string>} "" when back, else what was seen. */
  async function look() {
    const t = session.poller;
    // A cheap TCP connect first: while apid is not listening, skip the TLS handshake.
    const listening = await tcpOpen(t.dialTarget(name), session.timing.pollMs * 10);
    if (listening !== "") return `Talos API: ${listening}`;
    try {
      const stat = await t.systemStat(name);
      if (stat.bootTime <= expect.bootTime) return "it has not rebooted yet";
      const v = await t.version(name);
      if (expect.version !== undefined && v.tag !== expect.version) {
        throw Object.assign(
          new Error(
            `${name}: came back after ${expect.after} running Talos ${v.tag}, not ${expect.version}; the rollout stopped here and touched no other node. Check the installer image and the node's console, then run pulumi up again`,
          ),
          { fatal: true },
        );
      }
      const [services, status] = await Promise.all([
        t.serviceList(name),
        isCp ? t.etcdStatus(name) : undefined,
      ]);
      const sick = services.filter((s) => !s.healthy && !s.healthUnknown);
      if (sick.length > 0) return `services not healthy: ${sick.map((s) => s.id).join(", ")}`;
      if (status !== undefined) {
        if (status.errors.length > 0) return `etcd reports ${status.errors.join("; ")}`;
        if (status.leader === "0") return "etcd has no leader";
      }
    } catch (e) {
      if (/** @type {any} */ (e).fatal === true) throw e;
      t.forget(name);
      return `Talos API: ${/** @type {Error} */ (e).message}`;
    }
    try {
      const node = await (await session.kube()).getNode(name);
      if (node === null) return "no Node object";
      if (node.ready !== true) return `Node not Ready (${node.readyReason || "no condition"})`;
    } catch (e) {
      return `Kubernetes API: ${/** @type {Error} */ (e).message}`;
    }
    return "";
  }
}

/**
 * Whether something accepts TCP connections at `target`: "" when it does, else why not.
 * @param {string} target `host:port`
 * @param {number} timeoutMs
 * @returns {Promise<string>}
 */
function tcpOpen(target, timeoutMs) {
  const hp = parseHostPort(target);
  if (typeof hp === "string") return Promise.resolve(hp);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hp.host, port: hp.port });
    const done = (/** @type {string} */ why) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(
      () => done(`no TCP answer at ${target} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.once("connect", () => done(""));
    socket.once("error", (/** @type {NodeJS.ErrnoException} */ e) =>
      done(
        e.code === "ECONNREFUSED" ? `connection refused at ${target}` : `${target}: ${e.message}`,
      ),
    );
  });
}

/**
 * Rolls one node through a reboot: cordon and drain, `change` (stage an upgrade or a
 * configuration), reboot unless `change` says the node reboots itself, wait, uncordon.
 * @param {Session} session
 * @param {string} name
 * @param {{ what: string, version?: string, change: () => Promise<{ rebootsItself: boolean }> }} how
 */
async function rollThroughReboot(session, name, how) {
  const { bootTime } = await session.talos.systemStat(name);
  await session.step(name, "cordon and drain", () => cordonAndDrain(session, name));
  const { rebootsItself } = await session.step(name, how.what, how.change);
  if (!rebootsItself) await session.step(name, "reboot", () => session.talos.reboot(name));
  await session.step(name, "wait until back and healthy", () =>
    waitBack(session, name, {
      bootTime,
      after: how.what,
      ...(how.version === undefined ? {} : { version: how.version }),
    }),
  );
  await uncordonIfOurs(session, name);
}

/**
 * Runs `fn` for every node of a batch at once; when any fails, waits for the others
 * (already in flight) and throws the first failure.
 * @template T
 * @param {readonly string[]} batch
 * @param {(name: string) => Promise<T>} fn
 */
async function inParallel(batch, fn) {
  const results = await Promise.allSettled(batch.map((n) => fn(n)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw /** @type {PromiseRejectedResult} */ (failed).reason;
  return results.map((r) => /** @type {PromiseFulfilledResult<T>} */ (r).value);
}

module.exports = { cordonAndDrain, uncordonIfOurs, waitBack, rollThroughReboot, inParallel };
