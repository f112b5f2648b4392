/**
 * What the local Pulumi state says about the nodes, for `npm run plan`: the plan runs
 * from the inventory alone, so it cannot see a node the edit removed; the state the
 * file backend keeps (`.pulumi-state/.pulumi/stacks/<project>/<stack>.json`) can.
 * Only the rollout's plain `nodes` output is read: no secret is decrypted.
 */
import * as fs from "fs";
import * as path from "path";
import { DYNAMIC } from "../lib/tokens";

/** A node as the rollout's state recorded it. */
export interface StateNode {
  readonly role: string;
  readonly protect: boolean;
}

/** The default checkpoint of a stack in the project's file backend. */
export function defaultStateFile(projectRoot: string, stack: string): string {
  return path.join(projectRoot, ".pulumi-state", ".pulumi", "stacks", "em-infra", `${stack}.json`);
}

/**
 * The rollout's outputs as the checkpoint stores them, or undefined when the file does
 * not exist or holds no rollout (a stack not yet deployed). Its secret outputs stay
 * encrypted as stored: only the plain ones (nodes, versions, endpoint) are read.
 *
 * @throws Error naming the file when it exists but is not a Pulumi checkpoint.
 */
export function readStateRollout(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  let doc: {
    checkpoint?: { latest?: { resources?: { urn: string; type: string; outputs?: unknown }[] } };
  };
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a Pulumi checkpoint (${(e as Error).message})`);
  }
  const rollout = (doc.checkpoint?.latest?.resources ?? []).find(
    (r) => r.type === DYNAMIC && r.urn.endsWith("-rollout"),
  );
  const outputs = rollout?.outputs;
  return outputs !== null && typeof outputs === "object"
    ? (outputs as Record<string, unknown>)
    : undefined;
}

/**
 * The nodes the stack's rollout last recorded, or undefined when the file does not
 * exist or holds no rollout (a stack not yet deployed).
 *
 * @throws Error naming the file when it exists but is not a Pulumi checkpoint.
 */
export function readStateNodes(file: string): Record<string, StateNode> | undefined {
  const nodes = readStateRollout(file)?.nodes;
  if (nodes === null || typeof nodes !== "object") return undefined;
  return Object.fromEntries(
    Object.entries(nodes as Record<string, { role?: unknown; protect?: unknown }>).map(
      ([name, n]) => [name, { role: String(n.role), protect: n.protect === true }],
    ),
  );
}

/** A node the state has and the inventory no longer does. */
export interface Removal {
  readonly name: string;
  readonly role: string;
  /** Refused at preview until a separate `pulumi up` unprotects it. */
  readonly protected: boolean;
}

/** The nodes an edit removes, workers first, in the order the rollout takes them. */
export function removalsOf(
  state: Readonly<Record<string, StateNode>>,
  inventoryNodes: readonly string[],
): Removal[] {
  const kept = new Set(inventoryNodes);
  const gone = Object.entries(state)
    .filter(([name]) => !kept.has(name))
    .map(([name, n]) => ({ name, role: n.role, protected: n.protect }));
  return [
    ...gone.filter((r) => r.role !== "controlplane"),
    ...gone.filter((r) => r.role === "controlplane"),
  ];
}
