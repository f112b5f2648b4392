// @ts-check
/**
 * The Kubernetes upgrade, step for step as `talosctl upgrade-k8s` does it
 * (pkg/cluster/kubernetes/talos_managed.go, v1.13.9):
 * 1. every node's Talos must support the target (asked of the nodes);
 * 2. nothing the target removes may still be in use (./checks): flags, feature gates and
 *    admission plugins in the nodes' running configurations, API versions in the cluster;
 * 3. the images are pre-pulled on every node, so a registry that cannot serve one stops
 *    the run before anything changed;
 * 4. kube-apiserver on each control plane in turn, then kube-controller-manager, then
 *    kube-scheduler: the node's running configuration (read through Talos's resource
 *    API) gets only that image changed, applied without a reboot; then the component's
 *    configuration resource moves to a new version, and its static pod must carry that
 *    version in `talos.dev/config-version` and be Ready before the next node;
 * 5. kube-proxy's image on the control planes (it reaches the DaemonSet through the
 *    bootstrap manifests);
 * 6. the kubelets, control planes first, then the workers by batch: only the kubelet
 *    image changes; the Node must report the new version and be Ready;
 * 7. the bootstrap manifests are synced (./manifests);
 * 8. each node's running configuration is compared with the one Pulumi rendered for the
 *    new version; where they still differ, the configuration step rolls the rest.
 * Every step reads where the node is first, so a rerun skips what is done.
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");
const YAML = require("yaml");
const { delay } = require("../lib/retry");
const { keepLast } = require("../lib/memoByText");
const { RESOURCES, COMPONENTS, CONFIG_VERSION_ANNOTATION } = require("../lib/resources");
const {
  compareVersions,
  configHash,
  filterBatches,
  needs,
  parseVersion,
  pathRefusal,
  unsupportedKubernetes,
} = require("./plan");
const { uncordonIfOurs, inParallel, CONTROL_PLANE_PODS } = require("./node");
const { syncManifests } = require("./manifests");
const { isV1alpha1, v1alpha1, configText } = require("../lib/machineConfig");
const { Day2Error } = require("../lib/errors");
const { upgradeChecks } = require("./checks");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RolledNode} RolledNode
 * @typedef {(typeof COMPONENTS)[number]} Component
 */

/**
 * The images a node runs at `version`, from its rendered configuration (Talos's
 * defaults where it sets none): the kubelet's and, on a control plane, each
 * component's and kube-proxy's.
 * @param {string} config
 * @param {string} version e.g. `v1.36.0`.
 */
function targetImages(config, version) {
  const doc = v1alpha1(config);
  /** @type {Record<string, string>} */
  const components = {};
  for (const c of COMPONENTS)
    components[c.name] = doc.cluster?.[c.key]?.image ?? `registry.k8s.io/${c.name}:${version}`;
  return {
    kubelet: doc.machine?.kubelet?.image ?? `ghcr.io/siderolabs/kubelet:${version}`,
    components,
    proxy: doc.cluster?.proxy?.image ?? `registry.k8s.io/kube-proxy:${version}`,
  };
}

/**
 * The images pre-pulled on a node: the kubelet's (containerd's system namespace) and,
 * on a control plane, the three components' (the CRI namespace), as upstream does.
 * @param {string} config
 * @param {"controlplane" | "worker"} role
 * @param {string} version
 * @returns {{ image: string, namespace: "system" | "cri" }[]}
 */
function imagesFor(config, role, version) {
  const images = targetImages(config, version);
  return [
    { image: images.kubelet, namespace: /** @type {const} */ ("system") },
    ...(role === "controlplane"
      ? Object.values(images.components).map((image) => ({
          image,
          namespace: /** @type {const} */ ("cri"),
        }))
      : []),
  ];
}

/**
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
            // talos_managed.go: a node that does not implement ImagePull is skipped.
            if (e instanceof Day2Error && e.code === "UNIMPLEMENTED") {
              session.log(`${n}: ImagePull is not implemented, skipping the pre-pull`);
              return;
            }
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
 * Applies the node's running configuration with one value changed, without a reboot,
 * as upgrade-k8s patches it. The configuration holds every cluster secret: it is only
 * ever passed from one Talos call to the next, never logged or kept.
 * @param {Session} session
 * @param {string} node
 * @param {string[]} path e.g. `["cluster", "apiServer", "image"]`.
 * @param {unknown} value
 */
async function patchRunning(session, node, path, value) {
  const running = await session.talos.resource(node, RESOURCES.machineConfig);
  if (running === null)
    throw new Error(
      `${node}: Talos has no running machine configuration (${RESOURCES.machineConfig.type} ${RESOURCES.machineConfig.id}); is it in maintenance mode?`,
    );
  const docs = YAML.parseAllDocuments(configText(running.yaml));
  const doc = docs.find((d) => isV1alpha1(d.toJS()));
  if (doc === undefined)
    throw new Error(`${node}: its running machine configuration has no v1alpha1 document`);
  doc.setIn(path, value);
  const text = docs.map((d) => d.toString()).join("---\n");
  await session.talos.applyConfiguration(node, { data: text, mode: "NO_REBOOT" });
}

/**
 * Waits until `fn` returns a value other than undefined, or fails naming what was seen.
 * @template T
 * @param {Session} session
 * @param {number} ms How long: one of `session.waits`.
 * @param {() => Promise<{ done: T } | { seen: string }>} fn
 * @param {(seen: string, seconds: number) => string} failure
 * @returns {Promise<T>}
 */
async function until(session, ms, fn, failure) {
  const deadline = Date.now() + ms;
  for (;;) {
    let seen;
    try {
      const r = await fn();
      if ("done" in r) return r.done;
      seen = r.seen;
    } catch (e) {
      seen = /** @type {Error} */ (e).message;
    }
    if (Date.now() >= deadline) throw new Error(failure(seen, ms / 1000));
    await delay(session.timing.pollMs);
  }
}

/**
 * Waits for a component's static pod to run configuration `version` and be Ready.
 * @param {Session} session
 * @param {string} node
 * @param {Component} c
 * @param {string} version The configuration resource's version.
 * @param {string} image
 */
async function waitForStaticPod(session, node, c, version, image) {
  const kube = await session.kube();
  await until(
    session,
    session.waits.podMs,
    async () => {
      const pod = (await kube.listPods(node)).find(
        (p) => p.mirror && p.containers.some((x) => x.name === c.name),
      );
      if (pod === undefined) return { seen: "no static pod" };
      const at = pod.annotations[CONFIG_VERSION_ANNOTATION] ?? "none";
      if (at !== version) return { seen: `its pod at configuration version ${at}` };
      if (!pod.ready) return { seen: `its pod at configuration version ${at}, not Ready` };
      return { done: undefined };
    },
    (seen, s) =>
      `${node}: ${c.name} did not become Ready at ${image} (configuration version ${version}) within ${s} s (seen: ${seen}); the Kubernetes upgrade stopped here, and no later node or component was touched. Check its logs (talosctl -n ${node} logs ${c.name}, kubectl -n kube-system logs ${c.name}-${node}), fix the cause (a flag the new release removed, say) and run pulumi up again, or set kubernetes.version back to revert what moved (a slow start: raise rollout.waits.controlPlanePodSeconds in cluster.yaml)`,
  );
}

/**
 * The rendered section of a component (`cluster.apiServer`, ...) when it differs from
 * the running one in more than the image (an operator patch added or fixed a flag, say),
 * else null. Compared as parsed, as Talos compares configurations.
 * @param {string} rendered
 * @param {string} running
 * @param {string} key
 * @returns {Record<string, unknown> | null}
 */
function sectionFix(rendered, running, key) {
  const want = { ...(v1alpha1(rendered).cluster?.[key] ?? {}) };
  const have = { ...(v1alpha1(running).cluster?.[key] ?? {}) };
  delete want.image;
  delete have.image;
  return isDeepStrictEqual(want, have) ? null : want;
}

/**
 * One component on one control plane: patch its image, wait for its configuration
 * resource to move, then for its pod. When the inventory changed that component's own
 * section (an operator patch, a fix of one), the rendered section goes in the same
 * apply, every other image held where the node runs it, so a fix reaches the node
 * before any wait on the component it fixes. Skips the patch when the resource already
 * has the image and the section is as rendered (a rerun), but still waits for the pod.
 * @param {Session} session
 * @param {string} node
 * @param {Component} c
 * @param {string} image
 * @returns {Promise<boolean>} Whether it changed anything.
 */
async function componentOnNode(session, node, c, image) {
  const t = session.talos;
  const before = await t.resource(node, { ...c.resource });
  const specImage = imageOfSpec(before?.yaml ?? "");
  const running = await t.resource(node, RESOURCES.machineConfig);
  const fix = sectionFix(session.news.configs[node] ?? "", running?.yaml ?? "", c.key);
  const asked = (session.asked[node] ??= {});
  if (before !== null && specImage === image && fix === null) {
    asked[c.name] = { image, done: false };
    await waitForStaticPod(session, node, c, before.version, image);
    asked[c.name] = { image, done: true };
    session.log(`${node}: ${c.name} already runs ${image}, skipped`);
    return false;
  }
  session.checkpoint(`${c.name} on ${node}`);
  const started = Date.now();
  const what = fix === null ? "" : ` with its configuration as the inventory renders it`;
  asked[c.name] = { image, done: false };
  await session.step(node, `${c.name} → ${image}${what} (no reboot)`, async () => {
    if (fix === null) await patchRunning(session, node, ["cluster", c.key, "image"], image);
    else await patchRunning(session, node, ["cluster", c.key], { ...fix, image });
    const after = await until(
      session,
      session.waits.podMs,
      /** @returns {Promise<{ done: string } | { seen: string }>} */
      async () => {
        const r = await t.resource(node, { ...c.resource });
        return r !== null && r.version !== (before?.version ?? "")
          ? { done: r.version }
          : { seen: `configuration version still ${r?.version ?? "absent"}` };
      },
      (seen, s) =>
        `${node}: Talos did not render the new ${c.name} configuration within ${s} s after the patch (${seen}); the Kubernetes upgrade stopped here`,
    );
    await waitForStaticPod(session, node, c, after, image);
  });
  asked[c.name] = { image, done: true };
  session.finished(node, `${c.name} ${shortTag(image)}`, Date.now() - started);
  return true;
}

/** @param {string} image */
function shortTag(image) {
  return /:([^:/@]+)(@sha256:[0-9a-f]+)?$/.exec(image)?.[1] ?? image;
}

/**
 * One node's kubelet: patch its image unless its kubelet spec has it, then wait for the
 * Node to report the version and be Ready.
 * @param {Session} session
 * @param {string} node
 * @param {string} image
 * @param {string} version
 * @returns {Promise<boolean>} Whether it changed anything.
 */
async function kubeletOnNode(session, node, image, version) {
  const t = session.talos;
  const kube = await session.kube();
  const spec = await t.resource(node, RESOURCES.kubeletSpec);
  const set = imageOfSpec(spec?.yaml ?? "") === image;
  const wait = () =>
    until(
      session,
      session.waits.kubeletMs,
      async () => {
        const n = await kube.getNode(node);
        if (n === null) return { seen: "no Node object" };
        if (n.kubeletVersion !== version) return { seen: `kubelet ${n.kubeletVersion}` };
        if (n.ready !== true) return { seen: `kubelet ${version}, Node not Ready` };
        return { done: undefined };
      },
      (seen, s) =>
        `${node}: its kubelet did not report ${version} and Ready within ${s} s (seen: ${seen}); the Kubernetes upgrade stopped here and touched no later node. Check the node (talosctl -n ${node} logs kubelet), then run pulumi up again`,
    );
  const asked = (session.asked[node] ??= {});
  asked.kubelet = { image, done: false };
  if (set) {
    await wait();
    asked.kubelet = { image, done: true };
    return false;
  }
  // Upstream patches a kubelet only while its service runs healthy (kubelet.go): a
  // sick kubelet is not made sicker by a new image.
  const service = (await t.serviceList(node)).find((s) => s.id === "kubelet");
  if (service === undefined || service.state !== "Running" || !service.healthy)
    throw new Error(
      `${node}: its kubelet is not healthy (${service === undefined ? "no kubelet service" : `${service.state}, healthy: ${service.healthy}`}), so it was not patched; the Kubernetes upgrade stopped here and touched no later node. Check it (talosctl -n ${node} service kubelet), then run pulumi up again`,
    );
  session.checkpoint(`the kubelet on ${node}`);
  const started = Date.now();
  await session.step(node, `kubelet → ${image} (no reboot)`, async () => {
    await patchRunning(session, node, ["machine", "kubelet", "image"], image);
    await wait();
  });
  asked.kubelet = { image, done: true };
  session.finished(node, `kubelet ${shortTag(image)}`, Date.now() - started);
  return true;
}

/**
 * What still runs another version on the node: "" when everything is at `version`
 * and Ready. Decides which nodes are pre-pulled.
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
      const tag = images.map((c) => shortTag(c.image));
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
 * Whether a node runs the configuration Pulumi rendered for it (documents compared as
 * parsed, as Talos compares them): then nothing is left for the configuration step.
 * @param {Session} session
 * @param {string} node
 */
async function runsRendered(session, node) {
  const running = await session.talos.resource(node, RESOURCES.machineConfig);
  if (running === null) return false;
  const parse = (/** @type {string} */ text) => YAML.parseAllDocuments(text).map((d) => d.toJS());
  return isDeepStrictEqual(parse(configText(running.yaml)), parse(session.news.configs[node]));
}

/**
 * What each node runs now, read through Talos (COSI), which answers while no API server
 * does (a single control plane whose kube-apiserver crashloops): on a control plane each
 * component's image (its configuration resource) and kube-proxy's (the running
 * configuration), and every node's kubelet image (its KubeletSpec); as image tags
 * (`v1.35.2`). A node that does not answer is left out (its recorded state stands for it).
 * @param {Session} session
 * @param {string[]} nodes
 * @returns {Promise<Record<string, Record<string, string>>>}
 */
async function runningTags(session, nodes) {
  /** @type {Record<string, Record<string, string>>} */
  const out = {};
  await inParallel(nodes, async (n) => {
    try {
      out[n] = await componentTags(session.talos, n, session.news.nodes[n].role);
    } catch (e) {
      session.log(
        `${n}: could not read what it runs (${/** @type {Error} */ (e).message}); its recorded state stands for it`,
      );
    }
  });
  return out;
}

/**
 * The `image` of a component's or the kubelet's spec resource (its YAML), undefined when
 * it names none. Every node of a cluster serves the same few texts, read at every step
 * and by every `status`: each is parsed once.
 * @type {(yaml: string) => string | undefined}
 */
const imageOfSpec = keepLast(64, (yaml) => {
  const image = /** @type {any} */ (YAML.parse(yaml))?.image;
  return typeof image === "string" ? image : undefined;
});

/**
 * One node's component image tags, read through Talos (see runningTags): also what
 * `npm run day2 -- rollout --dry-run` shows.
 * @param {import("../lib/talos").TalosClient} talos
 * @param {string} node
 * @param {"controlplane" | "worker"} role
 * @returns {Promise<Record<string, string>>}
 */
async function componentTags(talos, node, role) {
  /** @type {Record<string, string>} */
  const tags = {};
  const kubelet = await talos.resource(node, RESOURCES.kubeletSpec);
  if (kubelet !== null) tags.kubelet = shortTag(imageOfSpec(kubelet.yaml) ?? "");
  if (role === "controlplane") {
    for (const c of COMPONENTS) {
      const r = await talos.resource(node, { ...c.resource });
      if (r !== null) tags[c.name] = shortTag(imageOfSpec(r.yaml) ?? "");
    }
    const proxy = v1alpha1((await talos.resource(node, RESOURCES.machineConfig))?.yaml ?? "")
      .cluster?.proxy;
    if (proxy?.disabled !== true && typeof proxy?.image === "string")
      tags["kube-proxy"] = shortTag(proxy.image);
  }
  return tags;
}

/**
 * Brings the cluster to the inventory's Kubernetes version. Resolves whether it ran.
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled Updated in place as nodes finish.
 */
async function kubernetesStep(session, rolled) {
  const news = session.news;
  const version = `v${news.kubernetesVersion.replace(/^v/, "")}`;
  const all = Object.keys(news.nodes);
  const recorded = all.filter((n) => needs(rolled[n], news, n).kubernetes);
  // The cluster, not the state, says what runs: after a failed run (or when the state
  // asks for a move) every component that differs from the target is rolled, whatever
  // was recorded, so a revert or a fix reaches what the failed run left behind.
  const failedBefore = typeof session.olds.lastRun?.failed === "string";
  if (recorded.length === 0 && !failedBefore) return false;
  const runs = await runningTags(session, all);
  const todo = all.filter(
    (n) => recorded.includes(n) || Object.values(runs[n] ?? {}).some((tag) => tag !== version),
  );
  if (todo.length === 0) {
    session.log(`Kubernetes ${version}: every node already runs it`);
    return false;
  }
  session.log(`Kubernetes upgrade to ${version}: ${todo.join(", ")}`);
  // 1. The nodes, not the state, say which Talos they run: each must support the target.
  const target = parseVersion(news.kubernetesVersion);
  await inParallel(todo, async (n) => {
    const tag = (await session.talos.version(n)).tag;
    const why = target === null ? null : unsupportedKubernetes(news, tag, target);
    if (why !== null)
      throw new Error(
        `${n}: runs Talos ${tag}, which ${why}; nothing was changed on any node. Bring it to Talos ${news.talosVersion} first, then run pulumi up again`,
      );
  });
  // 2. The step starts at the lowest version any component runs (upstream's
  // DetectLowestVersion, pkg/cluster/kubernetes/detect.go), or the lowest recorded where
  // a node could not be read: it must be a path upstream allows, and nothing the step
  // removes may be in use, on any node.
  const seen = [
    ...Object.values(runs).flatMap((r) => Object.values(r)),
    ...all.filter((n) => runs[n] === undefined).map((n) => rolled[n]?.kubernetesVersion ?? ""),
  ];
  const lowest = seen
    .map((v) => ({ text: v, v: parseVersion(v) }))
    .filter((x) => x.v !== null)
    .sort((a, b) => compareVersions(/** @type {any} */ (a.v), /** @type {any} */ (b.v)))[0];
  if (target !== null && lowest !== undefined) {
    const refused = pathRefusal(lowest.text, news.kubernetesVersion);
    if (refused !== null)
      throw new Error(
        `the cluster's lowest component runs ${lowest.text}, so ${refused}; nothing was changed on any node`,
      );
    await upgradeChecks(session, all, /** @type {any} */ (lowest.v), target);
  }
  // 3. Every image, before anything changes, on the nodes not already there (a rerun).
  /** @type {string[]} */
  const behind = [];
  for (const n of todo) {
    // Without an API server (one control plane, its kube-apiserver crashlooping) what a
    // node lags is unknown: it is pulled for (a pull of a present image is cheap).
    const lags = await lagging(session, n, version).catch((e) => `unknown (${e.message})`);
    if (lags !== "") behind.push(n);
  }
  if (behind.length > 0) await prePull(session, behind, version);
  const cps = filterBatches(news.batches, (n) => news.nodes[n].role === "controlplane").flat();
  const images = Object.fromEntries(
    Object.keys(news.nodes).map((n) => [n, targetImages(news.configs[n], version)]),
  );
  // 4. Each component on every control plane before the next component.
  for (const c of COMPONENTS) {
    await session.eachBatch(
      `Kubernetes ${version}, ${c.name}`,
      cps.map((n) => [n]),
      ([n]) => componentOnNode(session, n, c, images[n].components[c.name]),
    );
  }
  // 5. kube-proxy, where it runs.
  for (const n of cps) {
    const running = await session.talos.resource(n, RESOURCES.machineConfig);
    const doc = v1alpha1(configText(running?.yaml ?? ""));
    if (doc.cluster?.proxy?.disabled === true || doc.cluster?.proxy?.image === images[n].proxy)
      continue;
    session.checkpoint(`kube-proxy on ${n}`);
    await session.step(n, `kube-proxy → ${images[n].proxy} (no reboot)`, () =>
      patchRunning(session, n, ["cluster", "proxy", "image"], images[n].proxy),
    );
  }
  // 6. The kubelets, last: control planes, then workers by batch.
  const done = (/** @type {string} */ n) => {
    rolled[n] = { ...rolled[n], kubernetesVersion: news.kubernetesVersion };
  };
  await session.eachBatch(
    `Kubernetes ${version}, kubelet`,
    filterBatches(news.batches, (n) => todo.includes(n)),
    async (batch) => {
      const changed = await inParallel(batch, async (n) => {
        const did = await kubeletOnNode(session, n, images[n].kubelet, version);
        await uncordonIfOurs(session, n);
        done(n);
        return did;
      });
      return changed.some((x) => x);
    },
  );
  // 7. The bootstrap manifests follow the new control plane.
  await manifestSync(session, `after the Kubernetes upgrade to ${version}`);
  // 8. What else the new rendering changes is the configuration step's.
  for (const n of todo) {
    if (await runsRendered(session, n))
      rolled[n] = { ...rolled[n], configHash: configHash(news.configs[n]) };
    else
      session.log(
        `${n}: its rendered configuration differs in more than images; the configuration step applies it`,
      );
  }
  return true;
}

/**
 * Syncs the bootstrap manifests from the first control plane that answers.
 * @param {Session} session
 * @param {string} why
 */
async function manifestSync(session, why) {
  const kube = await session.kube();
  const cp = session.controlPlanes()[0];
  session.checkpoint(`syncing the bootstrap manifests ${why}`);
  await session.step(cp, `sync the bootstrap manifests ${why}`, async () => {
    // talosctl syncs through the inventory only when every node runs Talos v1.13 or later
    // (talos_managed.go `PerformManifestsSync`); on an older node, without it.
    const tags = await inParallel(Object.keys(session.news.nodes), async (n) => ({
      n,
      tag: (await session.talos.version(n)).tag,
    }));
    const old = tags.filter(({ tag }) => {
      const m = /^v?(\d+)\.(\d+)\./.exec(tag);
      return m !== null && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 13));
    });
    if (old.length > 0)
      session.log(
        `bootstrap manifests: ${old.map((o) => `${o.n} runs Talos ${o.tag}`).join(", ")}, so they are synced as for Talos v1.12: no inventory, nothing pruned`,
      );
    const r = await syncManifests({
      talos: session.talos,
      kube,
      node: cp,
      log: (l) => session.log(l),
      timing: { timeoutMs: session.waits.manifestsMs, pollMs: session.timing.pollMs },
      legacy: old.length > 0,
    });
    if (r.applied.length === 0 && r.pruned.length === 0)
      session.log("bootstrap manifests: the cluster already matches what Talos renders");
  });
}

module.exports = {
  kubernetesStep,
  manifestSync,
  lagging,
  imagesFor,
  targetImages,
  patchRunning,
  runningTags,
  componentTags,
  sectionFix,
};
