/**
 * Facts from the Talos machine-config JSON schema: the schema itself with every
 * annotation (titles, descriptions, examples, defaults) removed, so that it validates
 * exactly what the upstream file validates, and a table of the document kinds it
 * declares. Every definition is kept, not only those our patches reach: the root's
 * `oneOf` over all document kinds is what proves a document matches exactly one, and
 * a kind Talos does not know is told apart from one our facts left out.
 */
import { checkKeys, readJson, sortKeys } from "./json";
import type { FactsSource } from "./types";

const FILE = "talos-config.schema.json";
const EXTRACTOR = "tools/facts/talosConfig.ts";

/** Keywords that combine subschemas: structural, and each value a subschema or list. */
const COMBINATORS = ["oneOf", "anyOf", "allOf", "not", "if", "then", "else"] as const;

/** JSON Schema 2020-12 keywords that decide what validates. */
const STRUCTURAL = new Set([
  "$schema",
  "$id",
  "$ref",
  "$defs",
  "type",
  "enum",
  "const",
  "properties",
  "patternProperties",
  "additionalProperties",
  "propertyNames",
  "required",
  "dependentRequired",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "uniqueItems",
  "contains",
  "pattern",
  "format",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  ...COMBINATORS,
]);
/** Keywords that only annotate: dropped. */
const ANNOTATION = new Set([
  "title",
  "description",
  "markdownDescription",
  "x-intellij-html-description",
  "examples",
  "default",
  "$comment",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
/** Keywords whose value maps names to subschemas (the names are data, not keywords). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
/** Keywords whose value is a subschema or a list of them. */
const SUBSCHEMAS = new Set([
  "items",
  "prefixItems",
  "additionalProperties",
  "propertyNames",
  "contains",
  ...COMBINATORS,
]);

/** A JSON schema, structural keywords only. */
export type StructuralSchema = { readonly [keyword: string]: unknown };

/** The facts in test/facts/talos-config.json. */
export interface TalosConfigFacts {
  /** The schema, annotations removed; `$id`, `$defs` and the root `oneOf` as upstream. */
  readonly schema: StructuralSchema & {
    readonly $id: string;
    readonly $defs: Readonly<Record<string, StructuralSchema>>;
  };
  /** The definition a document without `kind` is: the v1alpha1 machine config. */
  readonly untypedDocument: string;
  /** Each document kind the schema declares: its `apiVersion` values and its definition. */
  readonly documents: Readonly<
    Record<string, { readonly apiVersion: readonly string[]; readonly definition: string }>
  >;
}

function structural(where: string, schema: unknown): unknown {
  if (typeof schema === "boolean") return schema;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new Error(`${where}: a subschema must be an object or a boolean`);
  }
  checkKeys(where, schema, STRUCTURAL, ANNOTATION, EXTRACTOR);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (ANNOTATION.has(key)) continue;
    if (SCHEMA_MAPS.has(key)) {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, sub]) => [
          name,
          structural(`${where}/${key}/${name}`, sub),
        ]),
      );
    } else if (SUBSCHEMAS.has(key)) {
      out[key] = Array.isArray(value)
        ? value.map((sub, i) => structural(`${where}/${key}/${i}`, sub))
        : structural(`${where}/${key}`, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export const talosConfigFacts: FactsSource = {
  name: "talos-config",
  origin:
    "github.com/siderolabs/talos website/content/v1.13/schemas/config.schema.json " +
    "at tag v1.13.0, commit b9e9c657963363da73b897c27ef3d407ba5e91c0",
  files: [FILE],
  extract(upstreamDir: string): TalosConfigFacts {
    const schema = structural("#", readJson(upstreamDir, FILE)) as TalosConfigFacts["schema"];
    const documents: Record<string, { apiVersion: string[]; definition: string }> = {};
    for (const [definition, def] of Object.entries(schema.$defs)) {
      const props = def.properties as
        Record<string, { enum?: unknown[]; const?: unknown }> | undefined;
      const kinds = props?.kind?.enum;
      if (kinds === undefined) continue;
      for (const kind of kinds) {
        if (typeof kind !== "string" || kind in documents) {
          throw new Error(`#/$defs/${definition}: kind ${JSON.stringify(kind)} is not unique`);
        }
        documents[kind] = {
          apiVersion: (props?.apiVersion?.enum ?? []).map(String),
          definition,
        };
      }
    }
    const untypedDocument = "v1alpha1.Config";
    if (!(untypedDocument in schema.$defs)) {
      throw new Error(`#/$defs has no ${untypedDocument}`);
    }
    return sortKeys({ schema, untypedDocument, documents });
  },
};

/**
 * Words in a field's description that say it holds something sensitive: a key, a
 * password, a token, a passphrase, a file's contents, a URL or a header. Only which of
 * them occur is committed, never the description itself.
 */
export const SENSITIVE_TERMS = [
  "key",
  "password",
  "passphrase",
  "token",
  "secret",
  "credential",
  "certificate",
  "contents",
  "content",
  "url",
  "endpoint",
  "header",
] as const;

/** The facts in test/facts/talos-config-fields.json. */
export interface TalosConfigFieldFacts {
  /**
   * By definition and property: the {@link SENSITIVE_TERMS} its description uses (as
   * whole words, any case, plurals too); properties whose description uses none are
   * left out.
   */
  readonly descriptionTerms: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** Which {@link SENSITIVE_TERMS} a description uses. */
export function sensitiveTerms(description: string): string[] {
  return SENSITIVE_TERMS.filter((t) => new RegExp(`\\b${t}s?\\b`, "i").test(description));
}

export const talosConfigFieldFacts: FactsSource = {
  name: "talos-config-fields",
  origin: talosConfigFacts.origin,
  files: [FILE],
  extract(upstreamDir: string): TalosConfigFieldFacts {
    const schema = readJson<{
      $defs: Record<string, { properties?: Record<string, { description?: unknown }> }>;
    }>(upstreamDir, FILE);
    const descriptionTerms: Record<string, Record<string, string[]>> = {};
    for (const [definition, def] of Object.entries(schema.$defs)) {
      for (const [property, sub] of Object.entries(def.properties ?? {})) {
        const terms = typeof sub.description === "string" ? sensitiveTerms(sub.description) : [];
        if (terms.length === 0) continue;
        (descriptionTerms[definition] ??= {})[property] = terms;
      }
    }
    return sortKeys({ descriptionTerms });
  },
};
