import * as fs from "fs";
import * as path from "path";
import { buildInventory, ClusterFile, NodesFile } from "./build";
import { checkBackupDir } from "./backupDir";
import { checkCluster, checkNodes, checkNodesAgainstCluster } from "./checks";
import { error, hasErrors, InventoryError } from "./problems";
import { schemaProblems } from "./schema";
import { readSource, startOf } from "./source";
import { readPatches } from "./patches";
import { deprecatedConflicts, type DeprecatedConflict } from "./deprecatedTalos";
import type { Inventory, OperatorPatch, Problem } from "./types";

/** The outcome of {@link checkInventory}. */
export interface InventoryCheck {
  /** Set when there are no errors (warnings allowed). */
  readonly inventory?: Inventory;
  /** Errors and warnings, cluster.yaml first, each file in line order. */
  readonly problems: Problem[];
}

/**
 * Reads, validates and completes the inventory in `dir` (cluster.yaml and nodes.yaml).
 * Never throws for a bad inventory: every problem found is returned, and nodes.yaml is
 * still checked on its own when cluster.yaml is broken.
 */
export function checkInventory(dir: string): InventoryCheck {
  const absolute = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    return { problems: [error(startOf(absolute), "inventory folder not found")] };
  }
  if (!stat.isDirectory()) {
    return { problems: [error(startOf(absolute), "is a file; expected the inventory folder")] };
  }

  const clusterRead = readSource(
    path.join(absolute, "cluster.yaml"),
    "the cluster settings (name, talos, kubernetes, proxmox, network)",
  );
  const nodesRead = readSource(path.join(absolute, "nodes.yaml"), 'a "nodes:" list');
  const cluster = clusterRead.source;
  const nodes = nodesRead.source;

  const clusterProblems = [...clusterRead.problems];
  if (cluster !== undefined)
    clusterProblems.push(
      ...schemaProblems(cluster, "cluster"),
      ...checkCluster(cluster),
      ...checkBackupDir(cluster),
    );
  const nodesProblems = [...nodesRead.problems];
  if (nodes !== undefined)
    nodesProblems.push(...schemaProblems(nodes, "nodes"), ...checkNodes(nodes));

  const problems = [...clusterProblems, ...nodesProblems];
  // Node addresses are only judged against a cluster.yaml that is itself sound.
  if (cluster !== undefined && nodes !== undefined && !hasErrors(clusterProblems)) {
    problems.push(...checkNodesAgainstCluster(cluster, nodes));
  }
  // The operator's patches are read and checked only for an otherwise sound inventory.
  const patches = {
    cluster: [] as OperatorPatch[],
    controlPlane: [] as OperatorPatch[],
    worker: [] as OperatorPatch[],
    nodes: [] as OperatorPatch[][],
  };
  if (!hasErrors(problems) && cluster !== undefined && nodes !== undefined) {
    for (const [list, key] of [
      ["patches", "cluster"],
      ["controlPlanePatches", "controlPlane"],
      ["workerPatches", "worker"],
    ] as const) {
      const read = readPatches(cluster, ["talos", list], absolute);
      problems.push(...read.problems);
      patches[key] = read.patches;
    }
    ((nodes.data as NodesFile).nodes ?? []).forEach((_, i) => {
      const own = readPatches(nodes, ["nodes", i, "patches"], absolute);
      problems.push(...own.problems);
      patches.nodes.push(own.patches);
    });
    problems.push(...conflictsPerNode(nodes.data as NodesFile, patches));
  }
  sortProblems(problems);

  if (hasErrors(problems) || cluster === undefined || nodes === undefined) return { problems };
  const inventory = buildInventory(
    absolute,
    cluster.data as ClusterFile,
    nodes.data as NodesFile,
    problems.filter((p) => p.severity === "warning"),
    patches,
  );
  return { inventory, problems };
}

/**
 * Deprecated fields beside the documents that replace them, among the patches each node
 * gets (every node's, its role's, its own: the order lib/talos applies them in). A
 * conflict in the patches of many nodes is reported once.
 */
function conflictsPerNode(
  nodesFile: NodesFile,
  patches: {
    cluster: OperatorPatch[];
    controlPlane: OperatorPatch[];
    worker: OperatorPatch[];
    nodes: OperatorPatch[][];
  },
): Problem[] {
  const found = new Map<string, { conflict: DeprecatedConflict; nodes: string[] }>();
  (nodesFile.nodes ?? []).forEach((n, i) => {
    const byRole = n.role === "controlplane" ? patches.controlPlane : patches.worker;
    const all = [...patches.cluster, ...byRole, ...(patches.nodes[i] ?? [])];
    for (const conflict of deprecatedConflicts(all)) {
      const entry = found.get(conflict.key) ?? { conflict, nodes: [] };
      entry.nodes.push(n.name);
      found.set(conflict.key, entry);
    }
  });
  return [...found.values()].map((e) => e.conflict.problem(e.nodes));
}

/** cluster.yaml before nodes.yaml, then by line and column; ties keep their order. */
function sortProblems(problems: Problem[]): void {
  const fileOrder = (file: string): number => (file.endsWith("cluster.yaml") ? 0 : 1);
  problems.sort(
    (a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line || a.col - b.col,
  );
}

/**
 * The validated inventory in `dir`, every default applied, deeply frozen. Warnings do not
 * stop it; they are in `inventory.warnings`.
 *
 * @throws InventoryError listing every problem when there is at least one error.
 */
export function loadInventory(dir: string): Inventory {
  const { inventory, problems } = checkInventory(dir);
  if (inventory === undefined) throw new InventoryError(problems);
  return inventory;
}
