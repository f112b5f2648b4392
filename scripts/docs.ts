/**
 * `npm run docs [-- --check]`
 *
 * Regenerates the two generated parts of the documentation:
 * - docs/inventory.md, the inventory field reference, from schema.json;
 * - the dependency graph in docs/architecture.md, between its GENERATED markers, from
 *   the offline plan of inventory/dev (the real program under the offline engine).
 *
 * With `--check` it writes nothing and exits 1 when either is stale, naming which.
 * The render functions are pure, so the doc tests compare without writing files.
 */
import * as fs from "fs";
import * as path from "path";
import { renderMermaid } from "../tools/plan";
import { planFor } from "./plan";
import { runCommand, printHelp, usageError, wantsHelp, type Writer } from "../tools/cli";
import { PROJECT_ROOT } from "../lib/projectRoot";

export type { Writer };

/** The project root: scripts/ sits one level below it. */
export const DOCS_ROOT = PROJECT_ROOT;
/** The generated field reference, relative to the project root. */
export const INVENTORY_DOC = path.join("docs", "inventory.md");
/** The doc holding the generated graph, relative to the project root. */
export const ARCHITECTURE_DOC = path.join("docs", "architecture.md");
/** The first line of the generated graph block. */
export const GRAPH_BEGIN = "<!-- BEGIN GENERATED: dependency graph (npm run docs) -->";
/** The last line of the generated graph block. */
export const GRAPH_END = "<!-- END GENERATED: dependency graph -->";

/** The part of JSON Schema that schema.json uses. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: string;
  /** Alternatives, each with its own type (a patch entry: a file path or a document). */
  readonly oneOf?: readonly SchemaNode[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly uniqueItems?: boolean;
  readonly default?: unknown;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly items?: SchemaNode;
}

/** The root of schema.json: the two file schemas and the shared definitions. */
export interface InventorySchema extends SchemaNode {
  readonly $defs: Readonly<Record<string, SchemaNode>>;
}

/** One table of the reference: a heading, an intro and the fields under a path. */
interface Section {
  readonly heading: string;
  /** The object whose properties the table lists. */
  readonly node: SchemaNode;
  /** Prefix of every field path in the table, e.g. `talos.` or `nodes[].taints[].`. */
  readonly prefix: string;
  readonly intro?: string;
}

/** A format definition: a string `$defs` entry that fields point to with `$ref`. */
interface FormatDef {
  readonly name: string;
  readonly node: SchemaNode;
}

const DEF_PREFIX = "#/$defs/";

function defName(ref: string): string {
  if (!ref.startsWith(DEF_PREFIX)) throw new Error(`schema.json: unsupported $ref ${ref}`);
  return ref.slice(DEF_PREFIX.length);
}

/**
 * A node with its `$ref` followed. The referring node's own keywords win over the
 * definition's (schema.json gives each field its own description beside the `$ref`).
 */
function resolve(schema: InventorySchema, node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const target = schema.$defs[defName(node.$ref)];
  if (target === undefined) throw new Error(`schema.json: $ref ${node.$ref} names no definition`);
  const { $ref: _ref, ...own } = node;
  return { ...resolve(schema, target), ...own };
}

/** Whether a `$defs` entry is a value format (a constrained string), not a structure. */
function formatOf(schema: InventorySchema, node: SchemaNode | undefined): FormatDef | undefined {
  if (node?.$ref === undefined) return undefined;
  const name = defName(node.$ref);
  const def = schema.$defs[name];
  return def.type === "string" && def.properties === undefined ? { name, node: def } : undefined;
}

/**
 * Markdown for inline text: code spans keep their text; outside them, `<` would start
 * an HTML tag and `_` or `*` emphasis.
 */
function prose(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/([_*])/g, "\\$1")))
    .join("");
}

/** Markdown for a table cell: one line, and `|` escaped, code spans included (GFM tables). */
function cell(text: string): string {
  return prose(text.replace(/\s*\n\s*/g, " ")).replace(/\|/g, "\\|");
}

/** Markdown this script wrote itself, for a table cell: only `|` needs escaping. */
function pipes(markdown: string): string {
  return markdown.replace(/\|/g, "\\|");
}

function code(value: unknown): string {
  return "`" + (typeof value === "string" ? value : JSON.stringify(value)) + "`";
}

/** The heading anchor GitHub gives a plain-word heading. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

const FORMATS_HEADING = "Value formats";

function formatLink(format: FormatDef): string {
  return `[${format.name}](#${anchorOf(FORMATS_HEADING)})`;
}

/** The type of a value, with its format when it has one. */
function typeText(schema: InventorySchema, raw: SchemaNode, node: SchemaNode): string {
  const format = formatOf(schema, raw);
  const alternatives = (node.oneOf ?? []).map((n) => resolve(schema, n).type);
  const type =
    node.type ??
    (alternatives.length > 0 && alternatives.every((t) => t !== undefined)
      ? alternatives.map((t) => (t === "object" ? "mapping" : t)).join(" or ")
      : "any");
  return format ? `${type}, ${formatLink(format)}` : type;
}

/** The type/constraints cell of one field. */
function constraints(
  schema: InventorySchema,
  raw: SchemaNode,
  required: boolean,
  sectionLink: string | undefined,
): string {
  const node = resolve(schema, raw);
  const parts: string[] = [];
  if (node.type === "array" && node.items !== undefined) {
    const item = resolve(schema, node.items);
    parts.push(
      item.type === "object"
        ? `array of objects${sectionLink ? `, see ${sectionLink}` : " (fields in the rows below)"}`
        : `array of ${typeText(schema, node.items, item)}`,
    );
    if (item.enum) parts.push(`each one of ${item.enum.map(code).join(", ")}`);
  } else if (node.type === "object" && node.propertyNames !== undefined) {
    const keys = formatOf(schema, node.propertyNames);
    const values =
      typeof node.additionalProperties === "object" ? node.additionalProperties : undefined;
    parts.push("map");
    if (keys) parts.push(`keys: ${formatLink(keys)}`);
    if (values) parts.push(`values: ${typeText(schema, values, resolve(schema, values))}`);
  } else if (node.type === "object") {
    parts.push(sectionLink ? `object, see ${sectionLink}` : "object");
  } else {
    parts.push(typeText(schema, raw, node));
  }
  if (node.pattern !== undefined && formatOf(schema, raw) === undefined) {
    parts.push(`pattern ${code(node.pattern)}`);
  }
  if (node.enum) parts.push(`one of ${node.enum.map(code).join(", ")}`);
  if (node.minimum !== undefined && node.maximum !== undefined) {
    parts.push(`${node.minimum} to ${node.maximum}`);
  } else if (node.minimum !== undefined) {
    parts.push(`at least ${node.minimum}`);
  } else if (node.maximum !== undefined) {
    parts.push(`at most ${node.maximum}`);
  }
  if (node.minItems !== undefined) {
    parts.push(`at least ${node.minItems} item${node.minItems === 1 ? "" : "s"}`);
  }
  if (node.uniqueItems) parts.push("no duplicates");
  if (required) parts.push("**required**");
  return parts.join("; ");
}

function defaultText(node: SchemaNode): string {
  if (node.default !== undefined) return code(node.default);
  // Defaults that depend on other fields (the role, the node's name) are stated in
  // the description only; point there instead of leaving the cell blank.
  return /\bDefault:/.test(node.description ?? "") ? "see description" : "–";
}

/**
 * The rows of one section: every field of `section.node`, nested objects inline, except
 * those with a section of their own, which get one row linking to it.
 */
function rows(schema: InventorySchema, section: Section, own: ReadonlyMap<string, string>) {
  const out: string[] = [];
  const walk = (object: SchemaNode, prefix: string) => {
    const required = new Set(object.required ?? []);
    for (const [name, raw] of Object.entries(object.properties ?? {})) {
      const field = `${prefix}${name}`;
      const node = resolve(schema, raw);
      const link = own.get(field);
      const linkText = link ? `[${link}](#${anchorOf(link)})` : undefined;
      out.push(
        `| ${code(field)} | ${pipes(constraints(schema, raw, required.has(name), linkText))} | ` +
          `${cell(defaultText(node))} | ${cell(node.description ?? "")} |`,
      );
      if (link !== undefined) continue;
      if (node.type === "object" && node.properties !== undefined) walk(node, `${field}.`);
      const item = node.type === "array" && node.items ? resolve(schema, node.items) : undefined;
      if (item?.type === "object" && item.properties !== undefined) walk(item, `${field}[].`);
    }
  };
  walk(section.node, section.prefix);
  return out;
}

function table(schema: InventorySchema, section: Section, own: ReadonlyMap<string, string>) {
  return [
    "| Field | Type and constraints | Default | Description |",
    "| --- | --- | --- | --- |",
    ...rows(schema, section, own),
  ];
}

/** The string definitions the file schemas refer to, in `$defs` order. */
function usedFormats(schema: InventorySchema): FormatDef[] {
  const used = new Set<string>();
  const visit = (node: SchemaNode | undefined, seen: Set<string>) => {
    if (node === undefined) return;
    const format = formatOf(schema, node);
    if (format) used.add(format.name);
    if (node.$ref !== undefined) {
      const name = defName(node.$ref);
      if (seen.has(name)) return;
      seen.add(name);
      visit(schema.$defs[name], seen);
    }
    for (const child of Object.values(node.properties ?? {})) visit(child, seen);
    visit(node.items, seen);
    visit(node.propertyNames, seen);
    if (typeof node.additionalProperties === "object") visit(node.additionalProperties, seen);
  };
  visit(schema.$defs.clusterFile, new Set());
  visit(schema.$defs.nodesFile, new Set());
  return Object.keys(schema.$defs)
    .filter((name) => used.has(name))
    .map((name) => ({ name, node: schema.$defs[name] }));
}

/** The inventory field reference (docs/inventory.md), from schema.json. Pure. */
export function renderInventoryReference(schema: InventorySchema): string {
  const cluster = schema.$defs.clusterFile;
  const nodesFile = schema.$defs.nodesFile;
  if (cluster?.properties === undefined || nodesFile?.properties === undefined) {
    throw new Error("schema.json: $defs.clusterFile and $defs.nodesFile must define properties");
  }
  const at = (object: SchemaNode, field: string): SchemaNode => {
    const child = object.properties?.[field];
    if (child === undefined) throw new Error(`schema.json: no property ${field}`);
    return resolve(schema, child);
  };
  const node = resolve(schema, nodesFile.properties.nodes.items ?? {});
  const taint = resolve(schema, at(node, "taints").items ?? {});

  const clusterSections: Section[] = ["talos", "kubernetes", "proxmox", "network", "defaults"].map(
    (name) => ({ heading: name, node: at(cluster, name), prefix: `${name}.` }),
  );
  const nodeSections: Section[] = [
    { heading: "taints", node: taint, prefix: "nodes[].taints[]." },
    { heading: "gpu", node: at(node, "gpu"), prefix: "nodes[].gpu." },
  ];
  // Fields whose table is a section of its own, by field path → section heading.
  const own = new Map<string, string>([
    ...clusterSections.map((s): [string, string] => [s.prefix.slice(0, -1), s.heading]),
    ["nodes[].taints", "taints"],
    ["nodes[].gpu", "gpu"],
  ]);

  const out: string[] = [
    "<!-- GENERATED by `npm run docs` from schema.json. Do not edit: edit schema.json and regenerate. -->",
    "",
    "# Inventory reference",
    "",
    "[Documentation index](README.md)",
    "",
    "Generated from [schema.json](../schema.json) by `npm run docs`; do not edit it by hand. " +
      "To change a field's text, edit its `description` in schema.json and run `npm run docs`. " +
      "`npm run docs -- --check` exits 1 when this file no longer matches the schema.",
    "",
    prose(schema.description ?? ""),
    "",
    "A field path such as `nodes[].gpu.mapping` names the `mapping` key of the `gpu` " +
      "object of any entry of the `nodes` list. A default of “see description” is one the " +
      "description states because it depends on other fields; “–” means the schema gives " +
      "no default.",
    "",
  ];
  const emit = (heading: string, level: number, section: Section) => {
    out.push(`${"#".repeat(level)} ${heading}`, "");
    if (section.intro) out.push(prose(section.intro), "");
    out.push(...table(schema, section, own), "");
  };

  out.push(`## ${cluster.title ?? "cluster.yaml"}`, "", prose(cluster.description ?? ""), "");
  emit("Top level", 3, { heading: "Top level", node: cluster, prefix: "" });
  for (const s of clusterSections) emit(s.heading, 3, { ...s, intro: s.node.description });

  out.push(`## ${nodesFile.title ?? "nodes.yaml"}`, "", prose(nodesFile.description ?? ""), "");
  emit("Node entry", 3, {
    heading: "Node entry",
    node: nodesFile,
    prefix: "",
    intro: node.description,
  });
  for (const s of nodeSections) emit(s.heading, 3, { ...s, intro: s.node.description });

  out.push(`## ${FORMATS_HEADING}`, "");
  out.push("The string formats that fields above refer to.", "");
  out.push("| Format | What it accepts | Rule |", "| --- | --- | --- |");
  for (const f of usedFormats(schema)) {
    const rule =
      f.node.pattern !== undefined
        ? `pattern ${code(f.node.pattern)}`
        : f.node.format !== undefined
          ? `JSON Schema format ${code(f.node.format)}`
          : "–";
    out.push(`| ${f.name} | ${cell(f.node.description ?? "")} | ${pipes(rule)} |`);
  }
  out.push("");
  return out.join("\n");
}

/** The generated block for docs/architecture.md: markers around a fenced Mermaid chart. */
export function renderGraphSection(mermaid: string): string {
  return [GRAPH_BEGIN, "", "```mermaid", mermaid.trimEnd(), "```", "", GRAPH_END].join("\n");
}

/**
 * `text` with the block between (and including) the GENERATED markers replaced by
 * `block`. Throws when the markers are missing, repeated or out of order. The
 * markers default to the dependency graph's; `npm run figures` passes its own.
 */
export function replaceGenerated(
  text: string,
  block: string,
  markers: { readonly begin: string; readonly end: string } = {
    begin: GRAPH_BEGIN,
    end: GRAPH_END,
  },
): string {
  const { begin: BEGIN, end: END } = markers;
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < 0 || end < begin) {
    throw new Error(`the markers ${BEGIN} … ${END} are missing or out of order`);
  }
  if (text.indexOf(BEGIN, begin + 1) >= 0 || text.indexOf(END, end + 1) >= 0) {
    throw new Error("the GENERATED markers appear more than once");
  }
  return text.slice(0, begin) + block + text.slice(end + END.length);
}

/** The dependency graph block of the dev inventory, from a fresh offline run. */
export async function currentGraphSection(root = DOCS_ROOT): Promise<string> {
  const { plan } = await planFor(path.join(root, "inventory", "dev"));
  return renderGraphSection(renderMermaid(plan));
}

/** schema.json, parsed. */
export function readSchema(root = DOCS_ROOT): InventorySchema {
  return JSON.parse(fs.readFileSync(path.join(root, "schema.json"), "utf8")) as InventorySchema;
}

const USAGE = "usage: npm run docs [-- --check]\n";

/**
 * The command. Returns the exit code: 0 written (or up to date under `--check`),
 * 1 stale under `--check` or a doc without its markers, 2 bad usage.
 */
export async function runDocs(
  args: readonly string[],
  out: Writer,
  err: Writer,
  root = DOCS_ROOT,
): Promise<number> {
  if (wantsHelp(args)) return printHelp(out, USAGE);
  const unknown = args.find((a) => a !== "--check");
  if (unknown !== undefined) {
    return usageError(err, `unexpected argument ${unknown}`, "npm run docs --");
  }
  const check = args.includes("--check");

  const inventoryPath = path.join(root, INVENTORY_DOC);
  const inventoryText = renderInventoryReference(readSchema(root));
  const architecturePath = path.join(root, ARCHITECTURE_DOC);
  const architectureOld = fs.readFileSync(architecturePath, "utf8");
  let architectureText: string;
  try {
    architectureText = replaceGenerated(architectureOld, await currentGraphSection(root));
  } catch (e) {
    err.write(`${ARCHITECTURE_DOC}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  const targets = [
    { file: INVENTORY_DOC, full: inventoryPath, text: inventoryText },
    { file: ARCHITECTURE_DOC, full: architecturePath, text: architectureText },
  ];
  const stale = targets.filter(
    (t) => !fs.existsSync(t.full) || fs.readFileSync(t.full, "utf8") !== t.text,
  );
  if (check) {
    for (const t of stale) err.write(`${t.file} is stale: run npm run docs\n`);
    if (stale.length === 0) out.write("docs are up to date\n");
    return stale.length === 0 ? 0 : 1;
  }
  for (const t of stale) {
    fs.writeFileSync(t.full, t.text);
    out.write(`wrote ${t.file}\n`);
  }
  if (stale.length === 0) out.write("docs are up to date\n");
  return 0;
}

if (require.main === module) runCommand(runDocs);
