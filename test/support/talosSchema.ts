/**
 * Checks Talos config documents (our patches, or whatever the program hands the Talos
 * provider) against the upstream Talos v1.13 machine-config JSON schema, unmodified.
 *
 * How a partial document is checked faithfully: the v1alpha1 definitions in that schema
 * declare no `required` properties at all (Talos enforces completeness in Go, after
 * merging), while every definition sets `additionalProperties: false`. So a strategic-merge
 * fragment such as `{ machine: { install: { disk } } }` is validated against
 * `v1alpha1.Config` exactly as published, nothing relaxed, and a misspelt or removed field
 * (`machine.network` in v1.13) is still an error. What the schema alone does poorly is
 * say *why*: its root is a `oneOf` over every document kind, which accepts `{}` and
 * answers a bad LinkConfig with the errors of all 44 branches. So each document is first
 * checked against the one definition its `kind` names (no `kind`: v1alpha1.Config), and
 * then against the root, to prove it matches exactly one document type.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { ErrorObject, ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { UPSTREAM_DIR } from "./upstream";

/** Environment variable that overrides where the schema is looked for. */
export const TALOS_SCHEMA_ENV = "TALOS_CONFIG_SCHEMA";

const V1ALPHA1 = "v1alpha1.Config";

/** Validates Talos config documents. */
export interface TalosSchemaValidator {
  /** The schema file in use. */
  readonly schemaPath: string;
  /** Problems with one parsed document; empty when it is valid. */
  validateDocument(doc: unknown): string[];
  /** Problems with every document of a (multi-document) YAML string; empty when valid. */
  validateYaml(text: string): string[];
}

/** The outcome of looking for the schema: a validator, or none, and where it looked. */
export interface TalosSchemaLookup {
  readonly validator?: TalosSchemaValidator;
  readonly searched: readonly string[];
}

/** Where the schema is looked for, in order: `$TALOS_CONFIG_SCHEMA`, then ../shared/upstream. */
export function talosSchemaCandidates(): string[] {
  const shared = path.join(UPSTREAM_DIR, "talos-config.schema.json");
  const fromEnv = process.env[TALOS_SCHEMA_ENV];
  return fromEnv ? [path.resolve(fromEnv), shared] : [shared];
}

let cached: TalosSchemaLookup | undefined;

/** Finds and compiles the schema once per process (compiling takes ~0.2 s). */
export function loadTalosSchema(): TalosSchemaLookup {
  if (cached) return cached;
  const searched = talosSchemaCandidates();
  const found = searched.find((p) => fs.existsSync(p));
  cached = found ? { validator: compile(found), searched } : { searched };
  return cached;
}

/**
 * The validator, or a skipped test: logs that the upstream schema was not found and where
 * it looked, then calls `ctx.skip()`. Call it from a `before` hook to skip a whole suite.
 */
export function talosSchemaOrSkip(ctx: Mocha.Context): TalosSchemaValidator {
  const { validator, searched } = loadTalosSchema();
  if (validator) return validator;
  console.warn(
    `      SKIP: the upstream Talos config schema was not found; looked in: ` +
      `${searched.join(", ")} (set ${TALOS_SCHEMA_ENV} to its path)`,
  );
  return ctx.skip();
}

function compile(schemaPath: string): TalosSchemaValidator {
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as {
    $id: string;
    $defs: Record<string, { properties?: { kind?: { enum?: unknown[] } } }>;
  };
  // strictTypes is off because the upstream schema puts `additionalProperties` on some
  // definitions without `type: object`; every other strict check stays on, and the two
  // annotation keywords the schema uses are declared so that any other unknown keyword
  // still fails to compile.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword("markdownDescription");
  ajv.addKeyword("x-intellij-html-description");
  ajv.addSchema(schema);

  const get = (ref: string): ValidateFunction => {
    const fn = ajv.getSchema(ref);
    if (!fn) throw new Error(`${schemaPath}: no schema at ${ref}`);
    return fn;
  };
  const root = get(schema.$id);
  const definitionOfKind = new Map<string, string>();
  for (const [name, def] of Object.entries(schema.$defs)) {
    for (const kind of def.properties?.kind?.enum ?? []) {
      if (typeof kind === "string") definitionOfKind.set(kind, name);
    }
  }

  const validateDocument = (doc: unknown): string[] => {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      return ["a config document must be a mapping"];
    }
    const kind = (doc as { kind?: unknown }).kind;
    const name = kind === undefined ? V1ALPHA1 : definitionOfKind.get(String(kind));
    if (name === undefined) return [`unknown document kind ${JSON.stringify(kind)}`];
    const byKind = get(`${schema.$id}#/$defs/${name}`);
    if (!byKind(doc)) return describe(name, byKind.errors);
    if (!root(doc)) return describe("config.schema.json (oneOf)", root.errors);
    return [];
  };

  const validateYaml = (text: string): string[] => {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.length === 0) return ["no YAML document"];
    return docs.flatMap((doc, i) => {
      const where = `document ${i + 1}`;
      if (doc.errors.length > 0) return doc.errors.map((e) => `${where}: ${e.message}`);
      return validateDocument(doc.toJS()).map((p) => `${where}: ${p}`);
    });
  };

  return { schemaPath, validateDocument, validateYaml };
}

function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath === "" ? "/" : e.instancePath;
    const detail =
      e.keyword === "additionalProperties"
        ? ` (${String((e.params as { additionalProperty: unknown }).additionalProperty)})`
        : e.keyword === "enum"
          ? ` (${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)})`
          : "";
    return `${where} ${at}: ${e.message ?? e.keyword}${detail}`;
  });
}
