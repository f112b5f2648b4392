// @ts-check
/**
 * The Kubernetes upgrade step, leaving what `talosctl upgrade-k8s` leaves: the new
 * configuration applied to the control planes one at a time, each time waiting until
 * its API server, controller manager and scheduler run the new version; then to the
 * workers batch by batch, waiting for their kubelets; then kube-proxy's DaemonSet image,
 * which Talos never updates by itself.
 */
"use strict";

const { delay } = require("../lib/retry");
const { Day2Error } = require("../lib/errors");
const { configHash, filterBatches, needs, parseVersion, unsupportedKubernetes } = require("./plan");
const { applyBatch } = require("./config");
const { uncordonIfOurs, inParallel, CONTROL_PLANE_PODS } = require("./node");
const YAML = require("yaml");

/** Where each control-plane component's image is set in a v1alpha1 configuration. */
const COMPONENT_KEYS = /** @type {const} */ ({
  "kube-apiserver": "apiServer",
  "kube-controller-manager": "controllerManager",
  "kube-scheduler": "scheduler",
});

/**
 * The images a node runs at `version` after its new configuration: the kubelet's
 * (containerd's system namespace) and, on a control plane, the three static pods'
 * (the CRI namespace), read from the configuration's v1alpha1 document, or Talos's
 * defaults where it sets none.
 * @param {string} config
 * @param {"controlplane" | "worker"} role
 * @param {string} version e.g. `v1.36.0`.
 * @returns {{ image: string, namespace: "system" | "cri" }[]}
 */
function imagesFor(config, role, version) {
  /** @type {any} */
  let doc = {};
  for (const d of YAML.parseAllDocuments(config)) {
    const v = d.toJS();
    if (v !== null && typeof v === "object" && ("machine" in v || "cluster" in v)) doc = v;
  }
  /** @type {{ image: string, namespace: "system" | "cri" }[]} */
  const out = [
    {
      image: doc.machine?.kubelet?.image ?? `ghcr.io/siderolabs/kubelet:${version}`,
      namespace: "system",
    },
  ];
  if (role === "controlplane")
    for (const [component, key] of Object.entries(COMPONENT_KEYS))
      out.push({
        image: doc.cluster?.[key]?.image ?? `registry.k8s.io/${component}:${version}`,
        namespace: "cri",
      });
  return out;
}

/**
 * Pulls every image the upgrade needs on every node before anything changes, as
 * `talosctl upgrade-k8s` does: a registry that cannot serve one stops the run here.
 * @param {Session} session
 * @param {string[]} nodes
 * @param {string} version
 */
async function prePull(session, nodes, version) {
  await inParallel(nodes, async (n) => {
    const images = imagesFor(session.news.configs[n], session.news.nodes[n].role, version);
    await session.step(
      n,
      `pre-pull ${images.length} image(s) for Kubernetes ${version}`,
      async () => {
        for (const { image, namespace } of images) {
          try {
            await session.talos.pullImage(n, image, { namespace });
          } catch (e) {
            throw new Error(
              `${n}: pre-pulling ${image} for Kubernetes ${version} failed, so nothing was changed on any node: ${/** @type {Error} */ (e).message}`,
            );
          }
        }
      },
    );
  });
}

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RolledNode} RolledNode
 */

/**
 * What still runs another version on the node: "" when everything is at `version`.
 * @param {Session} session
 * @param {string} name
 * @param {string} version e.g. `v1.37.0`.
 */
async function lagging(session, name, version) {
  const kube = await session.kube();
  const node = await kube.getNode(name);
  if (node === null) return "no Node object";
  /** @type {string[]} */
  const behind = [];
  if (node.kubeletVersion !== version) behind.push(`kubelet ${node.kubeletVersion}`);
  if (session.news.nodes[name].role === "controlplane") {
    const pods = await kube.listPods(name);
    for (const component of CONTROL_PLANE_PODS) {
      const mine = pods.filter((p) => p.mirror && p.containers.some((c) => c.name === component));
      const images = mine.flatMap((p) => p.containers).filter((c) => c.name === component);
      const tag = images.map((c) => /:([^:/@]+)(@sha256:[0-9a-f]+)?$/.exec(c.image)?.[1] ?? "?");
      if (images.length === 0) behind.push(`${component} not running`);
      else if (tag.some((x) => x !== version)) behind.push(`${component} ${tag.join(", ")}`);
      // At the new version is not enough: a crashlooping pod must not count as done.
      else if (mine.some((p) => !p.ready)) behind.push(`${component} not Ready`);
    }
  }
  if (node.ready !== true) behind.push("Node not Ready");
  return behind.join(", ");
}

/**
 * Waits until {@link lagging} says nothing is behind.
 * @param {Session} session
 * @param {string} name
 * @param {string} version
 */
async function waitForVersion(session, name, version) {
  const deadline = Date.now() + session.timing.nodeTimeoutMs;
  for (;;) {
    let seen;
    try {
      seen = await lagging(session, name, version);
    } catch (e) {
      seen = `Kubernetes API: ${/** @type {Error} */ (e).message}`;
    }
    if (seen === "") return;
    if (Date.now() >= deadline)
      throw new Error(
        `${name}: still not at Kubernetes ${version} ${session.timing.nodeTimeoutMs / 1000} s after its new configuration was applied (seen: ${seen}); the rollout stopped here and touched no other node. Check the node, then run pulumi up again`,
      );
    await delay(session.timing.pollMs);
  }
}

/**
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled Updated in place as nodes finish.
 */
async function kubernetesStep(session, rolled) {
  const news = session.news;
  const version = `v${news.kubernetesVersion.replace(/^v/, "")}`;
  const todo = Object.keys(news.nodes).filter((n) => needs(rolled[n], news, n).kubernetes);
  if (todo.length === 0) return;
  session.log(`Kubernetes upgrade to ${version}: ${todo.join(", ")}`);
  const done = (/** @type {string} */ n) => {
    rolled[n] = {
      ...rolled[n],
      kubernetesVersion: news.kubernetesVersion,
      configHash: configHash(news.configs[n]),
    };
  };
  // The nodes, not the state, say which Talos they run: each must support the target.
  const target = parseVersion(news.kubernetesVersion);
  await inParallel(todo, async (n) => {
    const tag = (await session.talos.version(n)).tag;
    const why = target === null ? null : unsupportedKubernetes(news, tag, target);
    if (why !== null)
      throw new Error(
        `${n}: runs Talos ${tag}, which ${why}; nothing was changed on any node. Bring it to Talos ${news.talosVersion} first, then run pulumi up again`,
      );
  });
  await prePull(session, todo, version);
  const batches = filterBatches(news.batches, (n) => todo.includes(n));
  await session.eachBatch(`Kubernetes ${version}`, batches, async (batch) => {
    /** @type {string[]} */
    const work = [];
    for (const n of batch) {
      if ((await lagging(session, n, version)) === "") {
        session.log(`${n}: already runs Kubernetes ${version}, skipped`);
        await uncordonIfOurs(session, n);
        done(n);
      } else work.push(n);
    }
    if (work.length === 0) return false;
    session.checkpoint(`upgrading Kubernetes on ${work.join(", ")}`);
    await applyBatch(session, work, {
      why: `upgrading Kubernetes to ${version}`,
      what: `Kubernetes ${version}`,
      after: (n) =>
        session.step(n, `wait for Kubernetes ${version}`, () =>
          waitForVersion(session, n, version),
        ),
      done,
    });
    return true;
  });
  const kube = await session.kube();
  const image = `registry.k8s.io/kube-proxy:${version}`;
  try {
    const current = await kube.getDaemonSetImage("kube-system", "kube-proxy", "kube-proxy");
    if (current.image === image) session.log(`kube-proxy already runs ${image}`);
    else
      await session.step("kube-system/kube-proxy", `set image ${image}`, () =>
        kube.setDaemonSetImage("kube-system", "kube-proxy", "kube-proxy", image),
      );
  } catch (e) {
    if (e instanceof Day2Error && /^404/.test(e.code))
      session.log("no kube-proxy DaemonSet: skipped");
    else throw e;
  }
}

module.exports = { kubernetesStep, lagging, imagesFor };
