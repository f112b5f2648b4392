// @ts-check
/**
 * The fake Kubernetes API's store of ordinary objects (ServiceAccounts, ConfigMaps,
 * RBAC, Deployments, DaemonSets, ...), reached by the REST paths the API server serves:
 * GET one or a list, DELETE, and PATCH as a server-side apply
 * (`application/apply-patch+yaml`, `fieldManager` required); any other PATCH is
 * refused with 415.
 *
 * Server-side apply is modelled as far as the day-two work relies on it: an absent
 * object is created; an existing one takes the applied fields (maps merged key by key,
 * lists replaced whole), and a field the same manager applied last time but no longer
 * applies is removed, as SSA does for the fields a manager owns alone; its
 * `metadata.generation` moves when its spec changes, and the manager is recorded in
 * `metadata.managedFields`. Shared ownership and conflicts between managers are not
 * modelled. Deployments and DaemonSets report rollout status as their
 * controllers do: `observedGeneration`, and updated/available counts that reach the
 * desired count `rolloutMs` after a change, never while a container's image cannot be
 * pulled (`faults.badImages`).
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");

/** A deep copy of a JSON value (every object here came from JSON or YAML). @param {any} v @returns {any} */
function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/**
 * The kinds the fake serves: REST plural, API group and version, and whether namespaced
 * (as `kubectl api-resources` lists them for Kubernetes 1.36); `older` names earlier
 * versions still served before the release that removed them (the Deprecated API
 * Migration Guide), through which the same objects are read and written.
 * @type {Record<string, { plural: string, group: string, version: string, namespaced: boolean, older?: Record<string, number> }>}
 */
const KINDS = {
  Namespace: { plural: "namespaces", group: "", version: "v1", namespaced: false },
  ServiceAccount: { plural: "serviceaccounts", group: "", version: "v1", namespaced: true },
  ConfigMap: { plural: "configmaps", group: "", version: "v1", namespaced: true },
  Secret: { plural: "secrets", group: "", version: "v1", namespaced: true },
  Service: { plural: "services", group: "", version: "v1", namespaced: true },
  Deployment: { plural: "deployments", group: "apps", version: "v1", namespaced: true },
  DaemonSet: { plural: "daemonsets", group: "apps", version: "v1", namespaced: true },
  ClusterRole: {
    plural: "clusterroles",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    namespaced: false,
  },
  ClusterRoleBinding: {
    plural: "clusterrolebindings",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    namespaced: false,
  },
  Role: { plural: "roles", group: "rbac.authorization.k8s.io", version: "v1", namespaced: true },
  RoleBinding: {
    plural: "rolebindings",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    namespaced: true,
  },
  StorageClass: {
    plural: "storageclasses",
    group: "storage.k8s.io",
    version: "v1",
    namespaced: false,
  },
  RuntimeClass: {
    plural: "runtimeclasses",
    group: "node.k8s.io",
    version: "v1",
    namespaced: false,
  },
  // flowcontrol.apiserver.k8s.io/v1 since 1.29; v1beta3 removed in 1.32.
  FlowSchema: {
    plural: "flowschemas",
    group: "flowcontrol.apiserver.k8s.io",
    version: "v1",
    namespaced: false,
    older: { v1beta3: 32 },
  },
  PriorityLevelConfiguration: {
    plural: "prioritylevelconfigurations",
    group: "flowcontrol.apiserver.k8s.io",
    version: "v1",
    namespaced: false,
    older: { v1beta3: 32 },
  },
  APIService: {
    plural: "apiservices",
    group: "apiregistration.k8s.io",
    version: "v1",
    namespaced: false,
  },
};

/** @param {string} group @param {string} plural */
function kindOf(group, plural) {
  return Object.entries(KINDS).find(([, k]) => k.group === group && k.plural === plural)?.[0];
}

/**
 * Whether an API server at Kubernetes 1.`minor` serves `kind` at `version`.
 * @param {string} kind @param {string} version @param {number} minor
 */
function serves(kind, version, minor) {
  const k = KINDS[kind];
  if (k === undefined) return false;
  if (k.version === version) return true;
  const removedIn = k.older?.[version];
  return removedIn !== undefined && minor < removedIn;
}

/** Maps merged key by key, anything else replaced. @param {any} base @param {any} patch @returns {any} */
function merge(base, patch) {
  if (
    base === null ||
    patch === null ||
    typeof base !== "object" ||
    typeof patch !== "object" ||
    Array.isArray(base) ||
    Array.isArray(patch)
  )
    return clone(patch);
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : clone(v);
  return out;
}

/**
 * `obj` without the map keys `prev` set and `next` no longer sets (recursively).
 * @param {any} obj @param {any} prev @param {any} next @returns {any}
 */
function dropUnapplied(obj, prev, next) {
  const isMap = (/** @type {any} */ v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(obj) || !isMap(prev)) return obj;
  const out = { ...obj };
  for (const k of Object.keys(prev)) {
    if (!isMap(next) || !(k in next)) delete out[k];
    else out[k] = dropUnapplied(out[k], prev[k], next[k]);
  }
  return out;
}

class ObjectStore {
  /**
   * @param {{ rolloutMs: () => number, desiredPods: () => number, badImages: () => readonly string[], rejects: () => readonly string[] }} env
   */
  constructor(env) {
    /** @private */ this.env = env;
    /** `Kind/namespace/name` -> object. @type {Map<string, any>} */
    this.objects = new Map();
    /** `Kind/namespace/name` -> when its spec last changed (ms). @private @type {Map<string, number>} */
    this.changedAt = new Map();
    /** @private */ this.uid = 0;
    /** `Kind/namespace/name` -> manager -> what it applied last. @private @type {Map<string, Map<string, any>>} */
    this.lastApplied = new Map();
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  static key(kind, namespace, name) {
    return `${kind}/${namespace}/${name}`;
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  get(kind, namespace, name) {
    const o = this.objects.get(ObjectStore.key(kind, namespace, name));
    return o === undefined ? undefined : this.withStatus(kind, o);
  }

  /**
   * Creates an object unless it exists, as Talos's manifest controller does with the
   * bootstrap manifests. Returns whether it created it.
   * @param {any} obj
   * @param {string} manager
   */
  createIfMissing(obj, manager) {
    const kind = obj?.kind;
    if (KINDS[kind] === undefined) return false;
    const ns = KINDS[kind].namespaced ? (obj.metadata?.namespace ?? "default") : "";
    const key = ObjectStore.key(kind, ns, obj.metadata?.name);
    if (this.objects.has(key)) return false;
    this.put(key, clone(obj), manager, "Update", String(obj.apiVersion));
    return true;
  }

  /**
   * @private
   * @param {string} key
   * @param {any} obj
   * @param {string} manager
   * @param {"Apply" | "Update"} operation
   * @param {string} apiVersion What the request was made through.
   */
  put(key, obj, manager, operation, apiVersion) {
    const cur = this.objects.get(key);
    const [kind, ns] = key.split("/");
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (KINDS[kind]?.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    obj.metadata.uid = cur?.metadata?.uid ?? `uid-${++this.uid}`;
    const specChanged = !isDeepStrictEqual(cur?.spec, obj.spec);
    obj.metadata.generation =
      (cur?.metadata?.generation ?? 0) + (cur === undefined || specChanged ? 1 : 0);
    const managers = (cur?.metadata?.managedFields ?? []).filter(
      (/** @type {any} */ m) => m.manager !== manager,
    );
    // Each manager's entry records the API version it last wrote through
    // (ManagedFieldsEntry.apiVersion); the object is kept at the kind's own version.
    obj.metadata.managedFields = [...managers, { manager, operation, apiVersion }];
    const k = KINDS[kind];
    if (k !== undefined) obj.apiVersion = k.group === "" ? k.version : `${k.group}/${k.version}`;
    delete obj.status;
    this.objects.set(key, obj);
    if (cur === undefined || specChanged) this.changedAt.set(key, Date.now());
  }

  /**
   * A server-side apply of `applied` by `manager`.
   * @param {string} kind
   * @param {string} namespace
   * @param {string} name
   * @param {any} applied
   * @param {string} manager
   * @param {string} [apiVersion] What the request was made through: the URL's.
   * @returns {[number, any]}
   */
  apply(kind, namespace, name, applied, manager, apiVersion = applied?.apiVersion) {
    const key = ObjectStore.key(kind, namespace, name);
    if (applied?.kind !== kind || applied?.metadata?.name !== name)
      return [
        400,
        `the applied object is ${applied?.kind} "${applied?.metadata?.name}", not ${kind} "${name}" as the URL says`,
      ];
    if (this.env.rejects().includes(key))
      return [422, `${kind} "${name}" is invalid: spec: Invalid value (fault injected)`];
    const cur = this.objects.get(key);
    const { status: _ignored, ...rest } = applied;
    const mine = this.lastApplied.get(key) ?? new Map();
    const base = cur === undefined ? undefined : dropUnapplied(cur, mine.get(manager), rest);
    this.put(
      key,
      base === undefined ? clone(rest) : merge(base, rest),
      manager,
      "Apply",
      String(apiVersion),
    );
    mine.set(manager, clone(rest));
    this.lastApplied.set(key, mine);
    return [cur === undefined ? 201 : 200, this.get(kind, namespace, name)];
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  delete(kind, namespace, name) {
    const key = ObjectStore.key(kind, namespace, name);
    this.changedAt.delete(key);
    this.lastApplied.delete(key);
    return this.objects.delete(key);
  }

  /** @param {string} kind @param {string | undefined} namespace Undefined: all. */
  list(kind, namespace) {
    return [...this.objects.entries()]
      .filter(([k]) => {
        const [kk, ns] = k.split("/");
        return kk === kind && (namespace === undefined || ns === namespace);
      })
      .map(([, o]) => this.withStatus(kind, o));
  }

  /**
   * What a workload's controller reports.
   * @private
   * @param {string} kind
   * @param {any} o
   */
  withStatus(kind, o) {
    const copy = clone(o);
    if (kind !== "Deployment" && kind !== "DaemonSet") return copy;
    const key = ObjectStore.key(kind, copy.metadata.namespace ?? "", copy.metadata.name);
    const desired = kind === "Deployment" ? (copy.spec?.replicas ?? 1) : this.env.desiredPods();
    const images = (copy.spec?.template?.spec?.containers ?? []).map(
      (/** @type {any} */ c) => c.image,
    );
    const pulls = images.every((/** @type {string} */ i) => !this.env.badImages().includes(i));
    const settled = pulls && Date.now() - (this.changedAt.get(key) ?? 0) >= this.env.rolloutMs();
    const updated = settled ? desired : 0;
    copy.status =
      kind === "Deployment"
        ? {
            observedGeneration: copy.metadata.generation,
            replicas: desired,
            updatedReplicas: updated,
            readyReplicas: settled ? desired : 0,
            availableReplicas: settled ? desired : 0,
          }
        : {
            observedGeneration: copy.metadata.generation,
            desiredNumberScheduled: desired,
            currentNumberScheduled: desired,
            updatedNumberScheduled: updated,
            numberReady: settled ? desired : 0,
            numberAvailable: settled ? desired : 0,
          };
    return copy;
  }
}

module.exports = { ObjectStore, KINDS, kindOf, serves };
