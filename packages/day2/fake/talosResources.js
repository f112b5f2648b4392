// @ts-check
/**
 * What a fake Talos node's controllers derive from its machine configuration, served
 * through the resource API (COSI State.Get and List):
 * - `MachineConfigs.config.talos.dev/v1alpha1` (namespace `config`): the configuration;
 * - `KubeletSpecs.kubernetes.talos.dev/kubelet` (namespace `k8s`): the kubelet image;
 * - on a control plane, `APIServerConfigs`, `ControllerManagerConfigs` and
 *   `SchedulerConfigs` (namespace `controlplane`), each with its image and extra
 *   arguments, the static pods Talos renders from them (`StaticPods.kubernetes.talos.dev`,
 *   namespace `k8s`, the Pod with its command line), and the bootstrap manifests `Manifests.kubernetes.talos.dev` (namespace
 *   `controlplane`), whose YAML spec is the list of objects Talos would create.
 * As in COSI, a resource's version is a counter that moves only when its spec changes
 * (a controller writing the same spec leaves it alone). The manifests are Talos's own
 * shapes (./talos/manifests.js).
 */
"use strict";

const YAML = require("yaml");
const { renderManifests, bundledImages } = require("./talos/manifests");
const { parseYamlDocuments, stringifyYaml, remembered, deepFreeze } = require("./yamlMemo");

/**
 * The v1alpha1 document of a configuration (the one with `machine` or `cluster`).
 * @param {string} text
 * @returns {any}
 */
function v1alpha1Of(text) {
  for (const v of parseYamlDocuments(text))
    if (v !== null && typeof v === "object" && ("machine" in v || "cluster" in v)) return v;
  return {};
}

/**
 * Every document of a configuration, parsed: what Talos compares when told to apply a
 * configuration (text, comments and key order aside).
 * @param {string | undefined} text
 */
function parsedConfig(text) {
  return text === undefined ? [] : parseYamlDocuments(text);
}

/**
 * A minimal v1alpha1 configuration for a node at a Kubernetes version: what the fake
 * runs before anything is applied (a real node always has one).
 * @param {"controlplane" | "worker"} role
 * @param {string} kubernetesVersion e.g. `1.36.0`.
 */
function initialConfig(role, kubernetesVersion) {
  return remembered(initialConfigs, `${role} ${kubernetesVersion}`, () =>
    renderInitialConfig(role, kubernetesVersion),
  );
}

/** Every fake node starts from one of a handful: each made once. @type {Map<string, string>} */
const initialConfigs = new Map();

/**
 * @param {"controlplane" | "worker"} role
 * @param {string} kubernetesVersion
 */
function renderInitialConfig(role, kubernetesVersion) {
  const v = `v${kubernetesVersion.replace(/^v/, "")}`;
  /** @type {any} */
  const doc = {
    version: "v1alpha1",
    machine: { type: role, kubelet: { image: `ghcr.io/siderolabs/kubelet:${v}` } },
  };
  if (role === "controlplane")
    doc.cluster = {
      apiServer: { image: `registry.k8s.io/kube-apiserver:${v}` },
      controllerManager: { image: `registry.k8s.io/kube-controller-manager:${v}` },
      scheduler: { image: `registry.k8s.io/kube-scheduler:${v}` },
      proxy: { image: `registry.k8s.io/kube-proxy:${v}` },
    };
  return YAML.stringify(doc);
}

/**
 * A MachineConfig resource's spec as Talos serves it. Its spec marshals to YAML as one
 * string, the configuration's bytes (Talos v1.13.9
 * pkg/machinery/resources/config/machine_config.go `MarshalYAML`), and the COSI runtime
 * fills `yaml_spec` with `yaml.Marshal(spec)` (cosi-project/runtime v1.14.1
 * pkg/resource/protobuf/resource.go): a block scalar holding the documents. The resource
 * carries the annotation `talos.dev/yaml-spec` (`NewMachineConfigWithID`), and its
 * `proto_spec` is `MachineConfigSpec{yaml_marshalled = 1: the bytes}`
 * (api/resource/config/config.proto, `MarshalProto`).
 * @param {string} config
 * @returns {[string, { annotations: Record<string, string>, proto: Buffer }]}
 */
function machineConfigSpec(config) {
  const bytes = Buffer.from(config, "utf8");
  /** @type {number[]} */
  const len = [];
  for (let n = bytes.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      len.push(n);
      break;
    }
    len.push((n % 128) | 0x80);
  }
  return [
    stringifyYaml(config, { blockQuote: "literal" }),
    {
      annotations: { "talos.dev/yaml-spec": "1" },
      proto: Buffer.concat([Buffer.from([0x0a, ...len]), bytes]),
    },
  ];
}

/**
 * The resources of one node, kept as a controller would: `set` bumps the version only
 * when the spec changed.
 */
class ResourceStore {
  constructor() {
    /** `namespace/type/id` -> resource. @type {Map<string, { namespace: string, type: string, id: string, version: number, yaml: string, annotations?: Record<string, string>, proto?: Buffer, objects?: any[] }>} */
    this.items = new Map();
  }

  /**
   * @param {string} namespace
   * @param {string} type
   * @param {string} id
   * @param {string} yaml The `yaml_spec` as the node serves it.
   * @param {{ annotations?: Record<string, string>, proto?: Buffer, objects?: any[] }} [extra] Metadata annotations, the `proto_spec` bytes, and for a manifest its objects (as parsed from the yaml spec).
   * @returns {boolean} Whether it changed.
   */
  set(namespace, type, id, yaml, extra = {}) {
    const key = `${namespace}/${type}/${id}`;
    const cur = this.items.get(key);
    if (cur !== undefined && cur.yaml === yaml) return false;
    this.items.set(key, { namespace, type, id, version: (cur?.version ?? 0) + 1, yaml, ...extra });
    return true;
  }

  /** Removes every resource of a type that is not in `keep`. @param {string} namespace @param {string} type @param {Set<string>} keep */
  prune(namespace, type, keep) {
    for (const [key, r] of this.items)
      if (r.namespace === namespace && r.type === type && !keep.has(r.id)) this.items.delete(key);
  }

  /** @param {string} namespace @param {string} type @param {string} id */
  get(namespace, type, id) {
    return this.items.get(`${namespace}/${type}/${id}`);
  }

  /** @param {string} namespace @param {string} type */
  list(namespace, type) {
    return [...this.items.values()]
      .filter((r) => r.namespace === namespace && r.type === type)
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** The control-plane components: the resource type and id, and the config key. */
const COMPONENT_RESOURCES = Object.freeze({
  "kube-apiserver": { type: "APIServerConfigs.kubernetes.talos.dev", key: "apiServer" },
  "kube-controller-manager": {
    type: "ControllerManagerConfigs.kubernetes.talos.dev",
    key: "controllerManager",
  },
  "kube-scheduler": { type: "SchedulerConfigs.kubernetes.talos.dev", key: "scheduler" },
});

/**
 * A component's command line as Talos's argsbuilder writes it
 * (pkg/argsbuilder/argsbuilder_args.go v1.13.9, `Args()`: keys sorted, `--key=value`,
 * one flag per value), with extraArgs merged over Talos's own: additively for the keys
 * control_plane_static_pod.go merges so (`enable-admission-plugins`, `feature-gates`;
 * kube-apiserver always enables NodeRestriction), replacing otherwise. Only the
 * arguments a check reads are modelled; Talos sets many more.
 * @param {string} component
 * @param {unknown} extraArgs
 * @returns {string[]}
 */
function staticPodCommand(component, extraArgs) {
  /** @type {Record<string, string[]>} */
  const args =
    component === "kube-apiserver" ? { "enable-admission-plugins": ["NodeRestriction"] } : {};
  const additive = new Set(["enable-admission-plugins", "feature-gates"]);
  for (const [k, v] of Object.entries(
    extraArgs !== null && typeof extraArgs === "object" ? extraArgs : {},
  )) {
    const vals = (Array.isArray(v) ? v : [v]).map(String);
    args[k] = additive.has(k) && args[k] !== undefined ? [[...args[k], ...vals].join(",")] : vals;
  }
  return [
    `/usr/local/bin/${component}`,
    ...Object.keys(args)
      .sort()
      .flatMap((k) => (args[k] ?? []).map((v) => `--${k}=${v}`)),
  ];
}

/**
 * Brings a node's resources to its configuration, as Talos's controllers do after an
 * apply or a boot. Returns the components whose configuration resource moved.
 * @param {ResourceStore} store
 * @param {{ role: "controlplane" | "worker", config: string, talosVersion: string, kubeletVersion: string }} node
 * @returns {string[]}
 */
function reconcile(store, node) {
  const want = remembered(
    derived,
    JSON.stringify([node.role, node.config, node.talosVersion, node.kubeletVersion]),
    () => derive(node),
    // Each holds a configuration and its manifests: a few dozen are plenty.
    64,
  );
  /** @type {string[]} */
  const moved = [];
  for (const r of want.resources) {
    const changed = store.set(r.namespace, r.type, r.id, r.yaml, r.extra);
    if (changed && r.component !== undefined) moved.push(r.component);
  }
  if (want.manifestIds !== undefined)
    store.prune("controlplane", "Manifests.kubernetes.talos.dev", new Set(want.manifestIds));
  return moved;
}

/**
 * A resource the controllers derive from a node's configuration.
 * @typedef {{ namespace: string, type: string, id: string, yaml: string, extra?: { annotations?: Record<string, string>, proto?: Buffer, objects?: any[] }, component?: string }} DesiredResource
 */

/**
 * What the controllers derived, by role, configuration and versions, up to 64 (./yamlMemo.js
 * `remembered`). Every control plane of a cluster, and every boot of a node, derives the
 * same from the same inputs; the manifests' objects are frozen (every reader copies
 * them).
 * @type {Map<string, { resources: DesiredResource[], manifestIds?: string[] }>}
 */
const derived = new Map();

/**
 * What the controllers derive from a node's role, configuration and versions, in the
 * order they write it (and, for a control plane, the manifest ids that stay).
 * @param {{ role: "controlplane" | "worker", config: string, talosVersion: string, kubeletVersion: string }} node
 * @returns {{ resources: DesiredResource[], manifestIds?: string[] }}
 */
function derive(node) {
  const doc = v1alpha1Of(node.config);
  const [configYaml, configExtra] = machineConfigSpec(node.config);
  // Shared by every node that derives it, as the manifests' objects below.
  deepFreeze(/** @type {any} */ (configExtra).annotations);
  /** @type {DesiredResource[]} */
  const resources = [
    {
      namespace: "config",
      type: "MachineConfigs.config.talos.dev",
      id: "v1alpha1",
      yaml: /** @type {string} */ (configYaml),
      extra: /** @type {any} */ (configExtra),
    },
    {
      namespace: "k8s",
      type: "KubeletSpecs.kubernetes.talos.dev",
      id: "kubelet",
      yaml: stringifyYaml({
        image: doc.machine?.kubelet?.image ?? `ghcr.io/siderolabs/kubelet:${node.kubeletVersion}`,
        args: Object.entries(doc.machine?.kubelet?.extraArgs ?? {}).map(([k, v]) => `--${k}=${v}`),
      }),
    },
  ];
  if (node.role !== "controlplane") return { resources };
  for (const [component, { type, key }] of Object.entries(COMPONENT_RESOURCES)) {
    const spec = {
      image: doc.cluster?.[key]?.image ?? `registry.k8s.io/${component}:${node.kubeletVersion}`,
      extraArgs: doc.cluster?.[key]?.extraArgs ?? {},
    };
    resources.push({
      namespace: "controlplane",
      type,
      id: component,
      yaml: stringifyYaml(spec),
      component,
    });
    // StaticPodSpec marshals as the Pod itself (pkg/machinery/resources/k8s/static_pod.go).
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: component, namespace: "kube-system" },
      spec: {
        containers: [
          {
            name: component,
            image: spec.image,
            command: staticPodCommand(component, spec.extraArgs),
          },
        ],
      },
    };
    resources.push({
      namespace: "k8s",
      type: "StaticPods.kubernetes.talos.dev",
      id: component,
      yaml: stringifyYaml(pod),
    });
  }
  const manifests = renderManifests(doc, node.talosVersion, node.kubeletVersion);
  for (const [id, objects] of Object.entries(manifests))
    resources.push({
      namespace: "controlplane",
      type: "Manifests.kubernetes.talos.dev",
      id,
      yaml: stringifyYaml(objects),
      extra: { objects: deepFreeze(objects) },
    });
  return { resources, manifestIds: Object.keys(manifests) };
}

module.exports = {
  machineConfigSpec,
  ResourceStore,
  reconcile,
  renderManifests,
  initialConfig,
  parsedConfig,
  v1alpha1Of,
  bundledImages,
  staticPodCommand,
  COMPONENT_RESOURCES,
};
