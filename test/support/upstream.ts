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

/** One property set in a value, and what the schema says of it (undefined: nothing). */
interface SetProperty {
  readonly path: string;
  readonly prop: SchemaProperty | undefined;
}

/**
 * Every property set in `value`, at any depth (nested object types, arrays and maps),
 * with the schema's definition of it.
 */
function setProperties(
  schema: PulumiSchema,
  props: Readonly<Record<string, SchemaProperty>>,
  value: Record<string, unknown>,
  at: string,
): SetProperty[] {
  const out: SetProperty[] = [];
  for (const [key, v] of Object.entries(value)) {
    const where = at ? `${at}.${key}` : key;
    const prop = props[key];
    out.push({ path: where, prop });
    if (prop) out.push(...setInValue(schema, prop, v, where));
  }
  return out;
}

function setInValue(
  schema: PulumiSchema,
  prop: SchemaProperty,
  v: unknown,
  where: string,
): SetProperty[] {
  if (v === null || v === undefined) return [];
  if (prop.$ref) {
    const t = typeOf(schema, prop.$ref);
    if (t?.properties && typeof v === "object" && !Array.isArray(v)) {
      return setProperties(schema, t.properties, v as Record<string, unknown>, where);
    }
    return [];
  }
  if (prop.type === "array" && prop.items && Array.isArray(v)) {
    return v.flatMap((x, i) => setInValue(schema, prop.items!, x, `${where}[${i}]`));
  }
  if (prop.type === "object" && prop.additionalProperties && typeof v === "object") {
    return Object.entries(v as object).flatMap(([k, x]) =>
      setInValue(schema, prop.additionalProperties!, x, `${where}.${k}`),
    );
  }
  return [];
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
  return setProperties(schema, props, value, at)
    .filter((p) => p.prop === undefined)
    .map((p) => p.path);
}

/** Every property path in `value` that the schema marks deprecated. */
export function deprecatedProperties(
  schema: PulumiSchema,
  props: Readonly<Record<string, SchemaProperty>>,
  value: Record<string, unknown>,
): string[] {
  return setProperties(schema, props, value, "")
    .filter((p) => p.prop?.deprecated === true)
    .map((p) => p.path);
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
