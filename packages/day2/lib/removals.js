// @ts-check
/**
 * What each Kubernetes step removed that a running cluster can still be using, the
 * upgrade paths allowed, and the checks made against them before anything changes: the
 * role of siderolabs/go-kubernetes `kubernetes/upgrade` (v0.2.38, the version Talos
 * v1.13.9 pins) in `talosctl upgrade-k8s`.
 *
 * The data is upstream's, extracted by `npm run facts` into `k8s-upgrade.json` beside
 * this file (a copy of test/facts/k8s-upgrade.json; the dynamic-provider host loads this
 * package alone, so the copy travels with it):
 * - `paths`: path.go's `IsSupported`, `major.minor->major.minor`;
 * - `steps`: checks.go's `upgradeVersionCheck`, per step the removed feature gates,
 *   flags by component, admission plugins and API resources, and upstream's TODOs.
 * As upstream, a step's checks apply to that exact path (1.35->1.36), never to a patch
 * move within a minor; feature gates are looked for on the three control-plane
 * components only (checks.go `Run`), flags on each component's own command line,
 * admission plugins on kube-apiserver's `--enable-admission-plugins`.
 */
"use strict";

const { v1alpha1 } = require("./machineConfig");
const FACTS = /** @type {{ facts: UpgradeFacts }} */ (require("./k8s-upgrade.json")).facts;

/**
 * @typedef {object} StepRemovals
 * @property {readonly string[]} featureGates
 * @property {Readonly<Record<string, readonly string[]>>} flags By component (`kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `kubelet`), without `--`.
 * @property {readonly string[]} admissionPlugins
 * @property {readonly string[]} apiResources `resource.version.group`.
 * @property {readonly string[]} todos Upstream's TODOs on this step.
 */

/**
 * @typedef {object} UpgradeFacts
 * @property {readonly string[]} paths
 * @property {Readonly<Record<string, StepRemovals>>} steps
 */

/** The control-plane components upstream checks feature gates on. */
const GATED = Object.freeze(["kube-apiserver", "kube-controller-manager", "kube-scheduler"]);

/** @param {{ major: number, minor: number }} v */
const minorOf = (v) => `${v.major}.${v.minor}`;

/**
 * Whether go-kubernetes allows moving from `from` to `to` (path.go): any move within a
 * minor (a patch up or down), one minor up; nothing else.
 * @param {{ major: number, minor: number }} from
 * @param {{ major: number, minor: number }} to
 * @param {UpgradeFacts} [facts]
 */
function pathSupported(from, to, facts = FACTS) {
  return facts.paths.includes(`${minorOf(from)}->${minorOf(to)}`);
}

/**
 * What the step from `from` to `to` removes, or null when upstream lists nothing for it
 * (a move within a minor, or a step it has no entry for).
 * @param {{ major: number, minor: number }} from
 * @param {{ major: number, minor: number }} to
 * @param {UpgradeFacts} [facts]
 * @returns {StepRemovals | null}
 */
function stepRemovals(from, to, facts = FACTS) {
  return facts.steps[`${minorOf(from)}->${minorOf(to)}`] ?? null;
}

/**
 * A component's command-line flags from a v1alpha1 `extraArgs` map, as Talos's
 * argsbuilder writes them (`--key=value`, sorted; a list value gives one flag each).
 * @param {unknown} extraArgs
 * @param {Record<string, string[]>} [defaults] What Talos sets itself, merged additively (its MergeAdditive keys).
 * @returns {string[]}
 */
function commandLine(extraArgs, defaults = {}) {
  /** @type {Record<string, string[]>} */
  const args = { ...defaults };
  if (extraArgs !== null && typeof extraArgs === "object")
    for (const [k, v] of Object.entries(extraArgs)) {
      const vals = (Array.isArray(v) ? v : [v]).map(String);
      args[k] = k in defaults ? [[...defaults[k], ...vals].join(",")] : vals;
    }
  return Object.keys(args)
    .sort()
    .flatMap((k) => (args[k] ?? []).map((v) => `--${k}=${v}`));
}

/** The comma-separated values of the first `--<flag>=` on a command line. @param {readonly string[]} command @param {string} flag */
function firstList(command, flag) {
  const f = command.find((s) => s.startsWith(`--${flag}`));
  return f === undefined ? [] : f.replace(new RegExp(`^--${flag}=?`), "").split(",");
}

/**
 * What a component's command line sets that `step` removes, looked for as upstream
 * does (checks.go `PopulateRemoved*`): one line each, naming the component, the setting
 * and the release.
 * @param {string} component
 * @param {readonly string[]} command
 * @param {StepRemovals} step
 * @param {string} release e.g. `1.36`.
 * @returns {string[]}
 */
function commandRemovals(component, command, step, release) {
  const at = `Kubernetes ${release} removes it`;
  /** @type {string[]} */
  const out = [];
  if (component === "kube-apiserver") {
    const plugins = firstList(command, "enable-admission-plugins");
    for (const p of step.admissionPlugins)
      if (plugins.includes(p))
        out.push(`${component} enables the admission plugin ${p}, and ${at}`);
  }
  for (const f of step.flags[component] ?? [])
    if (command.some((s) => s.split("=")[0] === `--${f}`))
      out.push(`${component} sets --${f}, and ${at}`);
  if (GATED.includes(component)) {
    const gates = firstList(command, "feature-gates").map((g) => g.split("=")[0]);
    for (const g of step.featureGates)
      if (gates.includes(g)) out.push(`${component} sets the feature gate ${g}, and ${at}`);
  }
  return out;
}

/** Where a v1alpha1 configuration sets each checked component's flags. */
const ARG_PATHS = Object.freeze(
  /** @type {const} */ ([
    ["kube-apiserver", ["cluster", "apiServer", "extraArgs"]],
    ["kube-controller-manager", ["cluster", "controllerManager", "extraArgs"]],
    ["kube-scheduler", ["cluster", "scheduler", "extraArgs"]],
    ["kubelet", ["machine", "kubelet", "extraArgs"]],
  ]),
);

/**
 * The command lines a configuration gives each component, as Talos renders them
 * (kube-apiserver always enables NodeRestriction, control_plane_static_pod.go v1.13.9).
 * A worker's control-plane sections are ignored, as Talos runs no static pods there.
 * @param {string} config
 * @returns {[string, string[]][]}
 */
function commandLines(config) {
  const doc = v1alpha1(config);
  const worker = doc.machine?.type === "worker";
  /** @type {[string, string[]][]} */
  const out = [];
  for (const [component, path] of ARG_PATHS) {
    if (worker && component !== "kubelet") continue;
    const args = path.reduce((/** @type {any} */ o, k) => o?.[k], doc);
    /** @type {Record<string, string[]>} */
    const defaults =
      component === "kube-apiserver" ? { "enable-admission-plugins": ["NodeRestriction"] } : {};
    out.push([component, commandLine(args, defaults)]);
  }
  return out;
}

/**
 * What a configuration sets that the step from `from` to `to` removes: one line each.
 * Nothing for a move upstream has no checks for.
 * @param {string} config A machine configuration (all its documents).
 * @param {{ major: number, minor: number }} from
 * @param {{ major: number, minor: number }} to
 * @param {UpgradeFacts} [facts]
 * @returns {string[]}
 */
function configRemovals(config, from, to, facts = FACTS) {
  const step = stepRemovals(from, to, facts);
  if (step === null) return [];
  return [
    ...new Set(
      commandLines(config).flatMap(([c, cmd]) => commandRemovals(c, cmd, step, minorOf(to))),
    ),
  ];
}

module.exports = {
  FACTS,
  GATED,
  pathSupported,
  stepRemovals,
  commandLine,
  commandLines,
  commandRemovals,
  configRemovals,
};
