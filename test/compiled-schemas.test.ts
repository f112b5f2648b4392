/**
 * lib/inventory/compiledSchemas.ts: validators compiled once per schema. The module a
 * first process writes must validate exactly as the validators Ajv compiled in memory,
 * errors and all; a changed schema gets a module of its own; a broken module is
 * compiled again.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { compiledValidators, type SchemaSet } from "../lib/inventory/compiledSchemas";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { tempDir } from "./support/tmp";

/**
 * A folder for modules inside the project, as `.build/validators/` is: a module written
 * under the system's temp folder could not resolve the Ajv runtime it requires.
 */
const made: string[] = [];
function moduleDir(): string {
  const dir = path.join(
    PROJECT_ROOT,
    ".build",
    `validators-test-${crypto.randomBytes(6).toString("hex")}`,
  );
  made.push(dir);
  return dir;
}

/** Whether the module in `dir` was loaded (rather than the validators compiled again). */
function loadedFrom(dir: string): boolean {
  return Object.keys(require.cache).some((f) => f.startsWith(dir + path.sep));
}

/** A small schema with what the project's schemas use: $defs, a format, enum, strict shapes. */
function set(extra: Partial<SchemaSet> = {}): SchemaSet {
  return {
    name: "probe",
    options: { allErrors: true, strict: true, verbose: true },
    formats: ["ipv4", "uri"],
    schemas: [
      {
        key: "probe",
        schema: {
          $id: "https://example.invalid/probe.json",
          $defs: {
            host: {
              type: "object",
              additionalProperties: false,
              required: ["ip"],
              properties: {
                ip: { type: "string", format: "ipv4" },
                url: { type: "string", format: "uri" },
                mode: { enum: ["a", "b"] },
                cores: { type: "integer", minimum: 1 },
              },
            },
          },
          type: "object",
          properties: { hosts: { type: "array", items: { $ref: "#/$defs/host" } } },
        },
      },
    ],
    refs: { root: "probe", host: "probe#/$defs/host" },
    ...extra,
  };
}

const SAMPLES: unknown[] = [
  { hosts: [{ ip: "10.0.0.1", url: "https://x.example/", mode: "a", cores: 2 }] },
  { hosts: [{ ip: "10.0.0.300", url: "not a uri", mode: "c", cores: 0, extra: true }] },
  { hosts: [{}] },
  { hosts: "none" },
  [],
];

/** Every sample's verdict and errors, as the callers read them. */
function verdicts(validators: Record<string, (d: unknown) => boolean>): unknown[] {
  return SAMPLES.flatMap((sample) =>
    ["root", "host"].map((name) => {
      const v = validators[name] as ((d: unknown) => boolean) & { errors?: unknown };
      const ok = v(
        name === "host" ? ((sample as { hosts?: unknown[] }).hosts?.[0] ?? sample) : sample,
      );
      return { name, ok, errors: JSON.parse(JSON.stringify(v.errors ?? null)) as unknown };
    }),
  );
}

describe("compiled schema validators", () => {
  after(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes a module that validates as the compiled validators do, errors and all", () => {
    const dir = moduleDir();
    const fresh = compiledValidators(set(), dir);
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^probe-[0-9a-f]{32}\.js$/);
    assert.equal(loadedFrom(dir), false);
    const loaded = compiledValidators(set(), dir);
    assert.equal(loadedFrom(dir), true, "the second call loads the module");
    assert.notStrictEqual(loaded.root, fresh.root);
    const expected = verdicts(fresh);
    assert.deepEqual(verdicts(loaded), expected);
    // The samples do reach the errors that matter: a format, an enum, an unknown field.
    const keywords = JSON.stringify(expected);
    for (const k of ["format", "enum", "additionalProperties", "minimum", "required", "type"])
      assert.match(keywords, new RegExp(`"keyword":"${k}"`));
  });

  it("gives a changed schema or changed options a module of their own", () => {
    const dir = moduleDir();
    compiledValidators(set(), dir);
    const stricter = set({ options: { allErrors: false, strict: true, verbose: true } });
    const v = compiledValidators(stricter, dir);
    assert.equal(fs.readdirSync(dir).length, 2);
    // allErrors off: only the first error of a bad host.
    v.host({ ip: "x", mode: "c" });
    assert.equal(v.host.errors?.length, 1);
  });

  it("compiles again over a module that is cut short, and writes it whole", () => {
    const dir = moduleDir();
    compiledValidators(set(), dir);
    const [file] = fs.readdirSync(dir);
    const whole = fs.readFileSync(path.join(dir, file), "utf8");
    fs.writeFileSync(path.join(dir, file), whole.slice(0, whole.length / 2));
    const v = compiledValidators(set(), dir);
    assert.equal(loadedFrom(dir), false, "the broken module is not kept loaded");
    assert.equal(v.host({ ip: "10.0.0.1" }), true);
    assert.equal(v.host({ ip: "10.0.0.1", cores: 0 }), false);
    assert.equal(fs.readFileSync(path.join(dir, file), "utf8"), whole);
    // Whole again, it loads.
    compiledValidators(set(), dir);
    assert.equal(loadedFrom(dir), true);
  });

  it("refuses a set that is not plain JSON: what JSON leaves out could not be in the name", () => {
    const withFunction = set({
      options: { allErrors: true, strict: true, verbose: true, loadSchema: async () => ({}) },
    });
    assert.throws(() => compiledValidators(withFunction, moduleDir()), /must be plain JSON data/);
  });

  it("still validates when the folder cannot be written", () => {
    const dir = tempDir("validators");
    const blocked = path.join(dir, "file-not-folder");
    fs.writeFileSync(blocked, "");
    const v = compiledValidators(set(), blocked);
    assert.equal(v.root({ hosts: [{ ip: "10.0.0.1" }] }), true);
    assert.equal(v.root({ hosts: [{ ip: "nope" }] }), false);
  });
});
