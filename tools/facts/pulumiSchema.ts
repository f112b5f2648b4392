/**
 * The structural part of a Pulumi package schema: for the chosen resources and
 * functions, and every object type they reach through `$ref`, the property names,
 * types, references, required lists, secret and replace-on-change flags. Descriptions,
 * examples and per-language naming are dropped. The shape is the schema's own, so a
 * check written against the upstream file reads the facts unchanged.
 */
import { checkKeys, sortKeys } from "./json";

const EXTRACTOR = "tools/facts/pulumiSchema.ts";

/** One property (or array element, or map value) of a resource, function or type. */
export interface PulumiProperty {
  readonly type?: string;
  readonly $ref?: string;
  readonly items?: PulumiProperty;
  readonly additionalProperties?: PulumiProperty;
  readonly secret?: boolean;
  readonly willReplaceOnChanges?: boolean;
  readonly plain?: boolean;
  readonly const?: unknown;
  readonly default?: unknown;
  /** The upstream schema carries a deprecation message for this property. */
  readonly deprecated?: boolean;
}
export type PulumiProperties = Readonly<Record<string, PulumiProperty>>;

/** An object or enum type under `types`. */
export interface PulumiType {
  readonly type?: string;
  readonly properties?: PulumiProperties;
  readonly required?: readonly string[];
  /** For an enum type: the allowed values. */
  readonly enum?: readonly { readonly value: unknown }[];
  readonly language?: {
    readonly nodejs?: {
      readonly requiredInputs?: readonly string[];
      readonly requiredOutputs?: readonly string[];
    };
  };
}

/** An anonymous object: a resource's state inputs, a function's inputs or outputs. */
export interface PulumiObject {
  readonly type?: string;
  readonly properties?: PulumiProperties;
  readonly required?: readonly string[];
}

/** A resource under `resources`. */
export interface PulumiResource {
  readonly properties?: PulumiProperties;
  readonly required?: readonly string[];
  readonly inputProperties?: PulumiProperties;
  readonly requiredInputs?: readonly string[];
  readonly stateInputs?: PulumiObject;
}

/** A function (invoke) under `functions`. */
export interface PulumiFunction {
  readonly inputs?: PulumiObject;
  readonly outputs?: PulumiObject;
}

/** The facts kept from a Pulumi package schema. */
export interface PulumiSchemaFacts {
  readonly name: string;
  readonly pluginDownloadURL?: string;
  readonly resources: Readonly<Record<string, PulumiResource>>;
  readonly functions: Readonly<Record<string, PulumiFunction>>;
  readonly types: Readonly<Record<string, PulumiType>>;
}

/** Which resources and functions to keep: a list of tokens, or all of them. */
export interface PulumiSelection {
  readonly resources: readonly string[] | "all";
  readonly functions: readonly string[] | "all";
}

type Json = Record<string, unknown>;

const PROPERTY_KEPT = new Set([
  "type",
  "$ref",
  "items",
  "additionalProperties",
  "secret",
  "willReplaceOnChanges",
  "plain",
  "const",
  "default",
]);
const PROPERTY_DROPPED = new Set(["description", "deprecationMessage", "language"]);
const TYPE_KEPT = new Set(["type", "properties", "required", "enum", "language"]);
const TYPE_DROPPED = new Set(["description"]);
const RESOURCE_KEPT = new Set([
  "properties",
  "required",
  "inputProperties",
  "requiredInputs",
  "stateInputs",
]);
const RESOURCE_DROPPED = new Set(["description"]);
const FUNCTION_KEPT = new Set(["inputs", "outputs"]);
const FUNCTION_DROPPED = new Set(["description"]);
const OBJECT_KEPT = new Set(["properties", "required", "type"]);
const OBJECT_DROPPED = new Set(["description"]);

/** The type token a local `$ref` names (`#/types/...`, or `#types/...` as some providers write it). */
export function typeTokenOf(ref: string): string | undefined {
  const m = /^#\/?types\/(.+)$/.exec(ref);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** The structural facts of `schema` for the selected resources and functions. */
export function prunePulumiSchema(schema: Json, select: PulumiSelection): PulumiSchemaFacts {
  const resources = (schema.resources ?? {}) as Record<string, Json>;
  const functions = (schema.functions ?? {}) as Record<string, Json>;
  const types = (schema.types ?? {}) as Record<string, Json>;
  const reached = new Set<string>();

  const property = (where: string, p: Json): PulumiProperty => {
    checkKeys(where, p, PROPERTY_KEPT, PROPERTY_DROPPED, EXTRACTOR);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) {
      if (!PROPERTY_KEPT.has(k)) continue;
      if (k === "items" || k === "additionalProperties") {
        out[k] = property(`${where}.${k}`, v as Json);
      } else {
        out[k] = v;
      }
    }
    if (p.deprecationMessage !== undefined) out.deprecated = true;
    if (typeof p.$ref === "string") {
      const token = typeTokenOf(p.$ref);
      if (token !== undefined) reached.add(token);
    }
    return out as PulumiProperty;
  };
  const properties = (where: string, props: unknown): PulumiProperties =>
    Object.fromEntries(
      Object.entries((props ?? {}) as Record<string, Json>).map(([name, p]) => [
        name,
        property(`${where}.${name}`, p),
      ]),
    );
  const object = (where: string, o: Json): PulumiObject => {
    checkKeys(where, o, OBJECT_KEPT, OBJECT_DROPPED, EXTRACTOR);
    return {
      ...(o.type !== undefined ? { type: o.type as string } : {}),
      properties: properties(`${where}.properties`, o.properties),
      ...(o.required !== undefined ? { required: o.required as string[] } : {}),
    };
  };
  const pick = (all: Record<string, Json>, chosen: readonly string[] | "all", what: string) =>
    (chosen === "all" ? Object.keys(all) : chosen).map((token): [string, Json] => {
      const found = all[token];
      if (!found) throw new Error(`${token} is not a ${what} of the upstream schema`);
      return [token, found];
    });

  const outResources: Record<string, PulumiResource> = {};
  for (const [token, r] of pick(resources, select.resources, "resource")) {
    const where = `resources.${token}`;
    checkKeys(where, r, RESOURCE_KEPT, RESOURCE_DROPPED, EXTRACTOR);
    outResources[token] = {
      properties: properties(`${where}.properties`, r.properties),
      ...(r.required !== undefined ? { required: r.required as string[] } : {}),
      inputProperties: properties(`${where}.inputProperties`, r.inputProperties),
      ...(r.requiredInputs !== undefined ? { requiredInputs: r.requiredInputs as string[] } : {}),
      ...(r.stateInputs !== undefined
        ? { stateInputs: object(`${where}.stateInputs`, r.stateInputs as Json) }
        : {}),
    };
  }
  const outFunctions: Record<string, PulumiFunction> = {};
  for (const [token, f] of pick(functions, select.functions, "function")) {
    const where = `functions.${token}`;
    checkKeys(where, f, FUNCTION_KEPT, FUNCTION_DROPPED, EXTRACTOR);
    outFunctions[token] = {
      ...(f.inputs !== undefined ? { inputs: object(`${where}.inputs`, f.inputs as Json) } : {}),
      ...(f.outputs !== undefined
        ? { outputs: object(`${where}.outputs`, f.outputs as Json) }
        : {}),
    };
  }

  // Every type reached from the selection, and every type those reach in turn.
  const outTypes: Record<string, PulumiType> = {};
  const pending = () => [...reached].filter((t) => !(t in outTypes) && t in types);
  for (let next = pending(); next.length > 0; next = pending()) {
    for (const token of next) {
      const where = `types.${token}`;
      const t = types[token];
      checkKeys(where, t, TYPE_KEPT, TYPE_DROPPED, EXTRACTOR);
      const nodejs = (t.language as { nodejs?: Json } | undefined)?.nodejs;
      outTypes[token] = {
        ...(t.type !== undefined ? { type: t.type as string } : {}),
        ...(t.properties !== undefined
          ? { properties: properties(`${where}.properties`, t.properties) }
          : {}),
        ...(t.required !== undefined ? { required: t.required as string[] } : {}),
        ...(t.enum !== undefined
          ? { enum: (t.enum as Json[]).map((e) => ({ value: e.value })) }
          : {}),
        ...(nodejs?.requiredInputs !== undefined || nodejs?.requiredOutputs !== undefined
          ? {
              language: {
                nodejs: {
                  ...(nodejs.requiredInputs !== undefined
                    ? { requiredInputs: nodejs.requiredInputs as string[] }
                    : {}),
                  ...(nodejs.requiredOutputs !== undefined
                    ? { requiredOutputs: nodejs.requiredOutputs as string[] }
                    : {}),
                },
              },
            }
          : {}),
      };
    }
  }

  return sortKeys({
    name: schema.name as string,
    ...(typeof schema.pluginDownloadURL === "string"
      ? { pluginDownloadURL: schema.pluginDownloadURL }
      : {}),
    resources: outResources,
    functions: outFunctions,
    types: outTypes,
  });
}
