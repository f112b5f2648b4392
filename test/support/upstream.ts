/**
 * Access to the upstream data in ../shared/upstream/ (provider schemas, the Talos
 * config schema). Where the folder is absent, as in a user's clone, tests that
 * need it skip with a message that says so: they never pass silently.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../tools/offline/engine";

/** Where the upstream data is looked for. */
export const UPSTREAM_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "upstream");

const cache = new Map<string, unknown>();

/** Reads an upstream JSON file, or returns undefined when it is absent. */
export function readUpstream<T>(file: string): T | undefined {
  const full = path.join(UPSTREAM_DIR, file);
  if (!cache.has(full)) {
    cache.set(full, fs.existsSync(full) ? JSON.parse(fs.readFileSync(full, "utf8")) : undefined);
  }
  return cache.get(full) as T | undefined;
}

/**
 * Reads an upstream JSON file for a test, or skips the test with a message
 * naming the missing file.
 */
export function requireUpstream<T>(ctx: Mocha.Context, file: string): T {
  const data = readUpstream<T>(file);
  if (data === undefined) {
    const where = path.join(UPSTREAM_DIR, file);
    console.log(`      SKIPPED: upstream data ${where} is absent (a clone without ../shared/)`);
    ctx.skip();
  }
  return data as T;
}

interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  willReplaceOnChanges?: boolean;
  secret?: boolean;
}
interface SchemaObject {
  properties?: Record<string, SchemaProperty>;
  inputProperties?: Record<string, SchemaProperty>;
}
/** The part of a Pulumi package schema these checks read. */
export interface PulumiSchema {
  resources: Record<string, SchemaObject>;
  types: Record<string, SchemaObject>;
  functions: Record<string, { inputs?: SchemaObject }>;
}

function typeOf(schema: PulumiSchema, ref: string): SchemaObject | undefined {
  const m = /^#\/types\/(.+)$/.exec(ref);
  return m ? schema.types[decodeURIComponent(m[1])] : undefined;
}

/**
 * Every property path in `value` that the schema does not define, walking nested
 * object types, arrays and maps. An empty list means every property exists.
 */
export function unknownProperties(
  schema: PulumiSchema,
  props: Record<string, SchemaProperty>,
  value: Record<string, unknown>,
  at = "",
): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const where = at ? `${at}.${key}` : key;
    const prop = props[key];
    if (!prop) {
      out.push(where);
      continue;
    }
    out.push(...unknownInValue(schema, prop, v, where));
  }
  return out;
}

function unknownInValue(
  schema: PulumiSchema,
  prop: SchemaProperty,
  v: unknown,
  where: string,
): string[] {
  if (v === null || v === undefined) return [];
  if (prop.$ref) {
    const t = typeOf(schema, prop.$ref);
    if (t?.properties && typeof v === "object" && !Array.isArray(v)) {
      return unknownProperties(schema, t.properties, v as Record<string, unknown>, where);
    }
    return [];
  }
  if (prop.type === "array" && prop.items && Array.isArray(v)) {
    return v.flatMap((x, i) => unknownInValue(schema, prop.items!, x, `${where}[${i}]`));
  }
  if (prop.type === "object" && prop.additionalProperties && typeof v === "object") {
    return Object.entries(v as object).flatMap(([k, x]) =>
      unknownInValue(schema, prop.additionalProperties!, x, `${where}.${k}`),
    );
  }
  return [];
}

/**
 * The property paths the schema marks `willReplaceOnChanges`, for a resource's
 * inputs, as dotted paths with `[]` for array elements.
 */
export function replaceOnChangePaths(schema: PulumiSchema, token: string): string[] {
  const out: string[] = [];
  const walk = (props: Record<string, SchemaProperty>, at: string, seen: Set<string>) => {
    for (const [key, prop] of Object.entries(props)) {
      const where = at ? `${at}.${key}` : key;
      if (prop.willReplaceOnChanges) out.push(where);
      const ref = prop.$ref ?? (prop.type === "array" ? prop.items?.$ref : undefined);
      const suffix = prop.type === "array" ? "[]" : "";
      if (ref && !seen.has(ref)) {
        const t = typeOf(schema, ref);
        if (t?.properties) walk(t.properties, where + suffix, new Set([...seen, ref]));
      }
    }
  };
  walk(schema.resources[token]?.inputProperties ?? {}, "", new Set());
  return out;
}
