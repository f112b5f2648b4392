/**
 * JSON-schema validators compiled once per schema rather than once per process. Ajv
 * compiles a schema into JavaScript; for the Talos machine-config schema that takes
 * about 0.45 s of CPU, paid by every `pulumi preview`, `pulumi up`, `npm run plan` and
 * `npm run validate`, and by each process of the test suite. Ajv can also write the
 * validators it compiled as a module of their own ("standalone code", the same
 * functions): the first process writes it under .build/validators/, named by a hash of
 * everything that decides it (the schemas, the options, the refs, Ajv's and
 * ajv-formats' versions), and later ones load it in a few tens of milliseconds.
 *
 * A module that is missing, unreadable or incomplete is compiled afresh and written
 * again; a folder that cannot be written only costs the compile. Only this module
 * writes there, and it only ever loads a file whose name its own hash produced.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import Ajv2020, { _, type Options, type ValidateFunction } from "ajv/dist/2020";
import addFormats, { type FormatName } from "ajv-formats";
import standaloneCode from "ajv/dist/standalone";
import { findProjectRoot } from "../projectRoot";

/** What to compile: schemas, the options, and the validators wanted by name. */
export interface SchemaSet {
  /** Names the module file (`<name>-<hash>.js`); letters, digits and `-`. */
  readonly name: string;
  /** Ajv's options, plain data only (they are part of the hash). */
  readonly options: Omit<Options, "code">;
  /** ajv-formats' formats to add: `all` of them, or those named. @default none */
  readonly formats?: "all" | readonly FormatName[];
  /** Each schema, under its key (a schema with an `$id` is found by it too). */
  readonly schemas: readonly { readonly key: string; readonly schema: object }[];
  /** The validators wanted: export name to a key or ref (`<key>#/$defs/<name>`). */
  readonly refs: Readonly<Record<string, string>>;
}

/** Where the modules go. @default `.build/validators` in the project */
export function validatorsDir(): string {
  return path.join(findProjectRoot(), ".build", "validators");
}

/** What decides the generated code besides the schema set itself. */
const TOOLCHAIN = JSON.stringify([
  readVersion("ajv/package.json"),
  readVersion("ajv-formats/package.json"),
  // The form of the module this file writes.
  1,
]);

function readVersion(pkg: string): string {
  return (JSON.parse(fs.readFileSync(require.resolve(pkg), "utf8")) as { version: string }).version;
}

/**
 * The validators of `set`, by export name: loaded from the module a previous process
 * wrote, else compiled here (and the module written for the next).
 *
 * @param dir where the modules are kept; tests pass their own folder.
 */
export function compiledValidators(
  set: SchemaSet,
  dir: string = validatorsDir(),
): Record<string, ValidateFunction> {
  if (!/^[A-Za-z0-9-]+$/.test(set.name)) throw new Error(`bad schema set name ${set.name}`);
  const text = JSON.stringify(set);
  // The hash must see all of it: a function or a RegExp (a custom format, a keyword)
  // would vanish from the JSON, and two sets differing only there would share a module.
  if (!isDeepStrictEqual(JSON.parse(text), set))
    throw new Error(`${set.name}: a schema set must be plain JSON data`);
  const hash = crypto
    .createHash("sha256")
    .update(TOOLCHAIN)
    .update("\0")
    .update(text)
    .digest("hex")
    .slice(0, 32);
  const file = path.join(dir, `${set.name}-${hash}.js`);
  const loaded = load(file, Object.keys(set.refs));
  if (loaded !== undefined) return loaded;

  const ajv = new Ajv2020({
    ...set.options,
    code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
  });
  if (set.formats === "all") addFormats(ajv);
  else if (set.formats !== undefined) addFormats(ajv, [...set.formats]);
  for (const { key, schema } of set.schemas) ajv.addSchema(schema, key);
  const validators: Record<string, ValidateFunction> = {};
  for (const [name, ref] of Object.entries(set.refs)) {
    const validate = ajv.getSchema(ref);
    if (validate === undefined) throw new Error(`${set.name}: no schema at ${ref}`);
    validators[name] = validate;
  }
  save(file, standaloneCode(ajv, { ...set.refs }));
  return validators;
}

/** The module's validators, when it exists, loads and exports every one wanted. */
function load(
  file: string,
  names: readonly string[],
): Record<string, ValidateFunction> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module this file wrote, named by its hash
    const mod = require(file) as Record<string, unknown>;
    if (names.every((n) => typeof mod[n] === "function"))
      return mod as Record<string, ValidateFunction>;
  } catch {
    // Unreadable or cut short: compiled again below.
  }
  delete require.cache[file];
  return undefined;
}

/** Writes aside and renames, so that another process never loads half a module. */
function save(file: string, code: string): void {
  const partial = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.partial`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(partial, code, { flag: "wx" });
    fs.renameSync(partial, file);
  } catch {
    // Only a saving: the validators compiled here serve this process.
    try {
      fs.rmSync(partial, { force: true });
    } catch {
      // Nothing was written.
    }
  }
}
