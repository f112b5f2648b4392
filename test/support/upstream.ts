/**
 * The upstream provider schemas, as the committed facts hold them (test/facts/,
 * written by `npm run facts` from ../shared/upstream/), and the checks over them.
 * The facts keep the schema's own shape, so these read them as they would read the
 * upstream file; a clone without ../shared runs them all.
 */
import { readFacts } from "../../tools/facts";
import type { ProxmoxveFacts } from "../../tools/facts/proxmoxve";
import type {
  PulumiProperty as SchemaProperty,
  PulumiSchemaFacts,
  PulumiType,
} from "../../tools/facts/pulumiSchema";

/** A Pulumi package schema, as its facts file holds it. */
export type PulumiSchema = PulumiSchemaFacts;

let proxmoxve: ProxmoxveFacts | undefined;

/** The proxmoxve provider facts (test/facts/proxmoxve.json), read once. */
export function proxmoxveSchema(): ProxmoxveFacts {
  proxmoxve ??= readFacts<ProxmoxveFacts>("proxmoxve").facts;
  return proxmoxve;
}

function typeOf(schema: PulumiSchema, ref: string): PulumiType | undefined {
  const m = /^#\/types\/(.+)$/.exec(ref);
  return m ? schema.types[decodeURIComponent(m[1])] : undefined;
}

/**
 * Every property path in `value` that the schema does not define, walking nested
 * object types, arrays and maps. An empty list means every property exists.
 */
export function unknownProperties(
  schema: PulumiSchema,
  props: Readonly<Record<string, SchemaProperty>>,
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
  const walk = (props: Readonly<Record<string, SchemaProperty>>, at: string, seen: Set<string>) => {
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
