// @ts-check
/**
 * Object references as the bootstrap-manifest inventory keeps them: the data keys of the
 * ConfigMap kube-system/talos-bootstrap-manifests-inventory, which Talos's manifest
 * controller and `talosctl upgrade-k8s` write (siderolabs/go-kubernetes v0.2.38
 * kubernetes/ssa/internal/inventory/configmap), in fluxcd/cli-utils v1.2.0's format
 * (pkg/object/objmetadata.go): `<namespace>_<name>_<group>_<kind>`, empty namespace for a
 * cluster-wide object, empty group for the core group, values empty.
 *
 * kube-apiserver takes only `[-._a-zA-Z0-9]+` as a ConfigMap key, so cli-utils writes a
 * `:` in the name of an RBAC object (Role, ClusterRole, RoleBinding, ClusterRoleBinding,
 * the only kinds whose names may hold one) as `__`; reading turns every `__` back.
 */
"use strict";

/** The inventory's ConfigMap, where Talos keeps it (constants `KubernetesInventoryNamespace`, `KubernetesBootstrapManifestsInventoryName`). */
const INVENTORY = Object.freeze({
  namespace: "kube-system",
  name: "talos-bootstrap-manifests-inventory",
});

/** The annotation naming the inventory that owns an object (go-kubernetes ssa `InventoryAnnotationKey`). */
const OWNING_INVENTORY = "config.k8s.io/owning-inventory";

/** cli-utils `RBACGroupKind`: the kinds whose `:` is transcoded. */
const RBAC = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);
const RBAC_GROUP = "rbac.authorization.k8s.io";

/**
 * An object's identity in an inventory: group and kind, not version.
 * @typedef {object} ObjectRef
 * @property {string} namespace Empty for a cluster-wide object.
 * @property {string} name
 * @property {string} group Empty for the core group.
 * @property {string} kind
 */

/**
 * The inventory key of a reference (cli-utils `ObjMetadata.String`).
 * @param {ObjectRef} ref
 */
function keyOf(ref) {
  const name =
    ref.group === RBAC_GROUP && RBAC.has(ref.kind) ? ref.name.replaceAll(":", "__") : ref.name;
  return `${ref.namespace}_${name}_${ref.group}_${ref.kind}`;
}

/**
 * The reference an inventory key stands for (cli-utils `ParseObjMetadata`): the
 * namespace ends at the first `_`, the kind starts after the last, the group after the
 * one before; what is left is the name, every `__` read as `:`.
 * @param {string} key
 * @returns {ObjectRef}
 */
function refOfKey(key) {
  const first = key.indexOf("_");
  const last = key.lastIndexOf("_");
  const middle = first < 0 || last <= first ? "" : key.slice(first + 1, last);
  const g = middle.lastIndexOf("_");
  if (first < 0 || last <= first || g < 0)
    throw new Error(`unable to parse stored object metadata: ${key}`);
  const name = middle.slice(0, g).replaceAll("__", ":");
  if (name.includes("_")) throw new Error(`too many fields within: ${key}`);
  return {
    namespace: key.slice(0, first),
    name,
    group: middle.slice(g + 1),
    kind: key.slice(last + 1),
  };
}

/**
 * An object's reference, as it is stored (its namespace already settled).
 * @param {any} o
 * @returns {ObjectRef}
 */
function refOfObject(o) {
  const apiVersion = String(o.apiVersion ?? "");
  return {
    namespace: o.metadata?.namespace ?? "",
    name: String(o.metadata?.name ?? ""),
    group: apiVersion.includes("/") ? apiVersion.split("/")[0] : "",
    kind: String(o.kind ?? ""),
  };
}

module.exports = { INVENTORY, OWNING_INVENTORY, keyOf, refOfKey, refOfObject };
