// @ts-check
/**
 * Disturbing one node safely, in talosctl's order (cmd/talosctl/cmd/talos/upgrade.go,
 * v1.13): stage what can be staged while the node still serves, then cordon (marked as
 * ours) and drain, reboot, wait until it is back and healthy (a new boot id, as
 * talosctl's action tracker tells a reboot), and uncordon only what we cordoned.
 */
"use strict";

const net = require("node:net");
const { delay } = require("../lib/retry");
const { parseHostPort } = require("../lib/endpoints");
const { CORDON_ANNOTATION } = require("./plan");
const { Day2Error } = require("../lib/errors");

/** The control-plane static pods `talosctl health` waits for. */
const CONTROL_PLANE_PODS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

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
 * What identifies the node's current boot: its boot id (Read of
 * /proc/sys/kernel/random/boot_id, which needs os:admin), else, when the talosconfig
 * may not read files, its boot time.
 * @typedef {{ bootId: string } | { bootTime: number }} BootMark
 */

/**
 * @param {Session} session
 * @param {string} name
 * @param {import("../lib/talos").TalosClient} [client]
 * @returns {Promise<BootMark>}
 */
async function bootMark(session, name, client = session.talos) {
  try {
    return { bootId: await client.bootId(name) };
  } catch (e) {
    if (!(e instanceof Day2Error) || e.code !== "PERMISSION_DENIED") throw e;
    return { bootTime: (await client.systemStat(name)).bootTime };
  }
}

/**
 * Whether the node booted since `before` was taken.
 * @param {Session} session
 * @param {string} name
 * @param {BootMark} before
 */
async function rebootedSince(session, name, before) {
  const t = session.poller;
  if ("bootId" in before) return (await t.bootId(name)) !== before.bootId;
  return (await t.systemStat(name)).bootTime > before.bootTime;
}

/**
 * Waits until the node booted again (since `before`), runs `version` when given,
 * reports every service healthy, has a healthy etcd member with a leader and its
 * kube-apiserver, kube-controller-manager and kube-scheduler pods Ready (control
 * planes, what `talosctl health` checks), and its Node is Ready. A node back at
 * another version fails at once.
 * @param {Session} session
 * @param {string} name
 * @param {{ before: BootMark, version?: string, after: string }} expect
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
      if (!(await rebootedSince(session, name, expect.before))) return "it has not rebooted yet";
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
      const kube = await session.kube();
      const node = await kube.getNode(name);
      if (node === null) return "no Node object";
      if (node.ready !== true) return `Node not Ready (${node.readyReason || "no condition"})`;
      if (isCp) {
        const pods = (await kube.listPods(name)).filter((p) => p.mirror);
        const notReady = CONTROL_PLANE_PODS.filter(
          (c) => !pods.some((p) => p.ready && p.containers.some((x) => x.name === c)),
        );
        if (notReady.length > 0) return `pods not Ready: ${notReady.join(", ")}`;
      }
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
 * Rolls one node through a reboot: `stage` the change while the node still serves (an
 * upgrade installed to the other partition, a staged configuration), so that a change
 * the node refuses fails before anything is drained; then cordon and drain; reboot, or
 * run what `stage` handed back for after the drain (the legacy upgrade, which reboots
 * the node by itself); wait until back and healthy; uncordon.
 * `reboot`, when given, replaces Talos's Reboot (a restart through Proxmox, which also
 * applies the VM's pending hardware); without `stage`, nothing is staged.
 * @param {Session} session
 * @param {string} name
 * @param {{ what: string, after: string, version?: string, stage?: () => Promise<null | { afterDrain: string, run: () => Promise<void> }>, reboot?: { what: string, run: () => Promise<unknown> } }} how
 */
async function rollThroughReboot(session, name, how) {
  const before = await bootMark(session, name);
  const rest = how.stage === undefined ? null : await session.step(name, how.what, how.stage);
  await session.step(name, "cordon and drain", () => cordonAndDrain(session, name));
  if (rest !== null) await session.step(name, rest.afterDrain, rest.run);
  else if (how.reboot !== undefined) await session.step(name, how.reboot.what, how.reboot.run);
  else await session.step(name, "reboot", () => session.talos.reboot(name));
  await session.step(name, "wait until back and healthy", () =>
    waitBack(session, name, {
      before,
      after: how.after,
      ...(how.version === undefined ? {} : { version: how.version }),
    }),
  );
  await uncordonIfOurs(session, name);
}

/**
 * The start of every update: a node the rollout cordoned (an earlier run failed or was
 * stopped after its cordon) that is now at its targets and healthy is uncordoned, so it
 * does not fail the health gate's "all nodes schedulable" check for ever. A node not at
 * its targets stays cordoned: the step that rolls it uncordons it when done.
 * @param {Session} session
 */
async function uncordonFinished(session) {
  const kube = await session.kube();
  /** @type {Awaited<ReturnType<typeof kube.listNodes>>} */
  let listed;
  try {
    listed = await kube.listNodes();
  } catch (e) {
    // A single control plane whose kube-apiserver crashloops serves no API: a revert or a
    // fix must still run (through Talos), and our cordons are looked at next time.
    session.log(
      `the Kubernetes API did not answer (${/** @type {Error} */ (e).message}); nodes an earlier run left cordoned are looked at in the next run`,
    );
    return;
  }
  const ours = listed.filter(
    (n) =>
      n.unschedulable &&
      n.annotations[CORDON_ANNOTATION.key] === CORDON_ANNOTATION.value &&
      session.news.nodes[n.name] !== undefined,
  );
  const kubelet = `v${session.news.kubernetesVersion.replace(/^v/, "")}`;
  for (const n of ours) {
    /** @type {string} */
    let why;
    try {
      const [version, services] = await Promise.all([
        session.talos.version(n.name),
        session.talos.serviceList(n.name),
      ]);
      const sick = services.filter((s) => !s.healthy && !s.healthUnknown).map((s) => s.id);
      if (version.tag !== session.news.talosVersion) why = `runs Talos ${version.tag}`;
      else if (n.kubeletVersion !== kubelet) why = `runs kubelet ${n.kubeletVersion}`;
      else if (n.ready !== true) why = "its Node is not Ready";
      else if (sick.length > 0) why = `services not healthy: ${sick.join(", ")}`;
      else why = "";
    } catch (e) {
      why = `did not answer: ${/** @type {Error} */ (e).message}`;
    }
    if (why === "") {
      await kube.uncordon(n.name, { removeAnnotation: CORDON_ANNOTATION.key });
      session.log(
        `${n.name}: cordoned by an earlier rollout, now at its targets and healthy: uncordoned`,
      );
    } else {
      session.log(
        `${n.name}: cordoned by an earlier rollout and not done (${why}); it stays cordoned until rolled`,
      );
    }
  }
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

module.exports = {
  CONTROL_PLANE_PODS,
  cordonAndDrain,
  uncordonIfOurs,
  uncordonFinished,
  bootMark,
  waitBack,
  rollThroughReboot,
  inParallel,
};
