// @ts-check
/**
 * What each Kubernetes minor release removed that a running cluster can still be using,
 * and the checks a Kubernetes upgrade makes against it before anything changes (the
 * role of siderolabs/go-kubernetes `kubernetes/upgrade` in `talosctl upgrade-k8s`).
 *
 * The table holds only removals we could confirm in Kubernetes' own documents:
 * - API versions: the Deprecated API Migration Guide
 *   (kubernetes.io/docs/reference/using-api/deprecation-guide/), every removal it lists
 *   from 1.25 on;
 * - admission plugins: PodSecurityPolicy (1.25, the same guide) and SecurityContextDeny
 *   (1.30, the "Kubernetes v1.30 removals" post);
 * - flags: the insecure serving flags of kube-apiserver and the dockershim network flags
 *   of the kubelet (both 1.24, that release's notes).
 * go-kubernetes carries longer per-release lists of component flags and feature gates;
 * they belong here as they are confirmed, each under the release that removed it.
 */
"use strict";

const { v1alpha1 } = require("./machineConfig");

/**
 * An API version a release stopped serving.
 * @typedef {object} RemovedApi
 * @property {string} group `""` for the core group.
 * @property {string} version
 * @property {string} kind
 * @property {string} use What to use instead.
 */

/**
 * @typedef {object} Removal
 * @property {number} minor The Kubernetes 1.x release that removed these.
 * @property {readonly RemovedApi[]} apis
 * @property {readonly string[]} admissionPlugins
 * @property {Readonly<Record<string, readonly string[]>>} flags By component (`kube-apiserver`, ..., `kubelet`), without `--`.
 * @property {readonly string[]} featureGates
 */

/** @param {string} group @param {string} version @param {string} kind @param {string} use @returns {RemovedApi} */
const api = (group, version, kind, use) => ({ group, version, kind, use });

/** @type {readonly Removal[]} */
const REMOVALS = Object.freeze(
  /** @type {Removal[]} */ ([
    {
      minor: 24,
      apis: [],
      admissionPlugins: [],
      flags: {
        "kube-apiserver": ["insecure-port", "insecure-bind-address"],
        kubelet: ["network-plugin", "cni-bin-dir", "cni-conf-dir"],
      },
      featureGates: [],
    },
    {
      minor: 25,
      apis: [
        api("batch", "v1beta1", "CronJob", "batch/v1"),
        api("discovery.k8s.io", "v1beta1", "EndpointSlice", "discovery.k8s.io/v1"),
        api("events.k8s.io", "v1beta1", "Event", "events.k8s.io/v1"),
        api("autoscaling", "v2beta1", "HorizontalPodAutoscaler", "autoscaling/v2"),
        api("policy", "v1beta1", "PodDisruptionBudget", "policy/v1"),
        api("policy", "v1beta1", "PodSecurityPolicy", "Pod Security Admission"),
        api("node.k8s.io", "v1beta1", "RuntimeClass", "node.k8s.io/v1"),
      ],
      admissionPlugins: ["PodSecurityPolicy"],
      flags: {},
      featureGates: [],
    },
    {
      minor: 26,
      apis: [
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta1",
          "FlowSchema",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta1",
          "PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
        api("autoscaling", "v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2"),
      ],
      admissionPlugins: [],
      flags: {},
      featureGates: [],
    },
    {
      minor: 27,
      apis: [api("storage.k8s.io", "v1beta1", "CSIStorageCapacity", "storage.k8s.io/v1")],
      admissionPlugins: [],
      flags: {},
      featureGates: [],
    },
    {
      minor: 29,
      apis: [
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta2",
          "FlowSchema",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta2",
          "PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
      ],
      admissionPlugins: [],
      flags: {},
      featureGates: [],
    },
    {
      minor: 30,
      apis: [],
      admissionPlugins: ["SecurityContextDeny"],
      flags: {},
      featureGates: [],
    },
    {
      minor: 32,
      apis: [
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta3",
          "FlowSchema",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
        api(
          "flowcontrol.apiserver.k8s.io",
          "v1beta3",
          "PriorityLevelConfiguration",
          "flowcontrol.apiserver.k8s.io/v1",
        ),
      ],
      admissionPlugins: [],
      flags: {},
      featureGates: [],
    },
  ]),
);

/**
 * The removals an upgrade from 1.`from` to 1.`to` crosses.
 * @param {number} from
 * @param {number} to
 * @param {readonly Removal[]} [table]
 */
function removalsBetween(from, to, table = REMOVALS) {
  return table.filter((r) => r.minor > from && r.minor <= to);
}

/** Where a v1alpha1 configuration sets each component's flags. */
const ARG_PATHS = Object.freeze(
  /** @type {const} */ ([
    ["kube-apiserver", ["cluster", "apiServer", "extraArgs"]],
    ["kube-controller-manager", ["cluster", "controllerManager", "extraArgs"]],
    ["kube-scheduler", ["cluster", "scheduler", "extraArgs"]],
    ["kube-proxy", ["cluster", "proxy", "extraArgs"]],
    ["kubelet", ["machine", "kubelet", "extraArgs"]],
  ]),
);

/** A flag's values: a string, or a list of them (Talos v1.13), each comma-separated. @param {unknown} v */
function listValues(v) {
  const all = Array.isArray(v) ? v : [v];
  return all
    .filter((x) => typeof x === "string")
    .flatMap((x) => x.split(","))
    .map((x) => x.trim())
    .filter((x) => x !== "");
}

/**
 * What a configuration sets that the upgrade from 1.`from` to 1.`to` removes: one line
 * each, naming the component, the setting and the release.
 * @param {string} config A machine configuration (all its documents).
 * @param {number} from
 * @param {number} to
 * @param {readonly Removal[]} [table]
 * @returns {string[]}
 */
function configRemovals(config, from, to, table = REMOVALS) {
  const crossed = removalsBetween(from, to, table);
  if (crossed.length === 0) return [];
  const doc = v1alpha1(config);
  /** @type {string[]} */
  const out = [];
  for (const [component, path] of ARG_PATHS) {
    /** @type {any} */
    const args = path.reduce((/** @type {any} */ o, k) => o?.[k], doc) ?? {};
    if (typeof args !== "object") continue;
    const gates = listValues(args["feature-gates"]).map((g) => g.split("=")[0]);
    if (component === "kubelet")
      gates.push(...Object.keys(doc.machine?.kubelet?.extraConfig?.featureGates ?? {}));
    const plugins =
      component === "kube-apiserver"
        ? [
            ...listValues(args["enable-admission-plugins"]),
            ...(doc.cluster?.apiServer?.admissionControl ?? []).map(
              (/** @type {any} */ p) => p?.name,
            ),
          ]
        : [];
    for (const r of crossed) {
      const at = `Kubernetes 1.${r.minor} removes it`;
      for (const f of r.flags[component] ?? [])
        if (f in args) out.push(`${component} sets --${f}, and ${at}`);
      for (const g of r.featureGates)
        if (gates.includes(g)) out.push(`${component} sets the feature gate ${g}, and ${at}`);
      for (const p of r.admissionPlugins)
        if (plugins.includes(p))
          out.push(`${component} enables the admission plugin ${p}, and ${at}`);
    }
  }
  return [...new Set(out)];
}

module.exports = { REMOVALS, removalsBetween, configRemovals };
