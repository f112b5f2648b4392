// @ts-check
/**
 * The checks a Kubernetes upgrade makes before it changes anything, as `talosctl
 * upgrade-k8s` runs siderolabs/go-kubernetes' upgrade checks: what the target release
 * removes must not be in use.
 * - In each node's running machine configuration (read through Talos's resource API,
 *   since an operator's patch or a `talosctl patch` can set them): component flags,
 *   feature gates and admission plugins.
 * - In the cluster: objects still written through an API version the target no longer
 *   serves. An object's `metadata.managedFields` records, for each manager, the API
 *   version that manager last wrote it through (ManagedFieldsEntry.apiVersion,
 *   k8s.io/apimachinery meta/v1), so a manager still on the old version is found; an
 *   object merely readable at the old version, as every object of the kind is, is not.
 * The running configuration holds every cluster secret: only the findings leave here.
 */
"use strict";

const { RESOURCES } = require("../lib/resources");
const { configText } = require("../lib/machineConfig");
const { configRemovals, removalsBetween, REMOVALS } = require("../lib/removals");
const { inParallel } = require("./node");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("../lib/removals").Removal} Removal
 */

/**
 * Objects written through an API version that 1.`to` removes, one line a kind.
 * @param {import("../lib/kube").KubeClient} kube
 * @param {number} from
 * @param {number} to
 * @param {readonly Removal[]} [table]
 * @returns {Promise<string[]>}
 */
async function apiRemovals(kube, from, to, table = REMOVALS) {
  /** @type {string[]} */
  const out = [];
  for (const r of removalsBetween(from, to, table))
    for (const a of r.apis) {
      const gv = a.group === "" ? a.version : `${a.group}/${a.version}`;
      const items = await kube.listObjects({ apiVersion: gv, kind: a.kind });
      /** @type {string[]} */
      const found = [];
      for (const o of items) {
        const managers = (o?.metadata?.managedFields ?? [])
          .filter((/** @type {any} */ m) => m?.apiVersion === gv)
          .map((/** @type {any} */ m) => String(m.manager));
        if (managers.length === 0) continue;
        const ns = o.metadata.namespace === undefined ? "" : `${o.metadata.namespace}/`;
        found.push(`${ns}${o.metadata.name} (by ${[...new Set(managers)].join(", ")})`);
      }
      if (found.length === 0) continue;
      const shown = found.slice(0, 5).join(", ");
      const more = found.length > 5 ? ` and ${found.length - 5} more` : "";
      out.push(
        `${a.kind} ${shown}${more} is still written through ${gv}, and Kubernetes 1.${r.minor} removes it; write it as ${a.use} instead`,
      );
    }
  return out;
}

/**
 * Refuses the upgrade from 1.`from` to 1.`to` while anything it removes is in use,
 * naming every finding; resolves when there is none.
 * @param {Session} session
 * @param {string[]} nodes
 * @param {number} from
 * @param {number} to
 */
async function upgradeChecks(session, nodes, from, to) {
  if (removalsBetween(from, to).length === 0) return;
  session.log(
    `checking what Kubernetes 1.${to} removes: flags, feature gates, admission plugins, API versions`,
  );
  /** @type {string[]} */
  const found = [];
  const perNode = await inParallel(nodes, async (n) => {
    const running = await session.talos.resource(n, RESOURCES.machineConfig);
    return configRemovals(configText(running?.yaml ?? ""), from, to).map((f) => `${n}: ${f}`);
  });
  found.push(...perNode.flat());
  found.push(...(await apiRemovals(await session.kube(), from, to)));
  if (found.length > 0)
    throw new Error(
      `the Kubernetes upgrade to 1.${to} is refused, and nothing was changed on any node: ${found.join("; ")}. Change these first (a flag found on a node may come from an inventory patch or from a talosctl patch), then run pulumi up again`,
    );
}

module.exports = { upgradeChecks, apiRemovals };
