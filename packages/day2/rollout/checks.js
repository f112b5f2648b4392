// @ts-check
/**
 * The checks a Kubernetes upgrade makes before it changes anything, as `talosctl
 * upgrade-k8s` runs siderolabs/go-kubernetes' upgrade checks (`kubernetes/upgrade/
 * checks.go` v0.2.38, `Checks.Run`), with upstream's table (../lib/removals):
 * - on each control plane, the static pods Talos renders (COSI `StaticPods`, namespace
 *   `k8s`): kube-apiserver's removed flags and admission plugins, kube-controller-
 *   manager's and kube-scheduler's removed flags, and on all three the removed feature
 *   gates, from each pod's command line;
 * - on every node, the kubelet's removed flags, from its `KubeletSpec` args;
 * - in the cluster, how many objects a removed API resource still lists.
 * So a flag set by an operator patch or a `talosctl patch` is found where it runs. Only
 * the findings leave here.
 */
"use strict";

const YAML = require("yaml");
const { RESOURCES, COMPONENTS } = require("../lib/resources");
const { commandRemovals, stepRemovals } = require("../lib/removals");
const { inParallel } = require("./node");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("../lib/removals").StepRemovals} StepRemovals
 * @typedef {{ major: number, minor: number }} Minor
 */

/**
 * Removed API resources the cluster still lists, one line each, as upstream counts them.
 * @param {import("../lib/kube").KubeClient} kube
 * @param {StepRemovals} step
 * @param {string} release
 * @returns {Promise<string[]>}
 */
async function apiRemovals(kube, step, release) {
  /** @type {string[]} */
  const out = [];
  for (const arg of step.apiResources) {
    const [resource = "", version = "", ...group] = arg.split(".");
    const count = await kube.countResource({ group: group.join("."), version, resource });
    if (count !== null && count > 0)
      out.push(
        `the cluster still holds ${count} ${arg} object(s), and Kubernetes ${release} removes that resource; migrate or delete them`,
      );
  }
  return out;
}

/**
 * What one node runs that the step removes: its static pods' command lines (control
 * planes) and its kubelet's args, read through Talos.
 * @param {Session} session
 * @param {string} node
 * @param {StepRemovals} step
 * @param {string} release
 */
async function nodeRemovals(session, node, step, release) {
  /** @type {string[]} */
  const out = [];
  if (session.news.nodes[node]?.role === "controlplane")
    for (const c of COMPONENTS) {
      const pod = await session.talos.resource(node, { ...RESOURCES.staticPods, id: c.name });
      if (pod === null) continue;
      const command = YAML.parse(pod.yaml)?.spec?.containers?.[0]?.command ?? [];
      out.push(...commandRemovals(c.name, command, step, release));
    }
  const kubelet = await session.talos.resource(node, RESOURCES.kubeletSpec);
  if (kubelet !== null)
    out.push(...commandRemovals("kubelet", YAML.parse(kubelet.yaml)?.args ?? [], step, release));
  return out.map((f) => `${node}: ${f}`);
}

/**
 * Refuses the step from `from` to `to` while anything it removes is in use, naming
 * every finding; resolves when there is none, or when upstream checks nothing for it.
 * @param {Session} session
 * @param {string[]} nodes
 * @param {Minor} from
 * @param {Minor} to
 */
async function upgradeChecks(session, nodes, from, to) {
  const step = stepRemovals(from, to);
  if (step === null) return;
  const release = `${to.major}.${to.minor}`;
  session.log(
    `checking what Kubernetes ${release} removes (go-kubernetes' list): flags, feature gates, admission plugins, API resources`,
  );
  for (const todo of step.todos)
    session.log(
      `note: upstream's list for ${from.major}.${from.minor}->${release} is provisional ("${todo}")`,
    );
  const found = (await inParallel(nodes, (n) => nodeRemovals(session, n, step, release))).flat();
  found.push(...(await apiRemovals(await session.kube(), step, release)));
  if (found.length > 0)
    throw new Error(
      `the Kubernetes upgrade to ${release} is refused, and nothing was changed on any node: ${found.join("; ")}. Change these first (a flag found on a node may come from an inventory patch or from a talosctl patch), then run pulumi up again`,
    );
}

module.exports = { upgradeChecks, apiRemovals };
