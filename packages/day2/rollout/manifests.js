// @ts-check
/**
 * The bootstrap manifests (CoreDNS, kube-proxy, Flannel, their RBAC, and the inline
 * manifests of the configuration): Talos renders them on every control plane as
 * `Manifests.kubernetes.talos.dev` resources but only creates objects that are missing,
 * never updating or deleting one (manifest_apply.go). `talosctl upgrade-k8s` brings the
 * cluster to them with a server-side apply under the field manager `talos`, records what
 * it applied in the ConfigMap kube-system/talos-bootstrap-manifests-inventory, prunes
 * what left the manifests since, and waits for the rollouts (siderolabs/go-kubernetes
 * kubernetes/ssa). This module does the same, and tells which objects differ (for
 * `day2 status`).
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");
const YAML = require("yaml");
const { delay } = require("../lib/retry");
const { RESOURCES } = require("../lib/resources");
const { objectName } = require("../lib/kube");

/** The field manager upstream applies with: a later talosctl upgrade-k8s agrees on ownership. */
const FIELD_MANAGER = "talos";

/** Where upstream records the objects it applied, so that it can prune them later. */
const INVENTORY = Object.freeze({
  namespace: "kube-system",
  name: "talos-bootstrap-manifests-inventory",
});

/**
 * @typedef {import("../lib/talos").TalosClient} TalosClient
 * @typedef {import("../lib/kube").KubeClient} KubeClient
 */

/**
 * An object's inventory key, `<namespace>_<name>_<group>_<kind>` (empty namespace for a
 * cluster-wide object, empty group for the core group), the form Kubernetes tooling's
 * inventories use for object references.
 * @param {any} o
 */
function inventoryKey(o) {
  const group = String(o.apiVersion ?? "").includes("/") ? String(o.apiVersion).split("/")[0] : "";
  return `${o.metadata?.namespace ?? ""}_${o.metadata?.name ?? ""}_${group}_${o.kind}`;
}

/**
 * The reference an inventory key stands for, with the preferred version of its group
 * (`v1` for every group the bootstrap manifests use).
 * @param {string} key
 */
function refOfKey(key) {
  const [namespace, name, group, kind] = key.split("_");
  return {
    apiVersion: group === "" ? "v1" : `${group}/v1`,
    kind,
    name,
    ...(namespace === "" ? {} : { namespace }),
  };
}

/**
 * Whether every field `want` sets has the same value in `have` (lists compared element by
 * element, same length): what an apply of `want` would leave unchanged.
 * @param {any} want
 * @param {any} have
 * @returns {boolean}
 */
function covers(want, have) {
  if (want === null || typeof want !== "object") return isDeepStrictEqual(want, have);
  if (have === null || typeof have !== "object") return false;
  if (Array.isArray(want))
    return (
      Array.isArray(have) && want.length === have.length && want.every((w, i) => covers(w, have[i]))
    );
  return Object.entries(want).every(([k, v]) => covers(v, have[k]));
}

/** Namespaces and definitions first, so that what lives in them can be applied. @param {any} o */
function applyOrder(o) {
  return o.kind === "Namespace" ? 0 : o.kind === "CustomResourceDefinition" ? 1 : 2;
}

/**
 * The manifests a control plane renders now, every object in order, with the namespace
 * made explicit for namespaced objects that leave it out (`kube-system` is what Talos's
 * templates set; an inline manifest without one lands in `default`, as kubectl would).
 * @param {TalosClient} talos
 * @param {string} node
 * @returns {Promise<any[]>}
 */
async function renderedObjects(talos, node) {
  const resources = await talos.resources(node, RESOURCES.manifests);
  const objects = resources
    .sort((a, b) => a.id.localeCompare(b.id))
    .flatMap((r) => /** @type {any[]} */ (YAML.parse(r.yaml) ?? []))
    .filter((o) => o !== null && typeof o === "object" && typeof o.kind === "string");
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => applyOrder(a.o) - applyOrder(b.o) || a.i - b.i)
    .map(({ o }) => o);
}

/**
 * Each rendered object that the cluster lacks or holds with other values.
 * @param {KubeClient} kube
 * @param {readonly any[]} objects
 * @returns {Promise<{ object: any, why: "missing" | "differs" }[]>}
 */
async function differing(kube, objects) {
  /** @type {{ object: any, why: "missing" | "differs" }[]} */
  const out = [];
  for (const o of objects) {
    const live = await kube.getObject(refOf(o));
    if (live === null) out.push({ object: o, why: "missing" });
    else if (!covers(o, live)) out.push({ object: o, why: "differs" });
  }
  return out;
}

/**
 * What `day2 status` reports: the bootstrap manifests that differ from what a control
 * plane renders, by name.
 * @param {TalosClient} talos
 * @param {KubeClient} kube
 * @param {string} node A control plane.
 * @returns {Promise<string[]>}
 */
async function staleManifests(talos, kube, node) {
  const diff = await differing(kube, await renderedObjects(talos, node));
  return diff.map((d) => `${objectName(refOf(d.object))} (${d.why})`);
}

/** @param {any} o */
function refOf(o) {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata?.name,
    ...(o.metadata?.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
  };
}

/**
 * Whether a Deployment or DaemonSet, as read, has rolled out (its controller saw the
 * latest generation and every replica is updated and available, kubectl rollout
 * status's test), and what was seen.
 * @param {any} live The object, or null when it does not exist.
 * @returns {{ done: boolean, seen: string, desired: number }}
 */
function rolloutState(live) {
  const st = live?.status ?? {};
  const gen = live?.metadata?.generation ?? 0;
  const deployment = live?.kind === "Deployment";
  const desired = deployment ? (live?.spec?.replicas ?? 1) : (st.desiredNumberScheduled ?? 0);
  const updated = (deployment ? st.updatedReplicas : st.updatedNumberScheduled) ?? 0;
  const available = (deployment ? st.availableReplicas : st.numberAvailable) ?? 0;
  const seen = `generation ${st.observedGeneration ?? 0}/${gen}, updated ${updated}/${desired}, available ${available}/${desired}`;
  const done =
    live !== null &&
    (st.observedGeneration ?? 0) >= gen &&
    updated >= desired &&
    available >= desired;
  return { done, seen, desired };
}

/**
 * Waits until a Deployment or DaemonSet has rolled out: its controller saw the latest
 * generation and every replica is updated and available (kubectl rollout status's test).
 * @param {KubeClient} kube
 * @param {any} o
 * @param {{ timeoutMs: number, pollMs: number }} timing
 */
async function waitForRollout(kube, o, timing) {
  const deadline = Date.now() + timing.timeoutMs;
  for (;;) {
    const live = await kube.getObject(refOf(o));
    const { done, seen } = rolloutState(live);
    if (done) return;
    if (Date.now() >= deadline)
      throw new Error(
        `${objectName(refOf(o))} did not roll out within ${timing.timeoutMs / 1000} s after the bootstrap manifests were applied (${live === null ? "it is gone" : seen}); check its pods (kubectl -n ${o.metadata?.namespace ?? "default"} describe ${o.kind.toLowerCase()} ${o.metadata?.name}), then run pulumi up again`,
      );
    await delay(timing.pollMs);
  }
}

/**
 * Brings the cluster to the bootstrap manifests a control plane renders: applies what
 * differs (server-side, field manager `talos`, forcing conflicts as upstream does),
 * records every object in the inventory ConfigMap, deletes what the inventory holds and
 * the manifests no longer do, and waits for the rollouts of what it changed.
 * @param {{ talos: TalosClient, kube: KubeClient, node: string, log: (line: string) => void, timing: { timeoutMs: number, pollMs: number } }} ctx
 * @returns {Promise<{ applied: string[], pruned: string[] }>}
 */
async function syncManifests(ctx) {
  const { kube, log } = ctx;
  const objects = await renderedObjects(ctx.talos, ctx.node);
  if (objects.length === 0)
    throw new Error(
      `${ctx.node} renders no bootstrap manifests; nothing was applied or pruned (a control plane always renders some: check its Manifests resources with talosctl get manifests)`,
    );
  const inventoryRef = { apiVersion: "v1", kind: "ConfigMap", ...INVENTORY };
  const inventory = await kube.getObject(inventoryRef);
  const before = new Set(Object.keys(inventory?.data ?? {}));
  const diff = await differing(kube, objects);
  /** @type {string[]} */
  const applied = [];
  for (const { object, why } of diff) {
    const name = objectName(refOf(object));
    try {
      await kube.applyObject(object, { fieldManager: FIELD_MANAGER, force: true });
    } catch (e) {
      throw new Error(
        `applying the bootstrap manifest ${name} (${why}) failed: ${/** @type {Error} */ (e).message}; ${applied.length} object(s) were applied before it${applied.length === 0 ? "" : ` (${applied.join(", ")})`}, nothing was pruned. Fix it (an inline manifest in the inventory, or the Talos configuration), then run pulumi up again`,
      );
    }
    applied.push(name);
    log(`bootstrap manifest ${name}: ${why === "missing" ? "created" : "updated"}`);
  }
  const now = new Set(objects.map(inventoryKey));
  // The inventory lists what is applied now, before anything is pruned: a run that stops
  // in between prunes the rest next time.
  if (!isDeepStrictEqual([...before].sort(), [...now].sort()))
    await kube.applyObject(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { ...INVENTORY },
        data: Object.fromEntries([...now].sort().map((k) => [k, ""])),
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
  /** @type {string[]} */
  const pruned = [];
  for (const key of [...before].filter((k) => !now.has(k)).sort()) {
    const ref = refOfKey(key);
    if ((await kube.deleteObject(ref)) === "deleted") {
      pruned.push(objectName(ref));
      log(`bootstrap manifest ${objectName(ref)}: pruned (no longer rendered)`);
    }
  }
  for (const { object } of diff)
    if (object.kind === "Deployment" || object.kind === "DaemonSet")
      await waitForRollout(kube, object, ctx.timing);
  return { applied, pruned };
}

/**
 * Whether the cluster has the inventory a sync keeps: without it, a sync cannot prune
 * what left the manifests, since it never recorded what was there.
 * @param {KubeClient} kube
 */
async function hasInventory(kube) {
  return (await kube.getObject({ apiVersion: "v1", kind: "ConfigMap", ...INVENTORY })) !== null;
}

module.exports = {
  hasInventory,
  rolloutState,
  syncManifests,
  staleManifests,
  renderedObjects,
  covers,
  inventoryKey,
  FIELD_MANAGER,
  INVENTORY,
};
