/**
 * The invalid inventory fixtures, built from one valid base plus a small change.
 *
 * test/fixtures/base/ holds a valid cluster.yaml and nodes.yaml. Each folder under
 * test/fixtures/invalid/ is named for the mistake it makes and holds:
 * - `expected.txt`: every line `npm run validate` prints for it, in order, each
 *   `<file>:<line>:<col>: <message>` with the file named as `cluster.yaml` or
 *   `nodes.yaml` (the helper puts the folder in front);
 * - `change.yaml` (optional): for each file, the values to set and the paths to
 *   delete in the base copy, or `absent` for a file that must not exist, e.g.
 *   ```yaml
 *   nodes.yaml:
 *     set:
 *       nodes.1.vmId: 101
 *     delete: [nodes.0.ip]
 *   cluster.yaml: absent
 *   ```
 *   A path is dotted; a number steps into a list. A new key lands at the end of its
 *   mapping, so a change keeps the base's line numbers above it;
 * - `cluster.yaml` / `nodes.yaml` (optional): a whole file, used as written, for what
 *   a change cannot express (broken YAML syntax, tabs, anchors, comments that the
 *   message's line numbers count).
 *
 * A file the folder neither changes nor replaces is the base's. So a new required field
 * goes into the base once, not into every fixture.
 *
 * {@link materialise} writes the inventory a fixture stands for into a temporary
 * folder (named like the fixture), which the tests then load as any inventory.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, isSeq, parseDocument } from "yaml";
import { tempDir } from "./tmp";

/** The project root (this file sits in test/support/). */
const ROOT = path.resolve(__dirname, "..", "..");
/** The valid inventory every fixture starts from. */
export const BASE = path.join(ROOT, "test", "fixtures", "base");
/** One folder per invalid fixture. */
export const INVALID = path.join(ROOT, "test", "fixtures", "invalid");

/** The two files of an inventory. */
export const FILES = ["cluster.yaml", "nodes.yaml"] as const;
export type InventoryFile = (typeof FILES)[number];

/** What `change.yaml` may say about one file. */
type FileChange =
  | "absent"
  | {
      readonly set?: Readonly<Record<string, unknown>>;
      readonly delete?: readonly string[];
    };

/** The fixture folders, sorted. */
export function fixtureNames(): string[] {
  return fs
    .readdirSync(INVALID, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The lines `expected.txt` holds for a fixture, file names without a folder. */
export function expectedLines(name: string): string[] {
  const text = fs.readFileSync(path.join(INVALID, name, "expected.txt"), "utf8");
  return text.split("\n").filter((line) => line !== "");
}

/** `nodes.1.vmId` → `["nodes", 1, "vmId"]`. */
export function parsePath(dotted: string): (string | number)[] {
  return dotted.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/**
 * The base file with a change applied, as text. Values replace the node in place, so
 * every line that the change does not touch stays where it was in the base.
 */
export function applyChange(baseText: string, change: Exclude<FileChange, "absent">): string {
  const doc: Document = parseDocument(baseText);
  if (doc.errors.length > 0) throw new Error(`the base does not parse: ${doc.errors[0].message}`);
  for (const dotted of change.delete ?? []) {
    const at = parsePath(dotted);
    if (!doc.hasIn(at)) throw new Error(`delete ${dotted}: the base has no such path`);
    doc.deleteIn(at);
  }
  for (const [dotted, value] of Object.entries(change.set ?? {})) {
    const at = parsePath(dotted);
    const parent = doc.getIn(at.slice(0, -1), true);
    if (at.length > 1 && !isMap(parent) && !isSeq(parent)) {
      throw new Error(`set ${dotted}: the base has nothing at ${at.slice(0, -1).join(".")}`);
    }
    doc.setIn(at, doc.createNode(value));
  }
  return doc.toString();
}

/** Reads a fixture's change.yaml, or no change when there is none. */
function changesOf(dir: string): Partial<Record<InventoryFile, FileChange>> {
  const file = path.join(dir, "change.yaml");
  if (!fs.existsSync(file)) return {};
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  const data = (doc.toJS() ?? {}) as Record<string, FileChange>;
  for (const key of Object.keys(data)) {
    if (!(FILES as readonly string[]).includes(key)) {
      throw new Error(`${file}: unknown key ${key}; expected cluster.yaml or nodes.yaml`);
    }
  }
  return data;
}

/**
 * The text of one file of a fixture, or `undefined` when the fixture says it is absent.
 * A fixture may not both replace a file and change it: one of the two would be ignored.
 */
export function fixtureText(name: string, file: InventoryFile): string | undefined {
  const dir = path.join(INVALID, name);
  const whole = path.join(dir, file);
  const change = changesOf(dir)[file];
  if (fs.existsSync(whole)) {
    if (change !== undefined) throw new Error(`${name}: both ${file} and a change to it`);
    return fs.readFileSync(whole, "utf8");
  }
  if (change === "absent") return undefined;
  const base = fs.readFileSync(path.join(BASE, file), "utf8");
  return change === undefined ? base : applyChange(base, change);
}

let root: string | undefined;

/** The temporary folder fixtures are written to, made again after a test file removed it. */
function tempRoot(): string {
  if (root === undefined || !fs.existsSync(root)) root = tempDir("fixtures");
  return root;
}

/**
 * Writes the inventory of fixture `name` into `<temp>/<name>/` (once per process) and
 * returns that folder's absolute path.
 */
export function materialise(name: string): string {
  const dir = path.join(tempRoot(), name);
  if (fs.existsSync(dir)) return dir;
  const texts = FILES.map((file) => [file, fixtureText(name, file)] as const);
  fs.mkdirSync(dir);
  for (const [file, text] of texts) {
    if (text !== undefined) fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** A fixture's expected lines with the path of its materialised folder in front. */
export function expectedFor(name: string, dir: string = materialise(name)): string[] {
  const shown = path.relative(process.cwd(), dir);
  const prefix = shown === "" || shown.startsWith("..") || path.isAbsolute(shown) ? dir : shown;
  return expectedLines(name).map((line) => `${prefix}/${line}`);
}
