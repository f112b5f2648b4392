/**
 * The order in which a rolling change visits the nodes, and how many go at once.
 * Pure. Control planes go one at a time, the bootstrap node last among them, so that
 * the node the cluster was created through is touched only once every other member
 * has come back; then workers, in batches no wider than the inventory allows.
 */
import type { NodeSpec } from "../inventory/types";

/** One step of a rollout: the nodes taken down together. */
export type RolloutBatch = readonly string[];

/** The rollout the inventory implies. */
export interface RolloutPlan {
  /** Every node, in the order a rollout visits them. */
  readonly order: readonly string[];
  /** The same nodes grouped into steps: one control plane per step, then workers. */
  readonly batches: readonly RolloutBatch[];
  /** How many workers a step may take down at once. */
  readonly maxUnavailableWorkers: number;
}

/**
 * Plans a rollout over `nodes` (inventory order).
 *
 * @param bootstrapNode the node etcd was bootstrapped on; it goes last among the
 *   control planes.
 * @param maxUnavailableWorkers at least 1.
 * @throws Error when `maxUnavailableWorkers` is not a positive integer.
 */
export function planRollout(
  nodes: readonly NodeSpec[],
  bootstrapNode: string,
  maxUnavailableWorkers: number,
): RolloutPlan {
  if (!Number.isSafeInteger(maxUnavailableWorkers) || maxUnavailableWorkers < 1) {
    throw new Error(
      `rollout.maxUnavailableWorkers: ${String(maxUnavailableWorkers)} is not an integer of at least 1`,
    );
  }
  const controlPlanes = nodes.filter((n) => n.role === "controlplane").map((n) => n.name);
  const ordered = [
    ...controlPlanes.filter((n) => n !== bootstrapNode),
    ...controlPlanes.filter((n) => n === bootstrapNode),
  ];
  const workers = nodes.filter((n) => n.role === "worker").map((n) => n.name);
  const batches: RolloutBatch[] = ordered.map((n) => [n]);
  for (let i = 0; i < workers.length; i += maxUnavailableWorkers) {
    batches.push(workers.slice(i, i + maxUnavailableWorkers));
  }
  return { order: batches.flat(), batches, maxUnavailableWorkers };
}
