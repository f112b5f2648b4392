// @ts-check
/**
 * The bootstrap manifests (CoreDNS, kube-proxy, Flannel, their RBAC, and the inline
 * manifests of the configuration): Talos renders them on every control plane as
 * `Manifests.kubernetes.talos.dev` resources but only creates objects that are missing,
 * never updating or deleting one (manifest_apply.go). `talosctl upgrade-k8s` brings the
 * cluster to them with a server-side apply under the field manager `talos`, records what
 * it applied in the ConfigMap kube-system/talos-bootstrap-manifests-inventory (which
 * Talos v1.13 itself keeps too, with cli-utils keys: ../lib/inventory), prunes what left
 * the manifests since, and waits for the rollouts (siderolabs/go-kubernetes
 * kubernetes/ssa). This module does the same, and tells which objects differ (for
 * `day2 status`), by the API server's dry-run apply.
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");
const YAML = require("yaml");
const { delay } = require("../lib/retry");
const { RESOURCES } = require("../lib/resources");
const { objectName } = require("../lib/kube");
const { memoByText } = require("../lib/memoByText");
const { INVENTORY, OWNING_INVENTORY, keyOf, refOfKey, refOfObject } = require("../lib/inventory");

/** The field manager upstream applies with: a later talosctl upgrade-k8s agrees on ownership. */
const FIELD_MANAGER = "talos";

/**
 * @typedef {import("../lib/talos").TalosClient} TalosClient
 * @typedef {import("../lib/kube").KubeClient} KubeClient
 * @typedef {"created" | "configured" | "unchanged"} Action
 */

/**
 * The manifests a control plane renders now, every object in manifest-id order
 * (`Manifests.kubernetes.talos.dev`, namespace `controlplane`, whose yaml spec is the list
 * of objects).
 * @param {TalosClient} talos
 * @param {string} node
 * @returns {Promise<any[]>}
 */
async function renderedObjects(talos, node) {
  const resources = await talos.resources(node, RESOURCES.manifests);
  return resources
    .sort((a, b) => a.id.localeCompare(b.id))
    .flatMap((r) => manifestObjects(r.yaml))
    .filter((o) => o !== null && typeof o === "object" && typeof o.kind === "string");
}

/** A manifest's objects, parsed once per text: every control plane serves the same ones. */
const manifestObjects = memoByText(
  64,
  (/** @type {string} */ yaml) => /** @type {any[]} */ (YAML.parse(yaml) ?? []),
);

/**
 * An object with its namespace settled as the API server scopes its kind (discovery): a
 * namespaced object without one is in `default` (as Talos and client-go put it), a
 * cluster-wide object has none.
 * @param {KubeClient} kube
 * @param {any} o
 */
async function settled(kube, o) {
  const copy = JSON.parse(JSON.stringify(o));
  copy.metadata ??= {};
  const { kind } = await kube.served(String(copy.apiVersion), copy.kind, copy.metadata.name);
  if (kind.namespaced) copy.metadata.namespace ??= "default";
  else delete copy.metadata.namespace;
  return copy;
}

/**
 * What a diff compares: the object without what the server alone writes
 * (go-kubernetes kubernetes/ssa and manifests/sync.go ignore the same metadata).
 * @param {any} o
 */
function comparable(o) {
  const { status: _s, ...rest } = JSON.parse(JSON.stringify(o ?? {}));
  for (const k of [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "finalizers",
    "selfLink",
    "ownerReferences",
  ])
    delete rest.metadata?.[k];
  return rest;
}

/**
 * Checks an object against the inventory policy talosctl upgrade-k8s uses by default
 * (`--manifests-inventory-policy AdoptIfNoInventory`; go-kubernetes ssa
 * inventory_policy.go): an object without the owning-inventory annotation, or with ours,
 * is ours to apply; one that names another inventory is refused.
 * @param {any} o The rendered object or the live one.
 * @param {string} where `rendered` or `live`.
 */
function checkOwner(o, where) {
  const owner = o?.metadata?.annotations?.[OWNING_INVENTORY];
  if (owner !== undefined && owner !== INVENTORY.name)
    throw new Error(
      `the bootstrap manifest ${objectName(refOf(o))} is owned by inventory ${owner} (its ${where} object's ${OWNING_INVENTORY} annotation), not ${INVENTORY.name}: nothing was applied or pruned. Remove it from the inline manifests, or remove the annotation if that inventory is gone, then run pulumi up again`,
    );
}

/**
 * The diff upstream makes (go-kubernetes kubernetes/ssa/diff.go): for each object, the
 * server's dry-run apply (field manager `talos`, forcing) against the live object.
 * @param {KubeClient} kube
 * @param {readonly any[]} objects Settled, annotated.
 * @returns {Promise<{ object: any, action: Action }[]>}
 */
async function diffObjects(kube, objects) {
  /** @type {{ object: any, action: Action }[]} */
  const out = [];
  for (const object of objects) {
    const live = await kube.getObject(refOf(object));
    if (live === null) {
      out.push({ object, action: "created" });
      continue;
    }
    checkOwner(live, "live");
    const dry = await kube.applyObject(object, {
      fieldManager: FIELD_MANAGER,
      force: true,
      dryRun: true,
    });
    out.push({
      object,
      action: isDeepStrictEqual(comparable(live), comparable(dry)) ? "unchanged" : "configured",
    });
  }
  return out;
}

/**
 * The rendered objects, settled and annotated with our inventory, ready to diff.
 * @param {KubeClient} kube
 * @param {readonly any[]} objects
 */
async function prepared(kube, objects) {
  const out = [];
  for (const o of objects) {
    checkOwner(o, "rendered");
    const s = await settled(kube, o);
    s.metadata.annotations = {
      ...(s.metadata.annotations ?? {}),
      [OWNING_INVENTORY]: INVENTORY.name,
    };
    out.push(s);
  }
  return out;
}

/**
 * What `day2 status` reports: the bootstrap manifests that differ from what a control
 * plane renders, by name, as the server's dry-run apply tells.
 * @param {TalosClient} talos
 * @param {KubeClient} kube
 * @param {string} node A control plane.
 * @returns {Promise<string[]>}
 */
async function staleManifests(talos, kube, node) {
  const diff = await diffObjects(kube, await prepared(kube, await renderedObjects(talos, node)));
  return diff
    .filter((d) => d.action !== "unchanged")
    .map(
      (d) => `${objectName(refOf(d.object))} (${d.action === "created" ? "missing" : "differs"})`,
    );
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
 * fluxcd/pkg ssa v0.73.0 `ApplyAllStaged` (manager_apply.go; utils/is.go): cluster
 * definitions first (CustomResourceDefinitions, Namespaces, ClusterRoles), then kinds
 * whose name ends in `Class`, then the rest.
 * @param {any} o
 */
function stageOf(o) {
  const v = String(o.apiVersion ?? "");
  const kind = String(o.kind ?? "");
  if (
    (kind === "CustomResourceDefinition" && v.startsWith("apiextensions.k8s.io/")) ||
    (kind === "Namespace" && v === "v1") ||
    (kind === "ClusterRole" && v.startsWith("rbac.authorization.k8s.io/"))
  )
    return 0;
  return kind.endsWith("Class") ? 1 : 2;
}

/** @param {any} v @param {number} dflt */
function int(v, dflt) {
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}

/**
 * Whether an object, as read, is current by fluxcd/cli-utils kstatus's rules (v1.2.0
 * pkg/kstatus/status: generic.go `checkGenericProperties`, core.go
 * `deploymentConditions`, `daemonsetConditions`, `stsConditions`), what fluxcd ssa
 * `WaitForSet` waits for and so `talosctl upgrade-k8s`:
 * - any object: not being deleted, its controller observed its generation, and no
 *   `Reconciling` (in progress) or `Stalled` (failed) condition true;
 * - Deployment: `replicas`, `updatedReplicas` and `readyReplicas` at least
 *   `spec.replicas`, no more `replicas` than that (an old replica left to terminate),
 *   every updated replica available, the `Available` condition true, and `Progressing`
 *   at `NewReplicaSetAvailable` when a progress deadline is set (failed at
 *   `ProgressDeadlineExceeded`);
 * - DaemonSet: `observedGeneration` set, and `desiredNumberScheduled` current, updated,
 *   available and ready;
 * - StatefulSet (unless `OnDelete`): `replicas` and `readyReplicas` equal to
 *   `spec.replicas`, then the partition updated when one is set, else every replica
 *   current and `currentRevision` equal to `updateRevision`;
 * - any other kind: current once stored.
 * @param {any} live The object, or null when it does not exist.
 * @returns {{ done: boolean, failed: boolean, seen: string, desired: number }}
 */
function rolloutState(live) {
  /** @param {string} seen @param {number} [desired] */
  const waiting = (seen, desired = 0) => ({ done: false, failed: false, seen, desired });
  if (live === null || live === undefined) return waiting("it is gone");
  if (typeof live.metadata?.deletionTimestamp === "string" && live.metadata.deletionTimestamp)
    return waiting("being deleted");
  const st = live.status ?? {};
  const spec = live.spec ?? {};
  const kind = live.kind;
  const gen = live.metadata?.generation;
  const observed = st.observedGeneration;
  if (typeof gen === "number" && typeof observed === "number" && observed !== gen)
    return waiting(`generation ${gen} not yet observed (observed ${observed})`);
  // kstatus's standard conditions, on any kind (generic.go `checkGenericProperties`).
  for (const c of Array.isArray(st.conditions) ? st.conditions : []) {
    if (c?.type === "Reconciling" && c.status === "True")
      return waiting(`reconciling${c.message ? `: ${c.message}` : ""}`);
    if (c?.type === "Stalled" && c.status === "True")
      return {
        done: false,
        failed: true,
        seen: `stalled${c.message ? `: ${c.message}` : ""}`,
        desired: 0,
      };
  }
  if (kind === "Deployment") {
    const want = int(spec.replicas, 1);
    const replicas = int(st.replicas, 0);
    const updated = int(st.updatedReplicas, 0);
    const ready = int(st.readyReplicas, 0);
    const available = int(st.availableReplicas, 0);
    const conditions = Array.isArray(st.conditions) ? st.conditions : [];
    let progressing = spec.progressDeadlineSeconds === undefined;
    let isAvailable = false;
    for (const c of conditions) {
      if (c?.type === "Progressing") {
        if (c.reason === "ProgressDeadlineExceeded")
          return { done: false, failed: true, seen: "progress deadline exceeded", desired: want };
        if (c.status === "True" && c.reason === "NewReplicaSetAvailable") progressing = true;
      } else if (c?.type === "Available" && c.status === "True") isAvailable = true;
    }
    if (want > replicas) return waiting(`replicas ${replicas}/${want}`, want);
    if (want > updated) return waiting(`updated ${updated}/${want}`, want);
    if (replicas > want)
      return waiting(`${replicas - want} old replica(s) left to terminate`, want);
    if (updated > available) return waiting(`available ${available}/${updated}`, want);
    if (want > ready) return waiting(`ready ${ready}/${want}`, want);
    if (!progressing) return waiting("its new ReplicaSet is not available", want);
    if (!isAvailable) return waiting("not Available", want);
    return { done: true, failed: false, seen: `${want} replica(s) rolled out`, desired: want };
  }
  if (kind === "DaemonSet") {
    if (typeof gen !== "number" || typeof observed !== "number")
      return waiting("its controller has not observed it yet");
    const want = int(st.desiredNumberScheduled, -1);
    if (want === -1) return waiting("no desiredNumberScheduled yet");
    for (const [field, label] of [
      ["currentNumberScheduled", "scheduled"],
      ["updatedNumberScheduled", "updated"],
      ["numberAvailable", "available"],
      ["numberReady", "ready"],
    ]) {
      const n = int(st[field], 0);
      if (want > n)
        return waiting(
          `${label} ${n}/${want}${label === "updated" ? ": the other nodes still run old pods" : ""}`,
          want,
        );
    }
    return { done: true, failed: false, seen: `${want} pod(s) rolled out`, desired: want };
  }
  if (kind === "StatefulSet") {
    const want = int(spec.replicas, 1);
    if (spec.updateStrategy?.type === "OnDelete")
      return { done: true, failed: false, seen: "OnDelete update strategy", desired: want };
    const replicas = int(st.replicas, 0);
    const ready = int(st.readyReplicas, 0);
    const current = int(st.currentReplicas, 0);
    const updated = int(st.updatedReplicas, 0);
    const partition = int(spec.updateStrategy?.rollingUpdate?.partition, -1);
    if (want > replicas) return waiting(`replicas ${replicas}/${want}`, want);
    if (want > ready) return waiting(`ready ${ready}/${want}`, want);
    if (replicas > want) return waiting(`${replicas - want} replica(s) left to terminate`, want);
    if (partition !== -1) {
      if (updated < want - partition)
        return waiting(`updated ${updated}/${want - partition} (partition ${partition})`, want);
      return { done: true, failed: false, seen: `partition rolled out`, desired: want };
    }
    if (want > current) return waiting(`current ${current}/${want}`, want);
    if ((st.currentRevision ?? "") !== (st.updateRevision ?? ""))
      return waiting(
        `revision ${st.currentRevision ?? "(none)"} not yet replaced by ${st.updateRevision ?? "(none)"}`,
        want,
      );
    return { done: true, failed: false, seen: `${want} replica(s) rolled out`, desired: want };
  }
  return { done: true, failed: false, seen: "applied", desired: 0 };
}

/**
 * Waits until every object the sync changed is current (rolloutState; fluxcd ssa
 * `WaitForSet` polling the set, failing fast on a failed object, as talos_managed.go
 * asks), bounded by `rollout.waits.manifestsSeconds`.
 * @param {KubeClient} kube
 * @param {readonly any[]} objects
 * @param {{ timeoutMs: number, pollMs: number }} timing
 */
async function waitForRollout(kube, objects, timing) {
  const deadline = Date.now() + timing.timeoutMs;
  let pending = [...objects];
  for (;;) {
    /** @type {{ o: any, seen: string }[]} */
    const left = [];
    for (const o of pending) {
      const state = rolloutState(await kube.getObject(refOf(o)));
      if (state.failed)
        throw new Error(
          `${objectName(refOf(o))} failed to roll out after the bootstrap manifests were applied (${state.seen}); check its pods (${describe(o)}), then run pulumi up again`,
        );
      if (!state.done) left.push({ o, seen: state.seen });
    }
    if (left.length === 0) return;
    pending = left.map((l) => l.o);
    if (Date.now() >= deadline)
      throw new Error(
        `${left.map((l) => objectName(refOf(l.o))).join(", ")} did not roll out within ${timing.timeoutMs / 1000} s after the bootstrap manifests were applied (${left.map((l) => (left.length === 1 ? l.seen : `${objectName(refOf(l.o))}: ${l.seen}`)).join("; ")}); check its pods (${describe(left[0].o)}), or raise rollout.waits.manifestsSeconds in cluster.yaml if the rollout is merely slow, then run pulumi up again`,
      );
    await delay(timing.pollMs);
  }
}

/** @param {any} o */
function describe(o) {
  return `kubectl${o.metadata?.namespace === undefined ? "" : ` -n ${o.metadata.namespace}`} describe ${String(o.kind).toLowerCase()} ${o.metadata?.name}`;
}

/**
 * The inventory's keys, creating the ConfigMap when it is missing (go-kubernetes
 * inventory/configmap `NewInventory`).
 * @param {KubeClient} kube
 * @returns {Promise<Set<string>>}
 */
async function readInventory(kube) {
  const ref = { apiVersion: "v1", kind: "ConfigMap", ...INVENTORY };
  const live = await kube.getObject(ref);
  if (live !== null) return new Set(Object.keys(live.data ?? {}));
  await kube.createObject(
    { apiVersion: "v1", kind: "ConfigMap", metadata: { ...INVENTORY } },
    { fieldManager: FIELD_MANAGER },
  );
  return new Set();
}

/**
 * Writes the inventory whole with an update (PUT), as go-kubernetes does (`Write`): an
 * apply could not remove the keys Talos's controller wrote, since another manager owns
 * them.
 * @param {KubeClient} kube
 * @param {Set<string>} keys
 */
async function writeInventory(kube, keys) {
  await kube.updateObject(
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { ...INVENTORY },
      data: Object.fromEntries([...keys].sort().map((k) => [k, ""])),
    },
    { fieldManager: FIELD_MANAGER },
  );
}

/** @param {Set<string>} a @param {Set<string>} b */
function sameKeys(a, b) {
  return a.size === b.size && [...a].every((k) => b.has(k));
}

/**
 * Waits until each object exists as applied: the wait between stages (fluxcd
 * `WaitForSet`; a Namespace, ClusterRole or StorageClass is current once stored).
 * @param {KubeClient} kube
 * @param {readonly any[]} objects
 * @param {{ timeoutMs: number, pollMs: number }} timing
 */
async function waitApplied(kube, objects, timing) {
  const deadline = Date.now() + timing.timeoutMs;
  for (const o of objects)
    while ((await kube.getObject(refOf(o))) === null) {
      if (Date.now() >= deadline)
        throw new Error(
          `${objectName(refOf(o))} was applied but is not there after ${timing.timeoutMs / 1000} s; run pulumi up again`,
        );
      await delay(timing.pollMs);
    }
}

/**
 * Brings the cluster to the bootstrap manifests a control plane renders, as
 * `talosctl upgrade-k8s` does on a cluster whose nodes all run Talos v1.13 or later
 * (talos_managed.go `syncManifestsSSA`, go-kubernetes kubernetes/ssa `Apply`): diff by
 * server-side dry run, apply what differs in fluxcd's three stages (field manager
 * `talos`, forcing ownership, each object annotated with the owning inventory), record
 * every rendered object in the inventory, prune what the inventory lists and the render
 * no longer has, and wait until every object it changed is current (kstatus's rules:
 * Deployments, DaemonSets and StatefulSets rolled out with no old replica left).
 *
 * With `legacy` (a node older than v1.13) it syncs as upstream does there
 * (go-kubernetes kubernetes/manifests `Sync`): create what is missing, update (PUT) what
 * a dry-run update shows differs, no inventory, no prune.
 * @param {{ talos: TalosClient, kube: KubeClient, node: string, log: (line: string) => void, timing: { timeoutMs: number, pollMs: number }, legacy?: boolean }} ctx
 * @returns {Promise<{ applied: string[], pruned: string[] }>}
 */
async function syncManifests(ctx) {
  const { kube, log } = ctx;
  const rendered = await renderedObjects(ctx.talos, ctx.node);
  if (rendered.length === 0)
    throw new Error(
      `${ctx.node} renders no bootstrap manifests; nothing was applied or pruned (a control plane always renders some: check its Manifests resources with talosctl get manifests)`,
    );
  if (ctx.legacy === true) return syncLegacy(ctx, rendered);
  const objects = await prepared(kube, rendered);
  const before = await readInventory(kube);
  const diff = await diffObjects(kube, objects);
  /** @type {string[]} */
  const applied = [];
  for (const stage of [0, 1, 2]) {
    const todo = diff.filter((d) => d.action !== "unchanged" && stageOf(d.object) === stage);
    for (const { object, action } of todo) {
      const name = objectName(refOf(object));
      try {
        await kube.applyObject(object, { fieldManager: FIELD_MANAGER, force: true });
      } catch (e) {
        throw new Error(
          `applying the bootstrap manifest ${name} (${action === "created" ? "missing" : "differs"}) failed: ${/** @type {Error} */ (e).message}; ${applied.length} object(s) were applied before it${applied.length === 0 ? "" : ` (${applied.join(", ")})`}, nothing was pruned. Fix it (an inline manifest in the inventory, or the Talos configuration), then run pulumi up again`,
        );
      }
      applied.push(name);
      log(`bootstrap manifest ${name}: ${action === "created" ? "created" : "updated"}`);
    }
    if (stage < 2 && todo.length > 0)
      await waitApplied(
        kube,
        todo.map((d) => d.object),
        ctx.timing,
      );
  }
  // Every rendered object joins the inventory before anything is pruned: a run that stops
  // in between prunes the rest next time.
  const inventory = new Set(before);
  for (const o of objects) inventory.add(keyOf(refOfObject(o)));
  // Upstream writes it every time; an update that changes nothing is no write at the API
  // server either, so an unchanged inventory is left alone.
  let written = before;
  if (!sameKeys(inventory, written)) {
    await writeInventory(kube, inventory);
    written = new Set(inventory);
  }
  /** @type {string[]} */
  const pruned = [];
  for (const key of [...inventory].sort()) {
    const ref = refOfKey(key);
    const rendersIt = objects.some((o) => {
      const r = refOfObject(o);
      return (
        r.kind === ref.kind &&
        r.group === ref.group &&
        r.name === ref.name &&
        (r.namespace === ref.namespace || ref.namespace === "")
      );
    });
    if (rendersIt) continue;
    const version = await kube.preferredVersion(ref.group);
    if (version === undefined) {
      log(
        `bootstrap manifest ${key}: its API group ${ref.group} is not served, dropped from the inventory`,
      );
      inventory.delete(key);
      continue;
    }
    const target = {
      apiVersion: ref.group === "" ? version : `${ref.group}/${version}`,
      kind: ref.kind,
      name: ref.name,
      ...(ref.namespace === "" ? {} : { namespace: ref.namespace }),
    };
    const live = await kube.getObject(target);
    const owner = live?.metadata?.annotations?.[OWNING_INVENTORY];
    if (live !== null && owner !== undefined && owner !== INVENTORY.name) {
      log(`bootstrap manifest ${objectName(target)}: not pruned, inventory ${owner} owns it`);
      continue;
    }
    if (live !== null && (await kube.deleteObject(target)) === "deleted") {
      pruned.push(objectName(target));
      log(`bootstrap manifest ${objectName(target)}: pruned (no longer rendered)`);
    }
    inventory.delete(key);
  }
  if (!sameKeys(inventory, written)) await writeInventory(kube, inventory);
  // Upstream waits on every object it created or configured (go-kubernetes ssa/cli
  // `Wait`): workloads until rolled out, the rest are current once stored.
  await waitForRollout(
    kube,
    diff.filter((d) => d.action !== "unchanged").map((d) => d.object),
    ctx.timing,
  );
  return { applied, pruned };
}

/**
 * The sync for a cluster with a node older than Talos v1.13 (go-kubernetes v0.2.38
 * kubernetes/manifests/sync.go): each object created when missing, else updated (PUT at
 * the live resourceVersion) when a dry-run update differs from it. Nothing is pruned and
 * no inventory is kept, as there.
 * @param {{ kube: KubeClient, log: (line: string) => void, timing: { timeoutMs: number, pollMs: number } }} ctx
 * @param {readonly any[]} rendered
 * @returns {Promise<{ applied: string[], pruned: string[] }>}
 */
async function syncLegacy(ctx, rendered) {
  const { kube, log } = ctx;
  /** @type {string[]} */
  const applied = [];
  /** @type {any[]} */
  const changed = [];
  for (const o of rendered) {
    const object = await settled(kube, o);
    const name = objectName(refOf(object));
    const live = await kube.getObject(refOf(object));
    try {
      if (live === null) {
        await kube.createObject(object, { fieldManager: FIELD_MANAGER });
        log(`bootstrap manifest ${name}: created`);
      } else {
        object.metadata.resourceVersion = live.metadata?.resourceVersion;
        const dry = await kube.updateObject(object, { fieldManager: FIELD_MANAGER, dryRun: true });
        if (isDeepStrictEqual(comparable(live), comparable(dry))) continue;
        await kube.updateObject(object, { fieldManager: FIELD_MANAGER });
        log(`bootstrap manifest ${name}: updated`);
      }
    } catch (e) {
      throw new Error(
        `applying the bootstrap manifest ${name} failed: ${/** @type {Error} */ (e).message}; ${applied.length} object(s) were applied before it. Fix it, then run pulumi up again`,
      );
    }
    applied.push(name);
    changed.push(object);
  }
  // Upstream's sync for older nodes waits on Deployments and DaemonSets only
  // (go-kubernetes kubernetes/manifests/rollout.go `WaitForRollout`).
  await waitForRollout(
    kube,
    changed.filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet"),
    ctx.timing,
  );
  return { applied, pruned: [] };
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
  stageOf,
  FIELD_MANAGER,
  INVENTORY,
};
