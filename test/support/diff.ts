/**
 * What changes between two runs of the program, the way `pulumi up` would see it: a
 * resource is its type and name, and its inputs are compared in wire form (secret
 * marks included), so a difference here is a difference in the plan.
 */
import type { RecordedInvoke, RunRecord } from "../../tools/offline/engine";
import { isSecretWrapper, unwrapSecrets } from "../../tools/offline/secretSig";
import { GET_CONFIG, GET_URLS } from "../../lib/tokens";

/** One resource or invoke whose inputs differ, and the dotted paths that differ. */
export interface Changed {
  readonly key: string;
  readonly paths: readonly string[];
}

/** The difference between two runs, every list sorted. */
export interface RecordDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly Changed[];
}

/** A resource's identity across runs: Pulumi's type and name (the URN's last parts). */
export function resourceKey(r: { type: string; name: string }): string {
  return `${r.type}::${r.name}`;
}

/**
 * An invoke's identity across runs: its token, plus what it is for when the program
 * calls it more than once (a machine configuration per node hostname, image URLs per
 * schematic).
 */
export function invokeKey(i: RecordedInvoke): string {
  const args = unwrapSecrets(i.args) as Record<string, unknown>;
  switch (i.token) {
    case GET_CONFIG: {
      const patches = (args.configPatches as string[] | undefined) ?? [];
      const host = patches.map((p) => /^hostname: (\S+)$/m.exec(p)?.[1]).find(Boolean);
      return `${i.token}::${host ?? "?"}`;
    }
    case GET_URLS:
      return `${i.token}::${String(args.schematicId)}`;
    default:
      return i.token;
  }
}

/**
 * The dotted paths (`memory.dedicated`, `disks[0].fileId`) where two wire-form values
 * differ. A list whose length changed is reported as a whole; a value whose secretness
 * changed is reported at its own path.
 */
export function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const here = at === "" ? "$" : at;
  if (isSecretWrapper(a) && isSecretWrapper(b)) return changedPaths(a.value, b.value, at);
  if (isSecretWrapper(a) || isSecretWrapper(b)) return [here];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [here];
    return a.flatMap((x, i) => changedPaths(x, b[i], `${at}[${i}]`));
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], at === "" ? k : `${at}.${k}`));
  }
  return [here];
}

function diffBy<T>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (x: T) => string,
  valueOf: (x: T) => unknown,
): RecordDiff {
  const index = (list: readonly T[]) => {
    const map = new Map<string, T>();
    for (const x of list) {
      const key = keyOf(x);
      if (map.has(key)) throw new Error(`${key} appears twice in one run`);
      map.set(key, x);
    }
    return map;
  };
  const was = index(before);
  const is = index(after);
  const changed: Changed[] = [];
  for (const [key, x] of was) {
    const y = is.get(key);
    if (y === undefined) continue;
    const paths = changedPaths(valueOf(x), valueOf(y));
    if (paths.length > 0) changed.push({ key, paths });
  }
  return {
    added: [...is.keys()].filter((k) => !was.has(k)).sort(),
    removed: [...was.keys()].filter((k) => !is.has(k)).sort(),
    changed: changed.sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : 0)),
  };
}

/** Resources added, removed, and changed in their inputs, between two runs. */
export function diffResources(before: RunRecord, after: RunRecord): RecordDiff {
  return diffBy(before.resources, after.resources, resourceKey, (r) => r.inputs);
}

/** Invokes added, removed, and changed in their arguments, between two runs. */
export function diffInvokes(before: RunRecord, after: RunRecord): RecordDiff {
  return diffBy(before.invokes, after.invokes, invokeKey, (i) => i.args);
}
