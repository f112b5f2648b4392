import * as fs from "fs";
import * as path from "path";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import { isScalar } from "yaml";
import { aboveMaximum } from "./limits";
import { error } from "./problems";
import { FieldPath, formatPath, PathSegment, positionOf, SourceFile } from "./source";
import type { Problem } from "./types";
import { findProjectRoot } from "../projectRoot";
import { compiledValidators } from "./compiledSchemas";

export { findProjectRoot };

/** Which of the two inventory files a source is. */
export type FileKind = "cluster" | "nodes";

/** Absolute path of schema.json. */
export function schemaFile(): string {
  return path.join(findProjectRoot(), "schema.json");
}

interface Validators {
  readonly schema: Record<string, unknown>;
  readonly byKind: Readonly<Record<FileKind, ValidateFunction>>;
}

let cache: Validators | undefined;

/** The parsed schema.json. */
export function loadSchema(): Record<string, unknown> {
  return validators().schema;
}

/**
 * Compiles schema.json once per process. Each file is checked against its own part of
 * the schema (`$defs/clusterFile`, `$defs/nodesFile`) rather than the root's if/then, so
 * a cluster.yaml is never judged as a nodes.yaml because of one stray key.
 */
function validators(): Validators {
  if (cache !== undefined) return cache;
  const schema = JSON.parse(fs.readFileSync(schemaFile(), "utf8")) as Record<string, unknown>;
  const compiled = compiledValidators({
    name: "inventory",
    options: { allErrors: true, strict: true, verbose: true },
    formats: ["ipv4"],
    schemas: [{ key: "inventory", schema }],
    refs: {
      root: "inventory",
      cluster: "inventory#/$defs/clusterFile",
      nodes: "inventory#/$defs/nodesFile",
    },
  });
  cache = {
    schema,
    byKind: { cluster: compiled.cluster, nodes: compiled.nodes },
  };
  return cache;
}

/**
 * What a value written against each `$defs` entry should be: `noun` names it ("is not an
 * IPv4 address"), `rule` spells out the syntax when the noun alone would not.
 */
const DEF_WORDING: Readonly<Record<string, { noun: string; rule?: string }>> = {
  dnsLabel: {
    noun: "a DNS-1123 label",
    rule: 'lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit',
  },
  hostName: {
    noun: "a host name",
    rule: 'letters, digits and "-", at most 63 characters, starting and ending with a letter or digit',
  },
  ipv4: { noun: "an IPv4 address" },
  ipv4Cidr: { noun: "an IPv4 CIDR", rule: 'address/prefix, such as "10.20.0.0/24"' },
  talosVersion: { noun: "a Talos version", rule: 'vX.Y.Z, such as "v1.13.0"' },
  kubernetesVersion: { noun: "a Kubernetes version", rule: 'X.Y.Z, such as "1.36.0"' },
  extensionName: {
    noun: "an extension name",
    rule: 'publisher/name, such as "siderolabs/qemu-guest-agent"',
  },
  devicePath: { noun: "a device path", rule: 'such as "/dev/sda"' },
  storageId: {
    noun: "a Proxmox storage ID",
    rule: 'a letter, then letters, digits, "-", "_" or "."',
  },
  bridgeName: {
    noun: "a bridge name",
    rule: 'a letter, then letters, digits, "-", "_" or ".", at most 15 characters',
  },
  mac: {
    noun: "a MAC address",
    rule: 'six hex pairs separated by ":", such as "bc:24:11:0a:00:01"',
  },
  cpuType: { noun: "a QEMU CPU type", rule: 'such as "x86-64-v2-AES" or "host"' },
  mappingId: {
    noun: "a Proxmox resource mapping name",
    rule: 'a letter, then letters, digits, "-" or "_"',
  },
  labelKey: {
    noun: "a valid key",
    rule: 'an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  },
  labelValue: {
    noun: "a valid label value",
    rule: 'at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit, or empty',
  },
};

/**
 * Why a list takes no more entries than its `maxItems`, and what to write instead, by the
 * list's path; a list without a row gets the bare limit.
 */
const LIST_LIMIT_REASON: Readonly<Record<string, string>> = {
  "kubernetes.podSubnets":
    "kubernetes.podSubnets takes one IPv4 range (Kubernetes allows one per IP family, and em-infra does not support dual stack); list a single range large enough for every node",
  "kubernetes.serviceSubnets":
    "kubernetes.serviceSubnets takes one IPv4 range (Kubernetes allows one per IP family, and em-infra does not support dual stack); list a single range, a /12 at most",
};

const TYPE_NOUN: Readonly<Record<string, string>> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

/** A value as a message quotes it: strings in double quotes, other scalars as written. */
export function quote(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** A value with its kind, for "expected X, got Y". */
function describe(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (Array.isArray(value)) return "a list";
  return "a mapping";
}

/** Names the first non-ASCII character: the usual cause of a name that looks right. */
function nonAsciiHint(value: unknown): string {
  if (typeof value !== "string") return "";
  const char = [...value].find((c) => c.codePointAt(0)! > 0x7e);
  if (char === undefined) return "";
  const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `; it contains the non-ASCII character "${char}" (U+${code})`;
}

/** `#/$defs/<name>/<keyword>` when the failing keyword sits directly in a `$defs` entry. */
function defOf(e: ErrorObject): string | undefined {
  const match = /^#\/\$defs\/([^/]+)\/[^/]+$/.exec(e.schemaPath);
  return match?.[1];
}

/** Turns `/nodes/0/vmId` into `["nodes", 0, "vmId"]`, numbers where the data is a list. */
function segmentsOf(instancePath: string, data: unknown): PathSegment[] {
  if (instancePath === "") return [];
  const segments: PathSegment[] = [];
  let node = data;
  for (const raw of instancePath.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node =
        node !== null && typeof node === "object"
          ? (node as Record<string, unknown>)[key]
          : undefined;
    }
  }
  return segments;
}

/**
 * "did you mean" for an unknown key: a known key that differs only in case or by a typo
 * (at most two edits), as ` (did you mean "x"?)`, or "" when none is close.
 */
export function suggestion(unknown: string, known: readonly string[]): string {
  const lower = unknown.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? "" : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** `path: message`, or the message alone for the top of the file. */
function atPath(fieldPath: FieldPath, message: string, data: unknown): string {
  return fieldPath.length === 0 ? message : `${formatPath(fieldPath, data)}: ${message}`;
}

/**
 * Checks one parsed file against its part of schema.json and turns every failure into a
 * problem at the line of the value concerned, in our own words.
 */
export function schemaProblems(source: SourceFile, kind: FileKind): Problem[] {
  const validate = validators().byKind[kind];
  if (validate(source.data)) return [];
  const problems: Problem[] = [];
  for (const e of validate.errors ?? []) {
    const problem = problemFor(source, e);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

function problemFor(source: SourceFile, e: ErrorObject): Problem | undefined {
  // Paths name a node beside its index, read from this file's data.
  const fmt = (p: FieldPath) => formatPath(p, source.data);
  const at = (p: FieldPath, message: string) => atPath(p, message, source.data);
  const fieldPath = segmentsOf(e.instancePath, source.data);
  const def = defOf(e);
  const wording = def === undefined ? undefined : DEF_WORDING[def];
  const params = e.params as Record<string, unknown>;
  const value = e.data;
  const positionAt = (p: FieldPath, part: "value" | "key" = "value") => positionOf(source, p, part);

  switch (e.keyword) {
    case "if":
    case "propertyNames":
      // Wrappers: the failure underneath carries the detail.
      return undefined;
    case "required": {
      const missing = String(params.missingProperty);
      return error(
        positionAt(fieldPath),
        `${fmt([...fieldPath, missing])}: required field is missing`,
      );
    }
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const properties =
        (e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {};
      const hint = suggestion(key, Object.keys(properties));
      return error(
        positionAt([...fieldPath, key], "key"),
        at(fieldPath, `unknown field "${key}"${hint}`),
      );
    }
    case "type": {
      if (fieldPath.length === 0) {
        return error(
          positionAt([]),
          `expected a mapping of fields at the top of the file, got ${describe(value)}`,
        );
      }
      let expected = wording?.noun ?? TYPE_NOUN[String(params.type)] ?? String(params.type);
      if ((def === "kubernetesVersion" || def === "talosVersion") && wording?.rule !== undefined) {
        // `1.36` reads as a number; the quoted form must also carry the patch release.
        expected += ` (${wording.rule})`;
      }
      let hint = "";
      if (params.type === "integer" && typeof value === "string" && /^\d+$/.test(value)) {
        hint = "; remove the quotes";
      } else if (
        def === "labelValue" &&
        (typeof value === "boolean" || typeof value === "number")
      ) {
        hint = `; put it in quotes: "${value}"`;
      }
      return error(
        positionAt(fieldPath),
        at(fieldPath, `expected ${expected}, got ${describe(value)}${hint}`),
      );
    }
    case "pattern":
    case "format": {
      const noun = wording?.noun ?? "valid";
      const rule = wording?.rule === undefined ? "" : ` (${wording.rule})`;
      const extra = nonAsciiHint(value) + versionHint(def, value);
      const target = source.data === undefined ? undefined : valueAt(source.data, fieldPath);
      if (typeof value === "string" && target !== null && typeof target === "object") {
        // A propertyNames failure: `value` is the offending key of the mapping at fieldPath.
        return error(
          positionAt([...fieldPath, value], "key"),
          at(fieldPath, `key ${quote(value)} is not ${noun}${rule}${extra}`),
        );
      }
      return error(
        positionAt(fieldPath),
        at(fieldPath, `${quote(value)} is not ${noun}${rule}${extra}`),
      );
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(quote).join(", ");
      return error(
        positionAt(fieldPath),
        at(fieldPath, `${quote(value)} is not one of ${allowed}`),
      );
    }
    case "minimum":
      return error(
        positionAt(fieldPath),
        at(fieldPath, `${quote(value)} is below the minimum of ${String(params.limit)}`),
      );
    case "maximum": {
      const field = [...fieldPath].reverse().find((s): s is string => typeof s === "string");
      const above = aboveMaximum(field, Number(params.limit));
      if (typeof value === "number" && !Number.isSafeInteger(value)) {
        // The parsed number is already rounded: quote what the file says instead.
        const written = writtenText(source, fieldPath) ?? String(value);
        return error(
          positionAt(fieldPath),
          at(
            fieldPath,
            `${written} is not a safe integer (it is past 2^53 - 1 = ${Number.MAX_SAFE_INTEGER}, where numbers stop being exact) and is ${above}`,
          ),
        );
      }
      return error(positionAt(fieldPath), at(fieldPath, `${quote(value)} is ${above}`));
    }
    case "minItems": {
      const limit = Number(params.limit);
      const what = limit === 1 ? "entry" : "entries";
      return error(positionAt(fieldPath), at(fieldPath, `needs at least ${limit} ${what}`));
    }
    case "maxItems": {
      // Reported at the first entry past the limit: the one to remove.
      const limit = Number(params.limit);
      const extra = [...fieldPath, limit];
      const reason =
        LIST_LIMIT_REASON[fmt(fieldPath)] ??
        `${fmt(fieldPath)} takes at most ${limit} ${limit === 1 ? "entry" : "entries"}`;
      return error(
        positionAt(extra),
        at(extra, `${quote((value as unknown[])[limit])} is one entry too many; ${reason}`),
      );
    }
    case "uniqueItems": {
      const later = Math.max(Number(params.i), Number(params.j));
      const earlier = Math.min(Number(params.i), Number(params.j));
      const list = value as unknown[];
      return error(
        positionAt([...fieldPath, later]),
        at(
          [...fieldPath, later],
          `${quote(list[later])} is listed twice (also at ${fmt([...fieldPath, earlier])})`,
        ),
      );
    }
    default:
      return error(
        positionAt(fieldPath),
        at(fieldPath, `${quote(value)} breaks the schema rule "${e.keyword}"`),
      );
  }
}

/** The text of the scalar at `fieldPath` exactly as the file writes it, when there is one. */
function writtenText(source: SourceFile, fieldPath: FieldPath): string | undefined {
  const node: unknown = source.doc.getIn(fieldPath, true);
  return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
}

function versionHint(def: string | undefined, value: unknown): string {
  if (typeof value !== "string") return "";
  if (def === "kubernetesVersion" && /^v\d/.test(value)) return '; drop the leading "v"';
  if (def === "talosVersion" && /^\d/.test(value)) return '; add a leading "v"';
  return "";
}

function valueAt(data: unknown, fieldPath: FieldPath): unknown {
  let node = data;
  for (const segment of fieldPath) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment as string];
  }
  return node;
}
