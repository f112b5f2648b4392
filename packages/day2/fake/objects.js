// @ts-check
/**
 * The fake Kubernetes API's store of ordinary objects (ServiceAccounts, ConfigMaps,
 * RBAC, Deployments, DaemonSets, ...), reached by the REST paths the API server serves:
 * GET one or a list, POST (create), PUT (update, with resourceVersion conflicts), DELETE,
 * and PATCH as a server-side apply (`application/apply-patch+yaml`, `fieldManager`
 * required, `force` and `dryRun=All` taken); any other PATCH is refused with 415.
 *
 * Every write is validated (./apiserver/validation) and records field ownership in
 * `metadata.managedFields` as kube-apiserver does (./apiserver/fields): an apply removes
 * what its manager owned and no longer sends, and conflicts with another manager's
 * different value unless forced; an update owns what it changed. `metadata.generation`
 * moves when anything outside metadata changes; `resourceVersion` on every real write.
 * Deployments, DaemonSets and StatefulSets report rollout status as their controllers do
 * (the fields fluxcd/cli-utils kstatus reads): the controller observes a new generation
 * at once, and its pods take `rolloutMs` to become ready, never while a container's
 * image cannot be pulled (`faults.badImages`). After a change, a Deployment's old
 * replicas stay until the new ones are available (a surge: `replicas` counts both), a
 * DaemonSet's nodes run old pods until updated, a StatefulSet's `currentRevision` stays
 * the old one until every pod runs the `updateRevision`.
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");
const fields = require("./apiserver/fields");
const { invalid } = require("./apiserver/validation");

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
  StatefulSet: { plural: "statefulsets", group: "apps", version: "v1", namespaced: true },
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

/**
 * The answer to a write: the HTTP code and the object, or the code and a message.
 * @typedef {[number, any]} WriteAnswer
 */

/**
 * Everything an {@link ObjectStore} holds, as `saved` copies it.
 * @typedef {object} StoreState
 * @property {Map<string, any>} objects
 * @property {Map<string, import("./apiserver/fields").ManagedEntry[]>} managers
 * @property {Map<string, { at: number, created: boolean, from: string }>} changedAt
 * @property {number} uid
 * @property {number} revision
 */

/** A new store's etcd revision, before any write. */
const FIRST_REVISION = 100;

class ObjectStore {
  /**
   * @param {{ rolloutMs: () => number, desiredPods: () => number, badImages: () => readonly string[], rejects: () => readonly string[] }} env
   */
  constructor(env) {
    /** @private */ this.env = env;
    /** `Kind/namespace/name` -> object (without managedFields). @type {Map<string, any>} */
    this.objects = new Map();
    /** `Kind/namespace/name` -> its managers' entries. @private @type {Map<string, import("./apiserver/fields").ManagedEntry[]>} */
    this.managers = new Map();
    /** `Kind/namespace/name` -> when its spec last changed (ms), whether that was its creation, and its pod template's revision before. @private @type {Map<string, { at: number, created: boolean, from: string }>} */
    this.changedAt = new Map();
    /** @private */ this.uid = 0;
    /** The etcd revision: every write moves it, and the object takes it as resourceVersion. @private */
    this.revision = FIRST_REVISION;
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  static key(kind, namespace, name) {
    return `${kind}/${namespace}/${name}`;
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  get(kind, namespace, name) {
    const key = ObjectStore.key(kind, namespace, name);
    const o = this.objects.get(key);
    return o === undefined ? undefined : this.shown(key, kind, o);
  }

  /**
   * An object as the API server shows it: its managers' fields, and its status.
   * @private @param {string} key @param {string} kind @param {any} o
   */
  shown(key, kind, o) {
    const out = this.withStatus(kind, o);
    out.metadata.managedFields = fields.managedFields(this.managers.get(key) ?? []);
    return out;
  }

  /**
   * Stores `obj` (unless a dry run) as the new state of `key`, with its server metadata.
   * @private
   * @param {string} key
   * @param {any} obj
   * @param {import("./apiserver/fields").ManagedEntry[]} entries
   * @param {boolean} dryRun
   * @returns {any} The object as stored (or as it would be).
   */
  commit(key, obj, entries, dryRun) {
    const cur = this.objects.get(key);
    const [kind, ns] = key.split("/");
    const k = KINDS[kind];
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (k?.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    delete obj.metadata.managedFields;
    delete obj.status;
    if (k !== undefined) obj.apiVersion = k.group === "" ? k.version : `${k.group}/${k.version}`;
    obj.metadata.uid = cur?.metadata?.uid ?? (dryRun ? "" : `uid-${++this.uid}`);
    obj.metadata.creationTimestamp = cur?.metadata?.creationTimestamp ?? new Date().toISOString();
    // metadata.generation moves when anything but metadata and status changes
    // (the registry strategies' PrepareForUpdate).
    const { metadata: _m1, ...body } = obj;
    const { metadata: _m2, status: _s, ...before } = cur ?? {};
    const changed = cur === undefined || !isDeepStrictEqual(body, before);
    obj.metadata.generation = (cur?.metadata?.generation ?? 0) + (changed ? 1 : 0);
    const { resourceVersion: _r1, ...metaNow } = obj.metadata;
    const { resourceVersion: _r2, ...metaBefore } = cur?.metadata ?? {};
    const same = !changed && isDeepStrictEqual(metaNow, metaBefore);
    const prevEntries = this.managers.get(key) ?? [];
    const sameOwners =
      prevEntries.length === entries.length &&
      prevEntries.every(
        (e, i) =>
          e.manager === entries[i].manager &&
          e.operation === entries[i].operation &&
          isDeepStrictEqual([...e.paths].sort(), [...entries[i].paths].sort()),
      );
    // A write that changes nothing is not written (no new resourceVersion).
    obj.metadata.resourceVersion =
      same && sameOwners ? cur?.metadata?.resourceVersion : String(this.revision + 1);
    if (dryRun) {
      const out = this.withStatus(kind, obj);
      out.metadata.managedFields = fields.managedFields(entries);
      return out;
    }
    if (!(same && sameOwners)) this.revision++;
    this.objects.set(key, obj);
    this.managers.set(key, entries);
    // A change outside the pod template (replicas, a label) starts no new pods: a rollout
    // under way goes on, a finished one stays finished.
    const last = this.changedAt.get(key);
    if (changed && (cur === undefined || revisionOf(cur) !== revisionOf(obj)))
      this.changedAt.set(key, {
        at: Date.now(),
        created: cur === undefined,
        from: cur === undefined ? "" : revisionOf(cur),
      });
    else if (changed && last !== undefined && Date.now() - last.at >= this.env.rolloutMs())
      this.changedAt.delete(key);
    return this.shown(key, kind, obj);
  }

  /**
   * A write's checks before anything is stored: injected rejections, validation.
   * @private @param {string} key @param {string} kind @param {any} obj
   * @returns {WriteAnswer | undefined}
   */
  refused(key, kind, obj) {
    if (this.env.rejects().includes(key))
      return [
        422,
        `${kind} "${obj?.metadata?.name}" is invalid: spec: Invalid value (fault injected)`,
      ];
    const bad = invalid(kind, obj);
    return bad === undefined ? undefined : [422, bad];
  }

  /**
   * Create (POST): 409 when the object exists.
   * @param {string} kind @param {string} namespace @param {any} obj
   * @param {{ manager: string, apiVersion: string, dryRun?: boolean }} how
   * @returns {WriteAnswer}
   */
  create(kind, namespace, obj, how) {
    const name = obj?.metadata?.name;
    if (typeof name !== "string" || name === "")
      return [
        422,
        `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      ];
    const key = ObjectStore.key(kind, namespace, name);
    if (this.objects.has(key))
      return [409, `${KINDS[kind]?.plural ?? kind} "${name}" already exists`];
    const bad = this.refused(key, kind, obj);
    if (bad !== undefined) return bad;
    const next = clone(obj);
    const entries = fields.update(undefined, next, [], how);
    return [201, this.commit(key, next, entries, how.dryRun === true)];
  }

  /**
   * Update (PUT): the whole object replaced; 404 when absent, 409 when its
   * metadata.resourceVersion is set and not the stored one (optimistic concurrency).
   * @param {string} kind @param {string} namespace @param {string} name @param {any} obj
   * @param {{ manager: string, apiVersion: string, dryRun?: boolean }} how
   * @returns {WriteAnswer}
   */
  update(kind, namespace, name, obj, how) {
    const key = ObjectStore.key(kind, namespace, name);
    const cur = this.objects.get(key);
    if (cur === undefined) return [404, `${KINDS[kind]?.plural ?? kind} "${name}" not found`];
    if (obj?.metadata?.name !== name)
      return [
        400,
        `the name of the object (${obj?.metadata?.name}) does not match the name on the URL (${name})`,
      ];
    const rv = obj?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== cur.metadata.resourceVersion)
      return [
        409,
        `Operation cannot be fulfilled on ${KINDS[kind]?.plural ?? kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      ];
    const bad = this.refused(key, kind, obj);
    if (bad !== undefined) return bad;
    const next = clone(obj);
    next.metadata = {
      ...next.metadata,
      uid: cur.metadata.uid,
      generation: cur.metadata.generation,
    };
    const entries = fields.update(cur, next, this.managers.get(key) ?? [], how);
    return [200, this.commit(key, next, entries, how.dryRun === true)];
  }

  /**
   * A server-side apply of `applied` by `manager`.
   * @param {string} kind
   * @param {string} namespace
   * @param {string} name
   * @param {any} applied
   * @param {{ manager: string, apiVersion: string, force?: boolean, dryRun?: boolean }} how
   * @returns {WriteAnswer}
   */
  apply(kind, namespace, name, applied, how) {
    const key = ObjectStore.key(kind, namespace, name);
    if (applied?.kind !== kind || applied?.metadata?.name !== name)
      return [
        400,
        `the applied object is ${applied?.kind} "${applied?.metadata?.name}", not ${kind} "${name}" as the URL says`,
      ];
    const cur = this.objects.get(key);
    const r = fields.apply(cur, applied, this.managers.get(key) ?? [], {
      manager: how.manager,
      force: how.force === true,
      apiVersion: how.apiVersion,
    });
    if ("conflicts" in r) {
      const n = r.conflicts.length;
      return [
        409,
        `Apply failed with ${n} conflict${n === 1 ? "" : "s"}: ${r.conflicts
          .map((c) => `conflict with "${c.manager}": ${fields.fieldPath(c.path)}`)
          .join("\n")}`,
      ];
    }
    const bad = this.refused(key, kind, r.object);
    if (bad !== undefined) return bad;
    if (cur !== undefined) {
      r.object.metadata.uid = cur.metadata.uid;
      r.object.metadata.generation = cur.metadata.generation;
      r.object.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    }
    return [
      cur === undefined ? 201 : 200,
      this.commit(key, r.object, r.entries, how.dryRun === true),
    ];
  }

  /**
   * A copy of everything the store holds, for {@link ObjectStore#restore}.
   * @returns {StoreState}
   */
  saved() {
    return structuredClone({
      objects: this.objects,
      managers: this.managers,
      changedAt: this.changedAt,
      uid: this.uid,
      revision: this.revision,
    });
  }

  /**
   * Makes a store that was never written hold a copy of `state`, as if each of its
   * writes had been made now: creation timestamps, managers' times and rollout starts
   * take the present time. The fake cluster starts from the state its bootstrap
   * manifests left in another cluster (cluster.js `bootstrap`).
   * @param {StoreState} state
   */
  restore(state) {
    if (this.revision !== FIRST_REVISION || this.objects.size > 0)
      throw new Error("the fake API server's store was written before a restore");
    const s = structuredClone(state);
    const now = new Date();
    const iso = now.toISOString();
    for (const o of s.objects.values()) o.metadata.creationTimestamp = iso;
    for (const list of s.managers.values()) for (const e of list) e.time = iso;
    for (const c of s.changedAt.values()) c.at = now.getTime();
    this.objects = s.objects;
    this.managers = s.managers;
    this.changedAt = s.changedAt;
    this.uid = s.uid;
    this.revision = s.revision;
  }

  /** @param {string} kind @param {string} namespace @param {string} name */
  delete(kind, namespace, name) {
    const key = ObjectStore.key(kind, namespace, name);
    this.changedAt.delete(key);
    this.managers.delete(key);
    return this.objects.delete(key);
  }

  /** @param {string} kind @param {string | undefined} namespace Undefined: all. */
  list(kind, namespace) {
    return [...this.objects.entries()]
      .filter(([k]) => {
        const [kk, ns] = k.split("/");
        return kk === kind && (namespace === undefined || ns === namespace);
      })
      .map(([k, o]) => this.shown(k, kind, o));
  }

  /**
   * What a workload's controller reports: Deployment, DaemonSet and StatefulSet status
   * with the fields kstatus reads (cli-utils v1.2.0 pkg/kstatus/status/core.go).
   * @private
   * @param {string} kind
   * @param {any} o
   */
  withStatus(kind, o) {
    const copy = clone(o);
    if (kind !== "Deployment" && kind !== "DaemonSet" && kind !== "StatefulSet") return copy;
    const key = ObjectStore.key(kind, copy.metadata.namespace ?? "", copy.metadata.name);
    const d = kind === "DaemonSet" ? this.env.desiredPods() : Math.max(0, copy.spec?.replicas ?? 1);
    const images = (copy.spec?.template?.spec?.containers ?? []).map(
      (/** @type {any} */ c) => c.image,
    );
    const pulls = images.every((/** @type {string} */ i) => !this.env.badImages().includes(i));
    const change = this.changedAt.get(key);
    const since = change === undefined ? Infinity : Date.now() - change.at;
    const rev = revisionOf(copy);
    // The new pods are ready once `rolloutMs` has passed (never with a bad image).
    const ready = pulls && since >= this.env.rolloutMs();
    // Pods of the previous template, still there until the new ones are ready.
    const old = ready || change === undefined || change.created ? 0 : d;
    const gen = copy.metadata.generation;
    if (kind === "Deployment") {
      const available = ready ? d : old;
      copy.status = {
        observedGeneration: gen,
        replicas: d + old,
        updatedReplicas: d,
        readyReplicas: available,
        availableReplicas: available,
        ...(ready ? {} : { unavailableReplicas: d }),
        conditions: [
          {
            type: "Available",
            status: available >= d ? "True" : "False",
            reason: available >= d ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          },
          {
            type: "Progressing",
            status: "True",
            reason: ready ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
          },
        ],
      };
    } else if (kind === "DaemonSet") {
      copy.status = {
        observedGeneration: gen,
        desiredNumberScheduled: d,
        currentNumberScheduled: d,
        updatedNumberScheduled: ready || old === 0 ? d : 0,
        numberReady: ready || old > 0 ? d : 0,
        numberAvailable: ready || old > 0 ? d : 0,
        ...(ready ? {} : { numberUnavailable: old > 0 ? 0 : d }),
      };
    } else {
      // RollingUpdate replaces one pod at a time: while the new one is not ready, the
      // others still run the old revision.
      const replacing = old > 0 ? Math.min(1, d) : 0;
      copy.status = {
        observedGeneration: gen,
        replicas: d,
        readyReplicas: ready ? d : d - replacing - (old > 0 ? 0 : d),
        availableReplicas: ready ? d : d - replacing - (old > 0 ? 0 : d),
        currentReplicas: ready || old === 0 ? d : d - replacing,
        updatedReplicas: ready || old === 0 ? d : replacing,
        currentRevision: old > 0 ? change?.from : rev,
        updateRevision: rev,
      };
    }
    return copy;
  }
}

/**
 * A workload's revision: a hash of its pod template, named as the StatefulSet controller
 * names its ControllerRevisions (`<name>-<hash>`).
 * @param {any} o
 */
function revisionOf(o) {
  const text = JSON.stringify(o?.spec?.template ?? {});
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return `${o?.metadata?.name}-${h.toString(16).slice(0, 10)}`;
}

module.exports = { ObjectStore, KINDS, kindOf, serves };
