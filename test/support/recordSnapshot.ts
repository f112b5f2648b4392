/**
 * A canonical form of what the offline engine recorded for one run, so that a
 * refactor can be held to "the same resources, names, inputs, options,
 * dependencies and secrets" by comparing against a snapshot taken before it.
 */
import * as fs from "fs";
import * as path from "path";
import type { RunOptions, RunRecord } from "../../tools/offline/engine";
import { PROJECT_ROOT } from "../../lib/projectRoot";
import { DEV, LARGE, SINGLE, runFor } from "./program";

const VALID = path.join(path.dirname(LARGE));

/** The inventories and run modes the snapshot covers. */
export const SNAPSHOT_CASES: readonly {
  readonly name: string;
  readonly dir: string;
  readonly extra: Partial<RunOptions>;
}[] = [
  ...[
    ["dev", DEV],
    ["single", SINGLE],
    ["large", LARGE],
    ["even-controlplanes", path.join(VALID, "even-controlplanes")],
    ["newer-talos", path.join(VALID, "newer-talos")],
  ].flatMap(([name, dir]) => [
    { name: `${name}.up`, dir, extra: {} },
    { name: `${name}.preview`, dir, extra: { dryRun: true } },
  ]),
  { name: "dev.preview-existing", dir: DEV, extra: { dryRun: true, existing: true } },
  { name: "dev.unmarked", dir: DEV, extra: { providersMarkSecrets: false } },
];

export const SNAPSHOT_DIR = path.join(PROJECT_ROOT, "test", "fixtures", "records");

/** Fields whose lists are sets of URNs to the engine: their order carries nothing. */
const URN_SETS = new Set(["dependencies", "replaceWith"]);

/**
 * JSON with sorted object keys, URN sets sorted, and no machine-specific paths.
 * (Which of a resource's dependencies the SDK resolves first decides their order in
 * the request; the engine reads them as a set.)
 */
export function canonicalRecord(full: RunRecord): string {
  const root = PROJECT_ROOT;
  // Without a prior state the engine's own fields say nothing new (state inputs are
  // the inputs, every resource is created, nothing is deleted): leave them out.
  const record = {
    ...full,
    deleted: undefined,
    resources: full.resources.map((r) => ({ ...r, stateInputs: undefined, op: undefined })),
  };
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const text = JSON.stringify(record, (k, v) => {
    if (Array.isArray(v) && (URN_SETS.has(k) || inPropertyDependencies(v))) {
      return [...(v as string[])].sort(byName);
    }
    return v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byName(a, b)))
      : v;
  });
  return JSON.stringify(JSON.parse(text.split(root).join("<root>")), null, 1) + "\n";
}

/** A list of URNs, as `propertyDependencies` holds per input. */
function inPropertyDependencies(v: unknown[]): boolean {
  return v.length > 0 && v.every((x) => typeof x === "string" && x.startsWith("urn:pulumi:"));
}

/** Writes every snapshot (run by `ts-node test/support/recordSnapshot.ts`). */
async function main(): Promise<void> {
  fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const c of SNAPSHOT_CASES) {
    const record = await runFor(c.dir, c.extra);
    fs.writeFileSync(path.join(SNAPSHOT_DIR, `${c.name}.json`), canonicalRecord(record));
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
