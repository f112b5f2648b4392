import * as fs from "fs";
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Node as YamlNode,
  Pair,
  parseDocument,
  visit,
  YAMLError,
} from "yaml";
import { LastUsed } from "../lastUsed";
import { displayPath, error } from "./problems";
import type { Problem, SourcePosition } from "./types";

/** One step into a YAML value: a mapping key or a list index. */
export type PathSegment = string | number;

/** Where a value sits inside a file, from the top-level mapping down. */
export type FieldPath = readonly PathSegment[];

/** A parsed inventory file that keeps every node's position in the text. */
export interface SourceFile {
  /** Absolute path. */
  readonly absolute: string;
  /** The path problems report (see `displayPath`). */
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The document as plain data (mappings, lists, scalars). */
  readonly data: unknown;
}

/** What {@link readSource} found: the parsed file, or the problems that stopped it. */
export interface ReadResult {
  readonly source?: SourceFile;
  readonly problems: Problem[];
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes a path the way an operator reads it: `nodes[2].vmId`, `network.gateway`, or
 * `nodes[0].labels["topology.kubernetes.io/zone"]` for a key that is not an identifier.
 * Given nodes.yaml's data, a node's name follows its index: `nodes[2] "dev-gpu-1".vmId`.
 */
export function formatPath(fieldPath: FieldPath, data?: unknown): string {
  let out = "";
  for (const [i, segment] of fieldPath.entries()) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
      // A node is named as well as numbered: `nodes[2] "dev-gpu-1".memoryMiB`.
      const named = i === 1 && fieldPath[0] === "nodes" && fieldPath[2] !== "name";
      const name = named ? nodeName(data, segment) : undefined;
      if (name !== undefined) out += ` ${JSON.stringify(name)}`;
    } else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The `name` of entry `index` of nodes.yaml's `nodes`, when it is a string. */
function nodeName(data: unknown, index: number): string | undefined {
  const nodes = (data as { nodes?: unknown } | null | undefined)?.nodes;
  const name = Array.isArray(nodes) ? (nodes[index] as { name?: unknown } | null)?.name : undefined;
  return typeof name === "string" ? name : undefined;
}

/** The position of the first character of a file, for problems about the file as a whole. */
export function startOf(absolute: string): SourcePosition {
  return { file: displayPath(absolute), line: 1, col: 1 };
}

/**
 * Reads and parses one inventory file. Returns problems instead of a source when the
 * file is missing or empty, is not well-formed YAML, or uses anchors, aliases or merge
 * keys; the schema is only checked against a file that got through all of that.
 *
 * @param expected what the file should hold, for the "file is empty" message.
 */
export function readSource(absolute: string, expected: string): ReadResult {
  const file = displayPath(absolute);
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
          ? "is a folder, expected a file"
          : `cannot read the file (${code ?? String(e)})`;
    return { problems: [error(startOf(absolute), message)] };
  }

  const kept = parsed.get(JSON.stringify([absolute, file, expected, text]), () =>
    parseSource(absolute, file, text, expected),
  );
  // Each caller gets its own data and problems; the parsed document is only read.
  return {
    ...(kept.source ? { source: { ...kept.source, data: structuredClone(kept.source.data) } } : {}),
    problems: kept.problems.map((p) => ({ ...p })),
  };
}

/**
 * Inventory files parsed, by path and text, for the last 32: a process that reads the
 * same files again (`npm run plan` checks the inventory and then runs the program, which
 * loads it; the tests run the program hundreds of times) parses each text once. YAML's
 * parser, with every node's position kept, is most of an inventory's load time (a
 * 200-node nodes.yaml: about a tenth of a second).
 */
const parsed = new LastUsed<ReadResult>(32);

function parseSource(absolute: string, file: string, text: string, expected: string): ReadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const at = (offset: number): SourcePosition => ({ file, ...lineCounter.linePos(offset) });

  const syntax = syntaxProblems(doc, text, at);
  if (syntax.length > 0) return { problems: syntax };

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { problems: [error(startOf(absolute), `file is empty; expected ${expected}`)] };
  }

  const plain = plainYamlProblems(doc, text, at);
  if (plain.length > 0) return { problems: plain };

  return { source: { absolute, file, doc, lineCounter, data: doc.toJS() }, problems: [] };
}

/**
 * YAML errors in our own words. After the first real syntax error the parser tends to
 * report a cascade of follow-on errors, so only that first one is kept; duplicate keys
 * and tab indentation are independent of each other and all reported.
 */
function syntaxProblems(
  doc: Document.Parsed,
  text: string,
  at: (offset: number) => SourcePosition,
): Problem[] {
  const problems: Problem[] = [];
  let derailed = false;
  for (const e of doc.errors) {
    const independent = e.code === "DUPLICATE_KEY" || e.code === "TAB_AS_INDENT";
    if (!independent && derailed) continue;
    if (e.code !== "DUPLICATE_KEY") derailed = true;
    const indented =
      e.code === "BLOCK_AS_IMPLICIT_KEY" ? overIndentedKey(text, e.pos[0]) : undefined;
    if (indented !== undefined) {
      problems.push(error(at(indented.offset), indented.message));
    } else {
      problems.push(error(at(e.pos[0]), syntaxMessage(doc, e, at)));
    }
  }
  return problems;
}

/** A line's leading spaces, its key (after any `- `) and the key's column, 0-based. */
const KEY_LINE = /^( *)(- +)?([^\s#:][^:#]*?|"[^"]*"|'[^']*'):(?:\s|$)/;

/**
 * An over-indented key, as in
 * ```yaml
 *     vmId: 101
 *       ip: 10.0.0.11
 * ```
 * The parser reads `101 ip` as one multi-line key and reports "Nested mappings are not
 * allowed in compact mappings" at the value on the line above. This finds the key that is
 * really wrong: the first key after that line indented deeper than the key on it.
 *
 * @param offset where the parser reported the error.
 * @returns where the over-indented key starts and a message in plain words, or
 *   `undefined` when the text does not look like that mistake.
 */
export function overIndentedKey(
  text: string,
  offset: number,
): { offset: number; message: string } | undefined {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lines = text.slice(lineStart).split("\n");
  const above = KEY_LINE.exec(lines[0]);
  if (above === null) return undefined;
  const column = above[1].length + (above[2]?.length ?? 0);
  let start = lineStart + lines[0].length + 1;
  for (const line of lines.slice(1)) {
    const content = line.trimStart();
    if (content !== "" && !content.startsWith("#")) {
      const key = KEY_LINE.exec(line);
      const indent = line.length - content.length;
      if (key === null || key[2] !== undefined || indent <= column) return undefined;
      const lineNumber = text.slice(0, lineStart).split("\n").length;
      return {
        offset: start + indent,
        message: `key "${key[3]}" is indented more than the key "${above[3]}" above it (line ${lineNumber}); align it with that key, ${indent - column} space${indent - column === 1 ? "" : "s"} to the left`,
      };
    }
    start += line.length + 1;
  }
  return undefined;
}

function syntaxMessage(
  doc: Document.Parsed,
  e: YAMLError,
  at: (offset: number) => SourcePosition,
): string {
  if (e.code === "DUPLICATE_KEY") {
    const found = findDuplicateKey(doc, e.pos[0]);
    if (found === undefined) return "duplicate key";
    const first = at(found.firstOffset);
    return `${formatPath(found.path)}: duplicate key (first set on line ${first.line})`;
  }
  if (e.code === "TAB_AS_INDENT") {
    return "a tab is used for indentation; YAML indents with spaces only";
  }
  if (e.code === "MULTIPLE_DOCS") {
    return 'more than one YAML document ("---"); an inventory file holds exactly one';
  }
  // Any other: the parser's own sentence, without the position and excerpt it appends.
  const first = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return `YAML syntax error: ${first}`;
}

/** Finds the mapping key that starts at `offset` and the earlier key with the same name. */
function findDuplicateKey(
  doc: Document.Parsed,
  offset: number,
): { path: FieldPath; firstOffset: number } | undefined {
  let found: { path: FieldPath; firstOffset: number } | undefined;
  const walk = (node: unknown, fieldPath: PathSegment[]): void => {
    if (found !== undefined) return;
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = keyText(pair);
        const keyOffset = nodeStart(pair.key);
        if (key !== undefined && keyOffset !== undefined) {
          const firstOffset = seen.get(key);
          if (keyOffset === offset && firstOffset !== undefined) {
            found = { path: [...fieldPath, key], firstOffset };
            return;
          }
          if (firstOffset === undefined) seen.set(key, keyOffset);
        }
        walk(pair.value, key === undefined ? fieldPath : [...fieldPath, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...fieldPath, index]));
    }
  };
  walk(doc.contents, []);
  return found;
}

/**
 * Anchors, aliases and merge keys are refused: with them one line can define values that
 * appear under many paths, and an error in a copied value would point at the wrong line.
 * Writing every value out keeps "one value, one line" true for every problem we report.
 */
function plainYamlProblems(
  doc: Document.Parsed,
  text: string,
  at: (offset: number) => SourcePosition,
): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Pair(_key, pair) {
      if (keyText(pair) === "<<") {
        const offset = nodeStart(pair.key) ?? 0;
        problems.push(
          error(at(offset), 'merge keys ("<<") are not supported; write the fields out in full'),
        );
      }
    },
    Node(_key, node) {
      if (isAlias(node)) {
        problems.push(
          error(
            at(node.range?.[0] ?? 0),
            `alias "*${node.source}" is not supported; write the value out in full`,
          ),
        );
      } else if (node.anchor !== undefined) {
        const start = node.range?.[0] ?? 0;
        const anchorAt = text.lastIndexOf(`&${node.anchor}`, start);
        problems.push(
          error(
            at(anchorAt >= 0 ? anchorAt : start),
            `anchor "&${node.anchor}" is not supported; write every value out in full`,
          ),
        );
      }
    },
  });
  return problems;
}

function keyText(pair: Pair<unknown, unknown>): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function nodeStart(node: unknown): number | undefined {
  return (node as YamlNode | null)?.range?.[0];
}

/**
 * The position of the value at `fieldPath` (or of its key with `part: "key"`). When the
 * path does not exist in full, the deepest part that does is used, so a problem always
 * lands near its cause.
 */
export function positionOf(
  source: SourceFile,
  fieldPath: FieldPath,
  part: "value" | "key" = "value",
): SourcePosition {
  let node: unknown = source.doc.contents;
  let offset = nodeStart(node) ?? 0;
  for (let i = 0; i < fieldPath.length; i++) {
    const segment = fieldPath[i];
    const last = i === fieldPath.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p) === String(segment));
      if (pair === undefined) break;
      const keyOffset = nodeStart(pair.key) ?? offset;
      const value = pair.value;
      // An empty value (`vip:`) has no text of its own: point at its key instead.
      const empty = value === null || (isScalar(value) && value.range?.[0] === value.range?.[1]);
      if ((last && part === "key") || empty) {
        offset = keyOffset;
        break;
      }
      node = value;
      offset = nodeStart(value) ?? keyOffset;
    } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
      node = node.items[segment];
      offset = nodeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return { file: source.file, ...source.lineCounter.linePos(offset) };
}
