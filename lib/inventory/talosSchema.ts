/**
 * Checks Talos config documents (our patches, the operator's, or whatever the program
 * hands the Talos provider) against the Talos v1.13 machine-config JSON schema, as the
 * committed facts hold it (test/facts/talos-config.json, read at run time): the upstream schema with its annotations
 * removed and every validation keyword kept, so it accepts and rejects exactly what the
 * upstream file does.
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
import type { ErrorObject, ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import * as fs from "fs";
import * as path from "path";
import { findProjectRoot } from "../projectRoot";
import { compiledValidators } from "./compiledSchemas";
import { suggestion } from "./schema";

/** The committed facts this validator reads, relative to the project; `npm run facts` writes it. */
export const TALOS_CONFIG_FACTS = path.join("test", "facts", "talos-config.json");

/** The part of the committed facts file the validator reads (tools/facts/talosConfig.ts writes it). */
interface TalosConfigFacts {
  readonly schema: Record<string, unknown> & { readonly $id: string };
  readonly untypedDocument: string;
  readonly documents: Readonly<Record<string, { readonly definition: string }>>;
}

/** Validates Talos config documents. */
export interface TalosSchemaValidator {
  /** Where the schema comes from: the upstream repository, path and tag. */
  readonly origin: string;
  /** Problems with one parsed document; empty when it is valid. */
  validateDocument(doc: unknown): string[];
  /** The same problems, each with the JSON pointer of the value it is about. */
  documentErrors(doc: unknown): { pointer: string; message: string }[];
  /** Problems with every document of a (multi-document) YAML string; empty when valid. */
  validateYaml(text: string): string[];
}

let cached: TalosSchemaValidator | undefined;

/** The validator, loaded once per process (./compiledSchemas: compiled once per schema). */
export function talosSchema(): TalosSchemaValidator {
  if (!cached) {
    const file = JSON.parse(
      fs.readFileSync(path.join(findProjectRoot(), TALOS_CONFIG_FACTS), "utf8"),
    ) as { origin: string; facts: TalosConfigFacts };
    cached = compile(file.origin, file.facts);
  }
  return cached;
}

function compile(origin: string, facts: TalosConfigFacts): TalosSchemaValidator {
  const { schema } = facts;
  const definitions = [
    ...new Set([facts.untypedDocument, ...Object.values(facts.documents).map((d) => d.definition)]),
  ];
  const compiled = compiledValidators({
    name: "talos-config",
    // strictTypes is off because the upstream schema puts `additionalProperties` on some
    // definitions without `type: object`; every other strict check stays on, so an
    // unknown keyword fails to compile.
    // verbose: each error carries its parent schema, whose properties give "did you mean".
    options: { allErrors: true, strict: true, strictTypes: false, verbose: true },
    formats: "all",
    schemas: [{ key: schema.$id, schema }],
    refs: {
      root: schema.$id,
      ...Object.fromEntries(definitions.map((d, i) => [`def${i}`, `${schema.$id}#/$defs/${d}`])),
    },
  });
  const byDefinition = new Map(definitions.map((d, i) => [d, compiled[`def${i}`]]));
  const get = (name: string): ValidateFunction => {
    const fn = byDefinition.get(name);
    if (!fn) throw new Error(`test/facts/talos-config.json: no schema at #/$defs/${name}`);
    return fn;
  };
  const root = compiled.root;

  const documentErrors = (doc: unknown): { pointer: string; message: string }[] => {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      return [{ pointer: "", message: "a config document must be a mapping" }];
    }
    const kind = (doc as { kind?: unknown }).kind;
    const name =
      kind === undefined
        ? facts.untypedDocument
        : Object.hasOwn(facts.documents, String(kind))
          ? facts.documents[String(kind)].definition
          : undefined;
    if (name === undefined)
      return [{ pointer: "/kind", message: `unknown document kind ${JSON.stringify(kind)}` }];
    const byKind = get(name);
    if (!byKind(doc)) return located(name, byKind.errors);
    if (!root(doc)) return located("config.schema.json (oneOf)", root.errors);
    return [];
  };
  const validateDocument = (doc: unknown): string[] => documentErrors(doc).map((e) => e.message);

  const validateYaml = (text: string): string[] => {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.length === 0) return ["no YAML document"];
    return docs.flatMap((doc, i) => {
      const where = `document ${i + 1}`;
      if (doc.errors.length > 0) return doc.errors.map((e) => `${where}: ${e.message}`);
      return validateDocument(doc.toJS()).map((p) => `${where}: ${p}`);
    });
  };

  return { origin, validateDocument, documentErrors, validateYaml };
}

/**
 * Each error as `<definition> <pointer>: <message>`, with the pointer of the value it is
 * about (for an unknown field, the field itself).
 */
function located(
  where: string,
  errors: ErrorObject[] | null | undefined,
): { pointer: string; message: string }[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath === "" ? "/" : e.instancePath;
    const extra =
      e.keyword === "additionalProperties"
        ? String((e.params as { additionalProperty: unknown }).additionalProperty)
        : undefined;
    const known = Object.keys(
      (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
    );
    const detail =
      extra !== undefined
        ? ` (${extra})${suggestion(extra, known)}`
        : e.keyword === "enum"
          ? ` (${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)})`
          : "";
    const pointer =
      extra === undefined
        ? e.instancePath
        : `${e.instancePath}/${extra.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    return { pointer, message: `${where} ${at}: ${e.message ?? e.keyword}${detail}` };
  });
}
