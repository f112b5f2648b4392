// @ts-check
/**
 * Field ownership as kube-apiserver keeps it for server-side apply (structured-merge-diff,
 * `metadata.managedFields` with `fieldsType: FieldsV1`), for the fake API server.
 *
 * An object is seen as its leaf fields, each at a path of FieldsV1 segments: `f:<name>`
 * for a map key, `k:<json>` for the element of a keyed list (its key fields as JSON), and
 * `.` for the element itself. A leaf is a scalar, an atomic list (any list not in
 * {@link KEYED_LISTS}), or an empty map. Each manager owns a set of paths:
 * - an apply owns exactly the paths it sent; the paths it owned before and no longer
 *   sends are removed from the object unless another manager owns them;
 * - an apply that sends a path another manager owns with a different value is a conflict,
 *   unless forced, when that manager loses the path;
 * - an update (POST, PUT) owns the paths whose values it changed; the others lose them.
 */
"use strict";

const { isDeepStrictEqual } = require("node:util");

/** A deep copy of a JSON value. @param {any} v @returns {any} */
function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/**
 * The keyed lists the fake knows, by field name: the key fields of their elements
 * (Kubernetes' core/v1 types.go, `+listType=map` / `+listMapKey` and `patchMergeKey`):
 * containers, init and ephemeral containers, env and volumes by `name`; a container's
 * ports by `containerPort` and `protocol`, a Service's by `port` and `protocol`;
 * volumeMounts by `mountPath`. Every other list is atomic.
 * @type {Record<string, (el: any) => string[]>}
 */
const KEYED_LISTS = {
  containers: () => ["name"],
  initContainers: () => ["name"],
  ephemeralContainers: () => ["name"],
  env: () => ["name"],
  volumes: () => ["name"],
  volumeMounts: () => ["mountPath"],
  ports: (el) => ("containerPort" in el ? ["containerPort", "protocol"] : ["port", "protocol"]),
};

/** Metadata the server keeps itself: never owned, never applied. */
const SERVER_METADATA = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "selfLink",
]);

/** @param {any} v */
const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The key of a keyed list's element, `protocol` defaulted to TCP as the API server
 * defaults it (core/v1 defaults.go); undefined when the list is atomic.
 * @param {string} field
 * @param {any} el
 * @returns {Record<string, unknown> | undefined}
 */
function elementKey(field, el) {
  const keys = KEYED_LISTS[field];
  if (keys === undefined || !isMap(el)) return undefined;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const k of keys(el)) out[k] = el[k] ?? (k === "protocol" ? "TCP" : undefined);
  return out;
}

/** @param {Record<string, unknown>} key */
const keySegment = (key) =>
  `k:${JSON.stringify(Object.fromEntries(Object.entries(key).sort(([a], [b]) => a.localeCompare(b))))}`;

/**
 * Every leaf of an object: path (JSON of its segments) -> value.
 * @param {any} obj
 * @returns {Map<string, any>}
 */
function leaves(obj) {
  /** @type {Map<string, any>} */
  const out = new Map();
  /** @param {any} v @param {string[]} at @param {string} field */
  const walk = (v, at, field) => {
    if (Array.isArray(v)) {
      const keyed = v.length > 0 && v.every((el) => elementKey(field, el) !== undefined);
      if (!keyed) {
        out.set(JSON.stringify(at), v);
        return;
      }
      for (const el of v) {
        const seg = keySegment(/** @type {Record<string, unknown>} */ (elementKey(field, el)));
        out.set(JSON.stringify([...at, seg, "."]), null);
        for (const [k, x] of Object.entries(el)) walk(x, [...at, seg, `f:${k}`], k);
      }
      return;
    }
    if (isMap(v)) {
      const entries = Object.entries(v);
      if (entries.length === 0 && at.length > 0) out.set(JSON.stringify(at), {});
      for (const [k, x] of entries) walk(x, [...at, `f:${k}`], k);
      return;
    }
    out.set(JSON.stringify(at), v);
  };
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (k === "apiVersion" || k === "kind" || k === "status") continue;
    if (k === "metadata") {
      for (const [mk, mv] of Object.entries(v ?? {}))
        if (!SERVER_METADATA.has(mk)) walk(mv, ["f:metadata", `f:${mk}`], mk);
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

/**
 * The list element a `k:` segment names, and its index.
 * @param {any[]} list @param {string} field @param {string} seg
 */
function findElement(list, field, seg) {
  const i = list.findIndex((el) => {
    const key = elementKey(field, el);
    return key !== undefined && keySegment(key) === seg;
  });
  return i;
}

/**
 * The value at a path, or undefined.
 * @param {any} obj @param {string[]} path
 */
function valueAt(obj, path) {
  let cur = obj;
  let field = "";
  for (const seg of path) {
    if (seg === ".") return cur;
    if (seg.startsWith("f:")) {
      if (!isMap(cur)) return undefined;
      field = seg.slice(2);
      cur = cur[field];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = findElement(cur, field, seg);
      if (i < 0) return undefined;
      cur = cur[i];
    }
  }
  return cur;
}

/**
 * Sets the value at a path, creating maps and keyed elements on the way.
 * @param {any} obj @param {string[]} path @param {any} value
 */
function setAt(obj, path, value) {
  let cur = obj;
  let field = "";
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (seg === ".") return;
    if (seg.startsWith("f:")) {
      field = seg.slice(2);
      if (last) {
        if (!(isMap(value) && isMap(cur[field]))) cur[field] = clone(value);
        return;
      }
      const next = path[i + 1];
      if (next.startsWith("k:")) {
        if (!Array.isArray(cur[field])) cur[field] = [];
      } else if (!isMap(cur[field])) cur[field] = {};
      cur = cur[field];
    } else {
      let j = findElement(cur, field, seg);
      if (j < 0) {
        cur.push(JSON.parse(seg.slice(2)));
        j = cur.length - 1;
      }
      cur = cur[j];
    }
  }
}

/**
 * Removes the value at a path (a `.` path removes the whole element).
 * @param {any} obj @param {string[]} path
 */
function removeAt(obj, path) {
  const parentPath = path[path.length - 1] === "." ? path.slice(0, -1) : path;
  const last = parentPath[parentPath.length - 1];
  const holderPath = parentPath.slice(0, -1);
  const holder = holderPath.length === 0 ? obj : valueAt(obj, holderPath);
  if (last.startsWith("f:")) {
    if (isMap(holder)) delete holder[last.slice(2)];
    return;
  }
  const field = holderPath[holderPath.length - 1]?.slice(2) ?? "";
  if (Array.isArray(holder)) {
    const i = findElement(holder, field, last);
    if (i >= 0) holder.splice(i, 1);
  }
}

/**
 * One manager's entry: what it owns and how it last wrote.
 * @typedef {object} ManagedEntry
 * @property {string} manager
 * @property {"Apply" | "Update"} operation
 * @property {string} apiVersion
 * @property {string} time
 * @property {Set<string>} paths
 */

/** @param {string} a @param {string} b Whether `b` is `a` or below it. */
const under = (a, b) => b === a || b.startsWith(`${a.slice(0, -1)},`);

/**
 * A server-side apply. Returns the new object and entries, or the conflicts.
 * @param {any} live The object as stored (undefined: absent).
 * @param {any} applied What the manager sent.
 * @param {ManagedEntry[]} entries
 * @param {{ manager: string, force: boolean, apiVersion: string }} how
 * @returns {{ object: any, entries: ManagedEntry[] } | { conflicts: { manager: string, path: string }[] }}
 */
function apply(live, applied, entries, how) {
  const sent = leaves(applied);
  const mine = entries.find((e) => e.manager === how.manager && e.operation === "Apply");
  const others = entries.filter((e) => e !== mine).map((e) => ({ ...e, paths: new Set(e.paths) }));
  /** @type {{ manager: string, path: string }[]} */
  const conflicts = [];
  for (const [p, v] of sent) {
    const path = JSON.parse(p);
    if (path[path.length - 1] === ".") continue;
    const have = valueAt(live, path);
    for (const e of others) {
      if (!e.paths.has(p) || isDeepStrictEqual(have, v)) continue;
      if (how.force) e.paths.delete(p);
      else conflicts.push({ manager: e.manager, path: p });
    }
  }
  if (conflicts.length > 0) return { conflicts };
  const out = live === undefined ? {} : clone(live);
  const ownedByOthers = (/** @type {string} */ p) => {
    const base = p.endsWith(',"."]') ? `${p.slice(0, -5)}]` : p;
    return others.some((e) => [...e.paths].some((q) => under(base, q) || under(q, base)));
  };
  // Deepest first, so that an element's fields go before the element.
  const dropped = [...(mine?.paths ?? [])]
    .filter((p) => !sent.has(p) && !ownedByOthers(p))
    .sort((a, b) => JSON.parse(b).length - JSON.parse(a).length);
  for (const p of dropped) removeAt(out, JSON.parse(p));
  for (const [p, v] of sent) setAt(out, JSON.parse(p), v);
  out.apiVersion = applied.apiVersion;
  out.kind = applied.kind;
  out.metadata = { ...(out.metadata ?? {}), name: applied.metadata?.name };
  const entry = {
    manager: how.manager,
    operation: /** @type {const} */ ("Apply"),
    apiVersion: how.apiVersion,
    time: new Date().toISOString(),
    paths: new Set(sent.keys()),
  };
  return { object: out, entries: [...others.filter((e) => e.paths.size > 0), entry] };
}

/**
 * An update (POST or PUT) by `manager`: it owns what it changed; the others lose it, and
 * everyone loses what is gone.
 * @param {any} live @param {any} next @param {ManagedEntry[]} entries
 * @param {{ manager: string, apiVersion: string }} how
 * @returns {ManagedEntry[]}
 */
function update(live, next, entries, how) {
  const before = leaves(live);
  const after = leaves(next);
  const changed = [...after].filter(
    ([p, v]) => !before.has(p) || !isDeepStrictEqual(before.get(p), v),
  );
  const changedSet = new Set(changed.map(([p]) => p));
  const mine = entries.find((e) => e.manager === how.manager && e.operation === "Update");
  const out = entries
    .filter((e) => e !== mine)
    .map((e) => ({
      ...e,
      paths: new Set([...e.paths].filter((p) => after.has(p) && !changedSet.has(p))),
    }))
    .filter((e) => e.paths.size > 0);
  const paths = new Set([...(mine?.paths ?? [])].filter((p) => after.has(p)));
  for (const p of changedSet) paths.add(p);
  if (paths.size > 0)
    out.push({
      manager: how.manager,
      operation: "Update",
      apiVersion: how.apiVersion,
      time: changedSet.size > 0 || mine === undefined ? new Date().toISOString() : mine.time,
      paths,
    });
  return out;
}

/**
 * The `metadata.managedFields` the API server shows for these entries (FieldsV1 trees).
 * @param {ManagedEntry[]} entries
 */
function managedFields(entries) {
  return entries.map((e) => {
    /** @type {Record<string, any>} */
    const tree = {};
    for (const p of e.paths) {
      let cur = tree;
      for (const seg of JSON.parse(p)) cur = cur[seg] ??= {};
    }
    return {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: "FieldsV1",
      fieldsV1: tree,
    };
  });
}

/**
 * A path as kube-apiserver's conflict message prints it, e.g. `.spec.replicas`,
 * `.spec.template.spec.containers[name="coredns"].image`.
 * @param {string} p
 */
function fieldPath(p) {
  return /** @type {string[]} */ (JSON.parse(p))
    .filter((s) => s !== ".")
    .map((s) =>
      s.startsWith("f:")
        ? `.${s.slice(2)}`
        : `[${Object.entries(JSON.parse(s.slice(2)))
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(",")}]`,
    )
    .join("");
}

module.exports = { KEYED_LISTS, leaves, apply, update, managedFields, fieldPath, valueAt };
