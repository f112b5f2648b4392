/**
 * Runs the real program (index.ts) under the offline engine for a test, with a
 * chosen inventory folder, and queries what it registered.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import {
  PROJECT_ROOT,
  runProgram,
  type RecordedInvoke,
  type RecordedResource,
  type RunOptions,
  type RunRecord,
} from "../../tools/offline/engine";
import { MOCK_SECRETS } from "../../tools/offline/fakes";
import { unwrapSecrets } from "../../tools/offline/secretSig";
import { tempDir } from "./tmp";

export const DEV = path.join(PROJECT_ROOT, "inventory", "dev");
export const LARGE = path.join(PROJECT_ROOT, "test", "fixtures", "valid", "large");
export const SINGLE = path.join(PROJECT_ROOT, "test", "fixtures", "valid", "single");

/** Stack config an operator would have set, with the token stored as a secret. */
export function stackConfig(inventoryDir: string): Pick<RunOptions, "config" | "secretKeys"> {
  return {
    config: {
      "em-infra:inventory": inventoryDir,
      "proxmoxve:endpoint": "https://pve1.lab.internal:8006/",
      "proxmoxve:apiToken": MOCK_SECRETS.proxmoxApiToken,
      "proxmoxve:insecure": "true",
    },
    secretKeys: ["proxmoxve:apiToken"],
  };
}

/**
 * Runs the program over an inventory with the stack config an operator would have set,
 * once per options and inventory text in a test process ({@link reusedRuns}).
 */
export function runFor(inventoryDir: string, extra: Partial<RunOptions> = {}): Promise<RunRecord> {
  return reusedRuns({ ...stackConfig(inventoryDir), ...extra });
}

/** Every file under `dir` (paths and bytes): what a program run reads of an inventory. */
function folderText(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs
      .readdirSync(d, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) parts.push(p, fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return JSON.stringify(parts);
}

const reused = new Map<string, Promise<RunRecord>>();

/**
 * Runs the program once per set of options and inventory text in a test process, for
 * {@link runFor} and as the runner of `runPlan` and `planFor` (the plan's tests vary the
 * flags over the same inventory). An edited inventory is run afresh; each call gets its
 * own copy of the record. A failed run is not kept.
 */
export function reusedRuns(options: RunOptions): Promise<RunRecord> {
  const dir = options.config?.["em-infra:inventory"];
  const key = JSON.stringify([options, dir === undefined ? "" : folderText(dir)]);
  let run = reused.get(key);
  if (run === undefined) {
    run = runProgram(options);
    reused.set(key, run);
    run.catch(() => reused.delete(key));
  }
  return run.then((r) => structuredClone(r));
}

/** Resources of one type token. */
export function ofType(record: RunRecord, type: string): RecordedResource[] {
  return record.resources.filter((r) => r.type === type);
}

/** The one resource of a type and name; throws when missing. */
export function resource(record: RunRecord, type: string, name: string): RecordedResource {
  const found = record.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} was registered`);
  return found;
}

/** Invokes of one token. */
export function invokesOf(record: RunRecord, token: string): RecordedInvoke[] {
  return record.invokes.filter((i) => i.token === token);
}

/** A resource's inputs with secret marks removed. */
export function plainInputs(r: RecordedResource): Record<string, unknown> {
  return unwrapSecrets(r.inputs) as Record<string, unknown>;
}

/** Whether `from` depends on `to`, directly or through other resources. */
export function dependsOn(
  record: RunRecord,
  from: RecordedResource,
  to: RecordedResource,
): boolean {
  const byUrn = new Map(record.resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [...from.dependencies];
  while (stack.length > 0) {
    const urn = stack.pop()!;
    if (urn === to.urn) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    stack.push(...(byUrn.get(urn)?.dependencies ?? []));
  }
  return false;
}

/**
 * Copies an inventory folder to a temporary one, letting `edit` change the parsed
 * nodes.yaml and cluster.yaml documents (comments and order are kept).
 */
export function editedInventory(
  source: string,
  edit: (docs: {
    cluster: ReturnType<typeof parseDocument>;
    nodes: ReturnType<typeof parseDocument>;
  }) => void,
): string {
  const dir = tempDir("inv");
  const cluster = parseDocument(fs.readFileSync(path.join(source, "cluster.yaml"), "utf8"));
  const nodes = parseDocument(fs.readFileSync(path.join(source, "nodes.yaml"), "utf8"));
  edit({ cluster, nodes });
  fs.writeFileSync(path.join(dir, "cluster.yaml"), cluster.toString());
  fs.writeFileSync(path.join(dir, "nodes.yaml"), nodes.toString());
  return dir;
}

/** inventory/dev with these files (patches, by path) beside it and an edit to its YAML. */
export function devWith(
  files: Record<string, string>,
  edit: Parameters<typeof editedInventory>[1],
): string {
  const dir = editedInventory(DEV, edit);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
