// @ts-check
/**
 * Talos's bootstrap manifests, for the fake Talos node and the fake API server:
 *
 * - {@link renderManifests}: what a control plane renders (Talos v1.13.9
 *   internal/app/machined/pkg/controllers/k8s/manifest.go `render`), manifest by manifest
 *   under Talos's ids, each object taken from the goldens of Talos's template tests
 *   (test/facts/talos-manifests.json, from k8stemplates/testdata) with the node's own
 *   values put where the tests' inputs were: images, pod and service CIDRs, cluster
 *   domain, bootstrap token, kube-proxy's arguments.
 * - {@link applyManifests}: what Talos's ManifestApplyController does with them
 *   (manifest_apply.go): create each missing object by server-side apply as `talos`
 *   with the owning-inventory annotation, backfill what exists, never touch what the
 *   inventory lists, and keep the inventory ConfigMap
 *   kube-system/talos-bootstrap-manifests-inventory with cli-utils object references as
 *   keys (go-kubernetes v0.2.38 kubernetes/ssa/internal/inventory/configmap: Create when
 *   missing, then Update).
 */
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { parseYamlDocuments } = require("../yamlMemo");
const { KINDS } = require("../objects");

/** @returns {Record<string, any>} */
function goldens() {
  const file = path.join(
    __dirname,
    "..",
    "..",
    "..",
    "..",
    "test",
    "facts",
    "talos-manifests.json",
  );
  return JSON.parse(fs.readFileSync(file, "utf8")).facts.objects;
}

/** @type {Record<string, any> | undefined} */
let cached;

/** A fresh copy of one golden object. @param {string} name */
function golden(name) {
  cached ??= goldens();
  const o = cached[name];
  if (o === undefined)
    throw new Error(`no Talos manifest golden ${name} in test/facts/talos-manifests.json`);
  return JSON.parse(JSON.stringify(o));
}

/** Every string equal to `from` in `v` becomes `to`. @param {any} v @param {string} from @param {string} to @returns {any} */
function replaceString(v, from, to) {
  if (typeof v === "string") return v === from ? to : v;
  if (Array.isArray(v)) return v.map((x) => replaceString(x, from, to));
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceString(x, from, to)]));
  return v;
}

/** The golden inputs (k8stemplates_test.go at v1.13.9) that the node's values replace. */
const TEST_INPUTS = Object.freeze({
  coreDNSImage: "coredns/coredns:1.9.3",
  flannelImage: "quay.io/coreos/flannel:v0.14.0",
  proxyImage: "k8s.gcr.io/kube-proxy:v1.27.0",
  dnsServiceIP: "10.96.0.10",
  podCIDR: "10.96.0.0/12",
  clusterDomain: "cluster.local",
  tokenId: "25p8ak",
  tokenSecret: "vshybadgp2mhtvm7",
});

/**
 * The CoreDNS and Flannel images Talos renders by release: v1.13.0 ships CoreDNS v1.14.2
 * and Flannel v0.28.4, v1.13.9 CoreDNS v1.14.6 and Flannel v0.28.8 (the review behind
 * em-infra's upgrade-k8s work). Releases between take the earlier pair, in the fake.
 * @param {string} talosVersion
 */
function bundledImages(talosVersion) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(talosVersion);
  const late = m !== null && (Number(m[2]) > 13 || (Number(m[2]) === 13 && Number(m[3]) >= 9));
  return late
    ? {
        coredns: "registry.k8s.io/coredns/coredns:v1.14.6",
        flannel: "ghcr.io/flannel-io/flannel:v0.28.8",
      }
    : {
        coredns: "registry.k8s.io/coredns/coredns:v1.14.2",
        flannel: "ghcr.io/flannel-io/flannel:v0.28.4",
      };
}

/** The 10th address of an IPv4 CIDR: the cluster DNS service IP Talos derives. @param {string} cidr */
function tenthAddress(cidr) {
  const [ip] = cidr.split("/");
  const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0) + 10;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/**
 * kube-proxy's arguments as Talos builds them (control_plane.go `getProxyArgs`, v1.13.9
 * lines 476-508): cluster-cidr, hostname-override, kubeconfig, proxy-mode (nftables from
 * Kubernetes 1.31), conntrack-max-per-core, then the configuration's extraArgs, sorted
 * by name as argsbuilder renders them.
 * @param {any} cluster The v1alpha1 `cluster` section. @param {string} image @param {string[]} podCIDRs
 */
function proxyArgs(cluster, image, podCIDRs) {
  const v = /:v?1\.(\d+)\./.exec(image);
  const mode = cluster.proxy?.mode ?? (v !== null && Number(v[1]) >= 31 ? "nftables" : "iptables");
  /** @type {Record<string, string>} */
  const args = {
    "cluster-cidr": podCIDRs.join(","),
    "hostname-override": "$(NODE_NAME)",
    kubeconfig: "/etc/kubernetes/kubeconfig",
    "proxy-mode": mode,
    "conntrack-max-per-core": "0",
  };
  for (const [k, x] of Object.entries(cluster.proxy?.extraArgs ?? {}))
    if (k !== "kubeconfig") args[k] = String(x);
  return Object.keys(args)
    .sort()
    .map((k) => `--${k}=${args[k]}`);
}

/**
 * The bootstrap manifests a control plane renders, by Talos's manifest id, in id order.
 * Inline manifests are ExtraManifestController's, id `99-<name>` (extra_manifest.go
 * `process`: `<priority>-<name>`, priority 99 for inline manifests).
 * @param {any} doc The v1alpha1 document.
 * @param {string} talosVersion
 * @param {string} kubeletVersion The fallback for kube-proxy's tag.
 * @returns {Record<string, any[]>}
 */
function renderManifests(doc, talosVersion, kubeletVersion) {
  const cluster = doc.cluster ?? {};
  const images = bundledImages(talosVersion);
  const podCIDRs = cluster.network?.podSubnets ?? ["10.244.0.0/16"];
  const serviceCIDRs = cluster.network?.serviceSubnets ?? ["10.96.0.0/12"];
  const domain = cluster.network?.dnsDomain ?? "cluster.local";
  const [tokenId, tokenSecret] = String(cluster.token ?? "fake01.0123456789abcdef").split(".");
  /** @type {Record<string, any[]>} */
  const out = {};
  const token = golden("kubelet-bootstrapping-token");
  token.metadata.name = `bootstrap-token-${tokenId}`;
  token.stringData["token-id"] = tokenId;
  token.stringData["token-secret"] = tokenSecret;
  out["00-kubelet-bootstrapping-token"] = [token];
  out["01-csr-node-bootstrap"] = [golden("csr-node-bootstrap")];
  out["01-csr-approver-role-binding"] = [golden("csr-approver-role-binding")];
  out["01-csr-renewal-role-binding"] = [golden("csr-renewal-role-binding")];
  out["11-kube-config-in-cluster"] = [golden("kubeconfig-in-cluster")];
  out["11-talos-node-rbac-template"] = [
    golden("talos-nodes-rbac-cluster-role-binding"),
    golden("talos-nodes-rbac-cluster-role"),
  ];
  if (cluster.coreDNS?.disabled !== true) {
    const cm = golden("coredns-configmap-cluster-domain");
    cm.data.Corefile = cm.data.Corefile.split(TEST_INPUTS.clusterDomain).join(domain);
    out["11-core-dns"] = [
      golden("coredns-service-account"),
      golden("coredns-cluster-role"),
      golden("coredns-cluster-role-binding"),
      cm,
      replaceString(
        golden("coredns-deployment"),
        TEST_INPUTS.coreDNSImage,
        cluster.coreDNS?.image ?? images.coredns,
      ),
    ];
    out["11-core-dns-svc"] = [
      replaceString(
        golden("coredns-service-ipv4"),
        TEST_INPUTS.dnsServiceIP,
        tenthAddress(serviceCIDRs[0]),
      ),
    ];
  }
  if ((cluster.network?.cni?.name ?? "flannel") === "flannel") {
    const cm = golden("flannel-configmap-v4");
    cm.data["net-conf.json"] = cm.data["net-conf.json"].replace(TEST_INPUTS.podCIDR, podCIDRs[0]);
    out["05-flannel"] = [
      golden("flannel-cluster-role"),
      golden("flannel-cluster-role-binding"),
      golden("flannel-service-account"),
      cm,
      replaceString(golden("flannel-daemonset"), TEST_INPUTS.flannelImage, images.flannel),
    ];
  }
  if (cluster.proxy?.disabled !== true) {
    const image = cluster.proxy?.image ?? `registry.k8s.io/kube-proxy:${kubeletVersion}`;
    const ds = replaceString(golden("kube-proxy-daemonset"), TEST_INPUTS.proxyImage, image);
    const c = ds.spec.template.spec.containers[0];
    c.command = ["/usr/local/bin/kube-proxy", ...proxyArgs(cluster, image, podCIDRs)];
    out["10-kube-proxy"] = [
      ds,
      golden("kube-proxy-service-account"),
      golden("kube-proxy-cluster-role-binding"),
    ];
  }
  for (const m of cluster.inlineManifests ?? [])
    out[`99-${m.name}`] = parseYamlDocuments(String(m.contents ?? "")).filter(
      (o) => o !== null && typeof o === "object",
    );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The inventory Talos keeps (constants.go `KubernetesBootstrapManifestsInventoryName`). */
const INVENTORY = Object.freeze({
  namespace: "kube-system",
  name: "talos-bootstrap-manifests-inventory",
});

/** The annotation naming an object's inventory (go-kubernetes ssa `InventoryAnnotationKey`). */
const OWNING_INVENTORY = "config.k8s.io/owning-inventory";

/** cli-utils v1.2.0 pkg/object/objmetadata.go `RBACGroupKind`. */
const RBAC_KINDS = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);

/**
 * An object reference as cli-utils v1.2.0 writes it (`ObjMetadata.String`):
 * `<namespace>_<name>_<group>_<kind>`, a `:` in an RBAC object's name written `__`.
 * @param {{ namespace: string, name: string, group: string, kind: string }} ref
 */
function inventoryKey(ref) {
  const rbac = ref.group === "rbac.authorization.k8s.io" && RBAC_KINDS.has(ref.kind);
  const name = rbac ? ref.name.split(":").join("__") : ref.name;
  return `${ref.namespace}_${name}_${ref.group}_${ref.kind}`;
}

/** @param {any} o */
const groupOf = (o) =>
  String(o.apiVersion ?? "").includes("/") ? String(o.apiVersion).split("/")[0] : "";

/**
 * What Talos's ManifestApplyController does once etcd is healthy (manifest_apply.go
 * `applyManifests` and `apply`, Talos v1.13.9), against the fake API server's store.
 * @param {import("../objects").ObjectStore} store
 * @param {Record<string, any[]>} manifests By id.
 * @param {(line: string) => void} log
 * @returns {string[]} The objects it created, `Kind/name`.
 */
function applyManifests(store, manifests, log) {
  const cmVersion = "v1";
  // go-kubernetes inventory/configmap NewInventory: Create the ConfigMap when missing.
  let inventory = store.get("ConfigMap", INVENTORY.namespace, INVENTORY.name);
  if (inventory === undefined) {
    const [code, out] = store.create(
      "ConfigMap",
      INVENTORY.namespace,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { ...INVENTORY } },
      { manager: "machined", apiVersion: cmVersion },
    );
    if (code >= 400) throw new Error(`creating the inventory: ${out}`);
    inventory = out;
  }
  const inv = new Set(Object.keys(inventory.data ?? {}).map((k) => inventoryKey(parseKey(k))));
  const objects = Object.keys(manifests)
    .sort()
    .flatMap((id) => manifests[id].map((o) => JSON.parse(JSON.stringify(o))));
  // Namespaces first, then CRDs, each by name; the rest keep their order (a stable sort).
  const rank = (/** @type {any} */ o) =>
    o.kind === "Namespace" && o.apiVersion === "v1"
      ? 0
      : o.kind === "CustomResourceDefinition" && groupOf(o) === "apiextensions.k8s.io"
        ? 1
        : 2;
  const ordered = objects
    .map((o, i) => ({ o, i }))
    .sort(
      (a, b) =>
        rank(a.o) - rank(b.o) ||
        (rank(a.o) < 2
          ? String(a.o.metadata?.name).localeCompare(String(b.o.metadata?.name))
          : 0) ||
        a.i - b.i,
    )
    .map(({ o }) => o);
  /** @type {string[]} */
  const created = [];
  for (const obj of ordered) {
    const info = KINDS[obj.kind];
    const group = groupOf(obj);
    if (info === undefined || info.group !== group) {
      log(`error creating mapping for object ${group}/${obj.kind}/${obj.metadata?.name}`);
      continue;
    }
    obj.metadata ??= {};
    if (info.namespaced) obj.metadata.namespace ??= "default";
    else {
      const withNs = inventoryKey({
        namespace: obj.metadata.namespace ?? "",
        name: obj.metadata.name,
        group,
        kind: obj.kind,
      });
      if ((obj.metadata.namespace ?? "") !== "" && inv.has(withNs)) {
        inv.delete(withNs);
        continue;
      }
      delete obj.metadata.namespace;
    }
    const ns = obj.metadata.namespace ?? "";
    const key = inventoryKey({ namespace: ns, name: obj.metadata.name, group, kind: obj.kind });
    if (inv.has(key)) continue;
    if (store.get(obj.kind, ns, obj.metadata.name) !== undefined) {
      inv.add(key);
      continue;
    }
    const annotations = obj.metadata.annotations ?? {};
    if (OWNING_INVENTORY in annotations && annotations[OWNING_INVENTORY] !== INVENTORY.name) {
      log(`unexpected foreign inventory annotation on ${obj.kind}/${obj.metadata.name}`);
      continue;
    }
    obj.metadata.annotations = { ...annotations, [OWNING_INVENTORY]: INVENTORY.name };
    const [code, out] = store.apply(obj.kind, ns, obj.metadata.name, obj, {
      manager: "talos",
      apiVersion: String(obj.apiVersion),
    });
    if (code >= 400) {
      log(`error creating ${obj.kind}/${obj.metadata.name}: ${out}`);
      continue;
    }
    created.push(`${obj.kind}/${obj.metadata.name}`);
    inv.add(key);
  }
  // inventory/configmap Write: an Update of the whole ConfigMap, keys only.
  const [code, out] = store.update(
    "ConfigMap",
    INVENTORY.namespace,
    INVENTORY.name,
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { ...INVENTORY },
      data: Object.fromEntries([...inv].map((k) => [k, ""])),
    },
    { manager: "machined", apiVersion: cmVersion },
  );
  if (code >= 400) throw new Error(`updating the inventory: ${out}`);
  return created;
}

/**
 * What Talos v1.12's ManifestApplyController does (manifest_apply.go at v1.12.9, lines
 * 250-295): each missing object is created (POST, field manager `talos`), with no
 * inventory and no annotation; a namespaced object without a namespace goes to `default`.
 * @param {import("../objects").ObjectStore} store
 * @param {Record<string, any[]>} manifests By id.
 * @param {(line: string) => void} log
 * @returns {string[]} The objects it created, `Kind/name`.
 */
function createManifestsV112(store, manifests, log) {
  /** @type {string[]} */
  const created = [];
  for (const id of Object.keys(manifests).sort())
    for (const o of manifests[id]) {
      const obj = JSON.parse(JSON.stringify(o));
      const info = KINDS[obj.kind];
      if (info === undefined || info.group !== groupOf(obj)) continue;
      obj.metadata ??= {};
      if (info.namespaced) obj.metadata.namespace ??= "default";
      const ns = info.namespaced ? obj.metadata.namespace : "";
      if (store.get(obj.kind, ns, obj.metadata.name) !== undefined) continue;
      const [code, out] = store.create(obj.kind, ns, obj, {
        manager: "talos",
        apiVersion: String(obj.apiVersion),
      });
      if (code >= 400) log(`error creating ${obj.kind}/${obj.metadata.name}: ${out}`);
      else created.push(`${obj.kind}/${obj.metadata.name}`);
    }
  return created;
}

/**
 * An inventory key read back (cli-utils `ParseObjMetadata`): namespace before the first
 * `_`, kind after the last, group before that; every `__` in the name becomes `:`.
 * @param {string} key
 */
function parseKey(key) {
  const first = key.indexOf("_");
  const rest = key.slice(first + 1);
  const last = rest.lastIndexOf("_");
  const kind = rest.slice(last + 1);
  const head = rest.slice(0, last);
  const g = head.lastIndexOf("_");
  return {
    namespace: key.slice(0, first),
    name: head.slice(0, g).split("__").join(":"),
    group: head.slice(g + 1),
    kind,
  };
}

module.exports = {
  renderManifests,
  applyManifests,
  createManifestsV112,
  bundledImages,
  inventoryKey,
  parseKey,
  INVENTORY,
  OWNING_INVENTORY,
  TEST_INPUTS,
};
