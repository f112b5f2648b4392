/**
 * Tests for the local Talos SDK in sdks/talos (installed as `@pulumiverse/talos`).
 *
 * 1. Conformance: every resource and invoke the SDK exports is checked against the
 *    upstream provider schema (pulumi-talos v0.8.1, as test/facts/talos-provider.json
 *    holds it): tokens, input and output names, required inputs (read from the .d.ts
 *    with the TypeScript compiler API), nested types, and the secret rule. "Our side" is the metadata object each class and
 *    function exposes, which is the same object the runtime builds requests from.
 * 2. Runtime: each resource and invoke runs under `pulumi.runtime.setMocks`, and the
 *    test records what the mock monitor receives.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type {
  ReadResourceRequest,
  RegisterResourceRequest,
  ResourceInvokeRequest,
} from "@pulumi/pulumi/proto/resource_pb";
import * as talos from "../sdks/talos";
import type { SdkMetadata } from "../sdks/talos";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { readFacts } from "../tools/facts";

const SDK_DIR = path.join(PROJECT_ROOT, "sdks", "talos");

const VERSION = "0.8.1";
const PLUGIN_URL = "github://api.github.com/pulumiverse";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// ---------------------------------------------------------------------------
// The SDK's own description of itself
// ---------------------------------------------------------------------------

const MODULES = ["client", "cluster", "imagefactory", "machine"] as const;

interface SdkEntry {
  /** `machine.Secrets`, `cluster.getHealth + getHealthOutput`, ... */
  readonly label: string;
  readonly meta: SdkMetadata;
  /** Export names carrying this metadata (a class, or a Promise/Output function pair). */
  readonly exports: string[];
  /** The .d.ts that declares it. */
  readonly declFile: string;
  /** Class name (resource) or Promise-form function name (invoke). */
  readonly name: string;
}

/** Every exported class or function that carries metadata, grouped by token. */
function sdkEntries(): SdkEntry[] {
  const byToken = new Map<string, SdkEntry>();
  for (const mod of MODULES) {
    const ns = talos[mod] as unknown as Record<string, { metadata?: SdkMetadata }>;
    for (const [exportName, value] of Object.entries(ns)) {
      const meta = value.metadata;
      if (!meta) continue;
      const existing = byToken.get(meta.token);
      if (existing) {
        assert.strictEqual(existing.meta, meta, `${mod}.${exportName} has its own metadata copy`);
        existing.exports.push(exportName);
        continue;
      }
      const [, modulePath, member] = meta.token.split(":");
      const [schemaModule, file] = modulePath.split("/");
      assert.strictEqual(schemaModule.toLowerCase(), mod, `${meta.token} exported from ${mod}`);
      byToken.set(meta.token, {
        label: `${mod}.${member}`,
        meta,
        exports: [exportName],
        declFile: path.join(SDK_DIR, mod, `${file}.d.ts`),
        name: member,
      });
    }
  }
  return [...byToken.values()].sort((a, b) => a.label.localeCompare(b.label));
}

// ---------------------------------------------------------------------------
// The upstream schema
// ---------------------------------------------------------------------------

interface SchemaProp {
  type?: string;
  $ref?: string;
  items?: SchemaProp;
  additionalProperties?: SchemaProp;
  secret?: boolean;
}
type SchemaProps = Record<string, SchemaProp>;
interface SchemaType {
  properties?: SchemaProps;
  required?: string[];
  language?: { nodejs?: { requiredInputs?: string[]; requiredOutputs?: string[] } };
}
interface SchemaResource {
  properties?: SchemaProps;
  required?: string[];
  inputProperties?: SchemaProps;
  requiredInputs?: string[];
  stateInputs?: { properties?: SchemaProps };
}
interface SchemaFunction {
  inputs?: { properties?: SchemaProps; required?: string[] };
  outputs?: { properties?: SchemaProps; required?: string[] };
}
interface TalosSchema {
  pluginDownloadURL?: string;
  resources: Record<string, SchemaResource>;
  functions: Record<string, SchemaFunction>;
  types: Record<string, SchemaType>;
}

/** The provider schema's structure, from the committed facts. */
function talosProviderSchema(): TalosSchema {
  return readFacts<TalosSchema>("talos-provider").facts;
}

/**
 * The type a `$ref` points at. Accepts `#types/...` as well as `#/types/...`: the
 * upstream `machine/generated:*` types refer to each other without the slash. A
 * reference that resolves to nothing fails the test rather than counting as "no
 * secrets inside".
 */
function refType(schema: TalosSchema, ref: string): [string, SchemaType] {
  const m = /^#\/?types\/(.+)$/.exec(ref);
  assert.ok(m, `unrecognised $ref ${ref}`);
  const token = decodeURIComponent(m[1]);
  const type = schema.types[token];
  assert.ok(type, `$ref ${ref} names no type in the schema`);
  return [token, type];
}

/** True if the property is flagged secret or its type holds a secret field at any depth. */
function holdsSecret(
  schema: TalosSchema,
  prop: SchemaProp,
  seen: ReadonlySet<string> = new Set(),
): boolean {
  if (prop.secret) return true;
  for (const sub of [prop.items, prop.additionalProperties]) {
    if (sub && holdsSecret(schema, sub, seen)) return true;
  }
  if (!prop.$ref) return false;
  const [token, type] = refType(schema, prop.$ref);
  if (seen.has(token)) return false;
  const next = new Set([...seen, token]);
  return Object.values(type.properties ?? {}).some((p) => holdsSecret(schema, p, next));
}

function secretNames(schema: TalosSchema, props: SchemaProps, names: readonly string[]): string[] {
  return names.filter((n) => props[n] && holdsSecret(schema, props[n])).sort();
}

function flaggedNames(props: SchemaProps): string[] {
  return Object.keys(props)
    .filter((n) => props[n].secret)
    .sort();
}

// ---------------------------------------------------------------------------
// The declarations, read with the TypeScript compiler API
// ---------------------------------------------------------------------------

interface DeclProp {
  readonly optional: boolean;
  readonly type: string;
}
interface DeclFile {
  /** Interfaces by name (`Name`, or `namespace.Name` inside a namespace). */
  readonly interfaces: Map<string, Map<string, DeclProp>>;
  /** Instance properties of each class. */
  readonly classes: Map<string, Map<string, DeclProp>>;
  /** Whether each class's constructor takes its args as optional. */
  readonly ctorArgsOptional: Map<string, boolean>;
}

const declCache = new Map<string, DeclFile>();

function readDecl(file: string): DeclFile {
  const cached = declCache.get(file);
  if (cached) return cached;
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: DeclFile = { interfaces: new Map(), classes: new Map(), ctorArgsOptional: new Map() };
  const propsOf = (members: ts.NodeArray<ts.TypeElement | ts.ClassElement>) => {
    const props = new Map<string, DeclProp>();
    for (const m of members) {
      if (!ts.isPropertySignature(m) && !ts.isPropertyDeclaration(m)) continue;
      const isStatic = ts
        .getModifiers(m as ts.HasModifiers)
        ?.some((k) => k.kind === ts.SyntaxKind.StaticKeyword);
      if (isStatic) continue;
      props.set(m.name.getText(sf), {
        optional: !!m.questionToken,
        type: m.type?.getText(sf) ?? "",
      });
    }
    return props;
  };
  const visit = (statements: ts.NodeArray<ts.Statement>, prefix: string) => {
    for (const st of statements) {
      if (ts.isInterfaceDeclaration(st)) {
        out.interfaces.set(prefix + st.name.text, propsOf(st.members));
      } else if (ts.isClassDeclaration(st) && st.name) {
        out.classes.set(st.name.text, propsOf(st.members));
        const ctor = st.members.find(ts.isConstructorDeclaration);
        if (ctor) out.ctorArgsOptional.set(st.name.text, !!ctor.parameters[1]?.questionToken);
      } else if (ts.isModuleDeclaration(st) && st.body && ts.isModuleBlock(st.body)) {
        visit(st.body.statements, `${prefix}${st.name.getText(sf)}.`);
      }
    }
  };
  visit(sf.statements, "");
  declCache.set(file, out);
  return out;
}

function mustGet<K, V>(map: Map<K, V>, key: K, what: string): V {
  const v = map.get(key);
  assert.ok(v !== undefined, `${what} not found`);
  return v;
}

/**
 * Which schema type each nested interface in types/input.d.ts and types/output.d.ts
 * stands for. Every interface in those files must be listed, so none escapes the
 * checks; `...Args` variants map to the same type as their plain twin.
 */
const NESTED: Record<"input" | "output", Record<string, string>> = {
  input: {
    ...twins("machine.ClientConfiguration", "talos:machine/generated:ClientConfiguration"),
    ...twins("machine.MachineSecrets", "talos:machine/generated:MachineSecrets"),
    ...twins("machine.Certificates", "talos:machine/generated:Certificates"),
    ...twins("machine.Certificate", "talos:machine/generated:Certificate"),
    ...twins("machine.Key", "talos:machine/generated:Key"),
    ...twins("machine.Cluster", "talos:machine/generated:Cluster"),
    ...twins("machine.KubernetesSecrets", "talos:machine/generated:KubernetesSecrets"),
    ...twins("machine.TrustdInfo", "talos:machine/generated:TrustdInfo"),
    "machine.BootstrapClientConfigurationWo":
      "talos:machine/BootstrapClientConfigurationWo:BootstrapClientConfigurationWo",
    "machine.BootstrapTimeouts": "talos:machine/BootstrapTimeouts:BootstrapTimeouts",
    "machine.ConfigurationApplyClientConfigurationWo":
      "talos:machine/ConfigurationApplyClientConfigurationWo:ConfigurationApplyClientConfigurationWo",
    "machine.ConfigurationApplyOnDestroy":
      "talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy",
    "machine.Timeout": "talos:machine/Timeout:Timeout",
    "cluster.KubeconfigClientConfiguration":
      "talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration",
    "cluster.KubeconfigKubernetesClientConfiguration":
      "talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration",
    "cluster.KubeconfigTimeouts": "talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts",
    ...twins(
      "cluster.GetHealthClientConfiguration",
      "talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration",
    ),
    ...twins("cluster.GetHealthTimeouts", "talos:cluster/getHealthTimeouts:getHealthTimeouts"),
    ...twins(
      "client.GetConfigurationClientConfiguration",
      "talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration",
    ),
  },
  output: {
    "machine.ClientConfiguration": "talos:machine/generated:ClientConfiguration",
    "machine.MachineSecrets": "talos:machine/generated:MachineSecrets",
    "machine.Certificates": "talos:machine/generated:Certificates",
    "machine.Certificate": "talos:machine/generated:Certificate",
    "machine.Key": "talos:machine/generated:Key",
    "machine.Cluster": "talos:machine/generated:Cluster",
    "machine.KubernetesSecrets": "talos:machine/generated:KubernetesSecrets",
    "machine.TrustdInfo": "talos:machine/generated:TrustdInfo",
    "machine.BootstrapClientConfigurationWo":
      "talos:machine/BootstrapClientConfigurationWo:BootstrapClientConfigurationWo",
    "machine.BootstrapTimeouts": "talos:machine/BootstrapTimeouts:BootstrapTimeouts",
    "machine.ConfigurationApplyClientConfigurationWo":
      "talos:machine/ConfigurationApplyClientConfigurationWo:ConfigurationApplyClientConfigurationWo",
    "machine.ConfigurationApplyOnDestroy":
      "talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy",
    "machine.Timeout": "talos:machine/Timeout:Timeout",
    "cluster.KubeconfigClientConfiguration":
      "talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration",
    "cluster.KubeconfigKubernetesClientConfiguration":
      "talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration",
    "cluster.KubeconfigTimeouts": "talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts",
    "cluster.GetHealthClientConfiguration":
      "talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration",
    "cluster.GetHealthTimeouts": "talos:cluster/getHealthTimeouts:getHealthTimeouts",
    "client.GetConfigurationClientConfiguration":
      "talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration",
    "imagefactory.GetUrlsUrls": "talos:imageFactory/getUrlsUrls:getUrlsUrls",
  },
};

function twins(name: string, token: string): Record<string, string> {
  return { [name]: token, [`${name}Args`]: token };
}

type Side = keyof typeof NESTED;

/**
 * Problems with one declared property's type text against its schema property: an
 * object reference must name an interface mapped to that type (on the same side),
 * an array must be an array, a primitive must be that primitive.
 */
function typeProblems(schema: TalosSchema, prop: SchemaProp, text: string, side: Side): string[] {
  if (prop.$ref) {
    const [token] = refType(schema, prop.$ref);
    const names = Object.entries(NESTED[side])
      .filter(([, t]) => t === token)
      .map(([k]) => k.split(".").pop()!);
    const ok = names.some((n) => new RegExp(`\\b${n}\\b`).test(text));
    return ok ? [] : [`type \`${text}\` names none of [${names.join(", ")}] for ${token}`];
  }
  if (prop.type === "array") {
    const inner = prop.items ? typeProblems(schema, prop.items, text, side) : [];
    return text.includes("[]") ? inner : [`type \`${text}\` is not an array`, ...inner];
  }
  const primitive = prop.type === "integer" ? "number" : prop.type;
  if (primitive && !new RegExp(`\\b${primitive}\\b`).test(text)) {
    return [`type \`${text}\` is not ${primitive}`];
  }
  return [];
}

/**
 * Compares a declared interface (or class) with a schema property set: same names,
 * optional exactly when not required, matching types.
 */
function compareDecl(
  schema: TalosSchema,
  what: string,
  decl: Map<string, DeclProp>,
  props: SchemaProps,
  required: readonly string[] | "none",
  side: Side,
  /** For classes: optional outputs are `T | undefined` rather than `?`. */
  undefinedMeansOptional = false,
): string[] {
  const problems: string[] = [];
  for (const [name, d] of decl) {
    const p = props[name];
    if (!p) {
      problems.push(`${what}.${name} is not in the schema`);
      continue;
    }
    const optional = undefinedMeansOptional ? /\|\s*undefined\b/.test(d.type) : d.optional;
    const shouldBeOptional = required === "none" ? true : !required.includes(name);
    if (optional !== shouldBeOptional) {
      problems.push(
        `${what}.${name} is ${optional ? "optional" : "required"}; schema says ${shouldBeOptional ? "optional" : "required"}`,
      );
    }
    problems.push(...typeProblems(schema, p, d.type, side).map((m) => `${what}.${name}: ${m}`));
  }
  return problems;
}

function sorted(xs: readonly string[]): string[] {
  return [...xs].sort();
}

describe("talos SDK: package wiring", function () {
  it("resolves @pulumiverse/talos to sdks/talos, sharing the project's @pulumi/pulumi", function () {
    const resolved = fs.realpathSync(require.resolve("@pulumiverse/talos"));
    if (path.dirname(resolved) !== fs.realpathSync(SDK_DIR)) {
      console.log(`      SKIPPED: @pulumiverse/talos resolves to ${resolved}, not sdks/talos`);
      this.skip();
    }
    const fromSdk = require.resolve("@pulumi/pulumi", { paths: [SDK_DIR] });
    assert.strictEqual(
      fromSdk,
      require.resolve("@pulumi/pulumi"),
      "the SDK must not load its own @pulumi/pulumi",
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(SDK_DIR, "package.json"), "utf8"));
    assert.deepStrictEqual([pkg.name, pkg.version], ["@pulumiverse/talos", VERSION]);
    assert.deepStrictEqual(pkg.pulumi, {
      resource: true,
      name: "talos",
      version: VERSION,
      server: PLUGIN_URL,
    });
    assert.strictEqual(talosProviderSchema().pluginDownloadURL, PLUGIN_URL);
  });
});

// ---------------------------------------------------------------------------
// 1. Conformance
// ---------------------------------------------------------------------------

describe("talos SDK: conformance with the upstream provider schema", function () {
  let schema: TalosSchema;
  const entries = sdkEntries();
  const resources = entries.filter((e) => e.meta.kind === "resource");
  const invokes = entries.filter((e) => e.meta.kind === "invoke");

  before(function () {
    schema = talosProviderSchema();
  });

  it("exports the expected subset, each declared in its own .d.ts", function () {
    assert.deepStrictEqual(
      entries.map((e) => `${e.label}: ${e.exports.join(" + ")}`),
      [
        "client.getConfiguration: getConfiguration + getConfigurationOutput",
        "cluster.getHealth: getHealth + getHealthOutput",
        "cluster.Kubeconfig: Kubeconfig",
        "imagefactory.getUrls: getUrls + getUrlsOutput",
        "imagefactory.Schematic: Schematic",
        "machine.Bootstrap: Bootstrap",
        "machine.ConfigurationApply: ConfigurationApply",
        "machine.getConfiguration: getConfiguration + getConfigurationOutput",
        "machine.Secrets: Secrets",
      ],
    );
    for (const e of entries) assert.ok(fs.existsSync(e.declFile), `${e.declFile} is missing`);
  });

  describe("resources", function () {
    for (const e of resources) {
      describe(e.label, function () {
        let res: SchemaResource;
        before(function () {
          res = schema.resources[e.meta.token];
          assert.ok(res, `token ${e.meta.token} is not a resource in the schema`);
        });

        it("accepts only schema inputs, and all of them", function () {
          const schemaInputs = Object.keys(res.inputProperties ?? {});
          assert.deepStrictEqual(
            e.meta.inputs.filter((n) => !schemaInputs.includes(n)),
            [],
            "inputs unknown to the schema",
          );
          assert.deepStrictEqual(
            sorted(e.meta.inputs),
            sorted(schemaInputs),
            "schema inputs we do not accept",
          );
        });

        it("requires exactly the schema-required inputs, at run time and in the Args type", function () {
          assert.deepStrictEqual(sorted(e.meta.requiredInputs), sorted(res.requiredInputs ?? []));
          const decl = readDecl(e.declFile);
          const args = mustGet(decl.interfaces, `${e.name}Args`, `${e.name}Args in ${e.declFile}`);
          assert.deepStrictEqual(
            sorted([...args.keys()]),
            sorted(e.meta.inputs),
            "Args names vs metadata",
          );
          assert.deepStrictEqual(
            compareDecl(
              schema,
              `${e.name}Args`,
              args,
              res.inputProperties ?? {},
              res.requiredInputs ?? [],
              "input",
            ),
            [],
          );
          assert.strictEqual(
            mustGet(decl.ctorArgsOptional, e.name, `constructor of ${e.name}`),
            (res.requiredInputs ?? []).length === 0,
            "the args parameter is optional exactly when nothing is required",
          );
        });

        it("exposes only schema outputs, typed as the schema says", function () {
          const schemaOutputs = Object.keys(res.properties ?? {});
          assert.deepStrictEqual(sorted(e.meta.outputs), sorted(schemaOutputs));
          const decl = readDecl(e.declFile);
          const cls = mustGet(decl.classes, e.name, `class ${e.name}`);
          assert.deepStrictEqual(
            sorted([...cls.keys()]),
            sorted(e.meta.outputs),
            "class properties vs metadata",
          );
          assert.deepStrictEqual(
            compareDecl(
              schema,
              e.name,
              cls,
              res.properties ?? {},
              res.required ?? [],
              "output",
              true,
            ),
            [],
          );
          const state = mustGet(decl.interfaces, `${e.name}State`, `${e.name}State`);
          assert.deepStrictEqual(
            sorted([...state.keys()]),
            sorted(e.meta.outputs),
            "State names vs metadata",
          );
          assert.deepStrictEqual(
            compareDecl(
              schema,
              `${e.name}State`,
              state,
              res.stateInputs?.properties ?? {},
              "none",
              "input",
            ),
            [],
          );
        });

        it("marks secret exactly the flagged properties and those holding secret fields", function () {
          const inputs = res.inputProperties ?? {};
          const outputs = res.properties ?? {};
          for (const n of flaggedNames(inputs))
            assert.ok(e.meta.secretInputs.includes(n), `input ${n} is flagged secret`);
          for (const n of flaggedNames(outputs)) {
            assert.ok(e.meta.secretOutputs.includes(n), `output ${n} is flagged secret`);
          }
          assert.deepStrictEqual(
            sorted(e.meta.secretInputs),
            secretNames(schema, inputs, e.meta.inputs),
            "secret inputs",
          );
          assert.deepStrictEqual(
            sorted(e.meta.secretOutputs),
            secretNames(schema, outputs, e.meta.outputs),
            "secret outputs",
          );
        });
      });
    }
  });

  describe("invokes", function () {
    for (const e of invokes) {
      describe(e.label, function () {
        let fn: SchemaFunction;
        const Name = e.name.charAt(0).toUpperCase() + e.name.slice(1);
        before(function () {
          fn = schema.functions[e.meta.token];
          assert.ok(fn, `token ${e.meta.token} is not a function in the schema`);
        });

        it("has a Promise and an Output form sharing one metadata object", function () {
          assert.deepStrictEqual(sorted(e.exports), sorted([e.name, `${e.name}Output`]));
          const mod = talos[e.label.split(".")[0] as (typeof MODULES)[number]] as unknown as Record<
            string,
            { metadata?: SdkMetadata }
          >;
          assert.strictEqual(mod[e.name].metadata, e.meta);
          assert.strictEqual(mod[`${e.name}Output`].metadata, e.meta);
        });

        it("accepts only schema inputs, and all of them", function () {
          const schemaInputs = Object.keys(fn.inputs?.properties ?? {});
          assert.deepStrictEqual(
            e.meta.inputs.filter((n) => !schemaInputs.includes(n)),
            [],
          );
          assert.deepStrictEqual(sorted(e.meta.inputs), sorted(schemaInputs));
        });

        it("requires exactly the schema-required inputs, at run time and in both Args types", function () {
          const required = fn.inputs?.required ?? [];
          assert.deepStrictEqual(sorted(e.meta.requiredInputs), sorted(required));
          const decl = readDecl(e.declFile);
          for (const iface of [`${Name}Args`, `${Name}OutputArgs`]) {
            const args = mustGet(decl.interfaces, iface, `${iface} in ${e.declFile}`);
            assert.deepStrictEqual(
              sorted([...args.keys()]),
              sorted(e.meta.inputs),
              `${iface} names vs metadata`,
            );
            assert.deepStrictEqual(
              compareDecl(schema, iface, args, fn.inputs?.properties ?? {}, required, "input"),
              [],
            );
          }
        });

        it("returns only schema outputs, typed as the schema says", function () {
          const outputs = fn.outputs?.properties ?? {};
          assert.deepStrictEqual(sorted(e.meta.outputs), sorted(Object.keys(outputs)));
          const result = mustGet(readDecl(e.declFile).interfaces, `${Name}Result`, `${Name}Result`);
          assert.deepStrictEqual(
            sorted([...result.keys()]),
            sorted(e.meta.outputs),
            "Result names vs metadata",
          );
          assert.deepStrictEqual(
            compareDecl(
              schema,
              `${Name}Result`,
              result,
              outputs,
              fn.outputs?.required ?? [],
              "output",
            ),
            [],
          );
        });

        it("marks secret exactly the flagged properties and those holding secret fields", function () {
          const inputs = fn.inputs?.properties ?? {};
          const outputs = fn.outputs?.properties ?? {};
          for (const n of flaggedNames(inputs))
            assert.ok(e.meta.secretInputs.includes(n), `input ${n} is flagged secret`);
          for (const n of flaggedNames(outputs)) {
            assert.ok(e.meta.secretOutputs.includes(n), `output ${n} is flagged secret`);
          }
          assert.deepStrictEqual(
            sorted(e.meta.secretInputs),
            secretNames(schema, inputs, e.meta.inputs),
            "secret inputs",
          );
          assert.deepStrictEqual(
            sorted(e.meta.secretOutputs),
            secretNames(schema, outputs, e.meta.outputs),
            "secret outputs",
          );
        });
      });
    }
  });

  describe("nested types", function () {
    for (const side of ["input", "output"] as const) {
      it(`types/${side}.d.ts matches the schema types it stands for`, function () {
        const decl = readDecl(path.join(SDK_DIR, "types", `${side}.d.ts`));
        assert.deepStrictEqual(
          sorted([...decl.interfaces.keys()]),
          sorted(Object.keys(NESTED[side])),
        );
        const problems: string[] = [];
        for (const [name, token] of Object.entries(NESTED[side])) {
          const type = schema.types[token];
          if (!type) {
            problems.push(`${name}: ${token} is not a schema type`);
            continue;
          }
          const nodejs = type.language?.nodejs;
          const required =
            (side === "input" ? nodejs?.requiredInputs : nodejs?.requiredOutputs) ??
            type.required ??
            [];
          const props = mustGet(decl.interfaces, name, name);
          const missing = Object.keys(type.properties ?? {}).filter((p) => !props.has(p));
          problems.push(...missing.map((p) => `${name} lacks ${p}`));
          problems.push(...compareDecl(schema, name, props, type.properties ?? {}, required, side));
        }
        assert.deepStrictEqual(problems, []);
      });
    }
  });
});

// ---------------------------------------------------------------------------
// 2. Runtime, under mocks
// ---------------------------------------------------------------------------

type Callback = (err: unknown, resp: unknown) => void;
interface MonitorLike {
  registerResource(req: RegisterResourceRequest, cb: Callback): void;
  readResource(req: ReadResourceRequest, cb: Callback): void;
  invoke(req: ResourceInvokeRequest, cb: Callback): void;
}

/** How a secret input looks on the wire. */
function wireSecret(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

const CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm1vY2stY2EK";
const CRT = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm1vY2stY3J0Cg==";
const KEY = "LS0tLS1CRUdJTiBFRDI1NTE5IFBSSVZBVEUgS0VZLS0tLS0KbW9jawo=";
const CLIENT = { caCertificate: CA, clientCertificate: CRT, clientKey: KEY };
const MACHINE_SECRETS = {
  certs: {
    etcd: { cert: CRT, key: KEY },
    k8s: { cert: CRT, key: KEY },
    k8sAggregator: { cert: CRT, key: KEY },
    k8sServiceaccount: { key: KEY },
    os: { cert: CRT, key: KEY },
  },
  cluster: { id: "mock-cluster-id", secret: "mock-cluster-secret" },
  secrets: {
    bootstrapToken: "abcdef.0123456789abcdef",
    secretboxEncryptionSecret: "mock-secretbox",
  },
  trustdinfo: { token: "mock.trustd" },
};
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";
const SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

/** Provider behaviour: echo the inputs and fill in what the real provider computes. */
const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = args.inputs as Record<string, unknown>;
    switch (args.type) {
      case "talos:machine/secrets:Secrets":
        return {
          id: "machine_secrets",
          state: {
            ...inputs,
            clientConfiguration: CLIENT,
            machineSecrets: MACHINE_SECRETS,
            talosVersion: "v1.13",
          },
        };
      case "talos:machine/configurationApply:ConfigurationApply":
        return {
          id: "machine_configuration_apply",
          state: {
            ...inputs,
            applyMode: inputs.applyMode ?? "auto",
            endpoint: inputs.endpoint ?? inputs.node,
            machineConfiguration: "version: v1alpha1\n",
            machineConfigurationHash: "0".repeat(64),
            resolvedApplyMode: "auto",
          },
        };
      case "talos:machine/bootstrap:Bootstrap":
        return {
          id: "machine_bootstrap",
          state: { ...inputs, endpoint: inputs.endpoint ?? inputs.node },
        };
      case "talos:cluster/kubeconfig:Kubeconfig":
        return {
          id: "cluster_kubeconfig",
          state: {
            ...inputs,
            certificateRenewalDuration: "720h",
            endpoint: inputs.endpoint ?? inputs.node,
            kubeconfigRaw: KUBECONFIG,
            kubernetesClientConfiguration: { ...CLIENT, host: "https://10.0.0.10:6443" },
          },
        };
      case "talos:imageFactory/schematic:Schematic":
        return { id: SCHEMATIC_ID, state: { ...inputs } };
      default:
        throw new Error(`unexpected resource type ${args.type}`);
    }
  },
  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    switch (args.token) {
      case "talos:machine/getConfiguration:getConfiguration":
        return {
          ...inputs,
          id: "c",
          machineConfiguration: "version: v1alpha1\nmachine:\n  type: worker\n",
        };
      case "talos:client/getConfiguration:getConfiguration":
        return { ...inputs, id: "c", talosConfig: "context: c\ncontexts: {}\n" };
      case "talos:cluster/getHealth:getHealth":
        return { ...inputs, id: "c" };
      case "talos:imageFactory/getUrls:getUrls":
        return {
          ...inputs,
          architecture: inputs.architecture ?? "amd64",
          id: "urls",
          urls: {
            diskImage: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64.raw.xz`,
            diskImageSecureboot: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64-secureboot.raw.xz`,
            initramfs: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/initramfs-amd64.xz`,
            installer: `factory.talos.dev/nocloud-installer/${SCHEMATIC_ID}:v1.13.0`,
            installerSecureboot: `factory.talos.dev/nocloud-installer-secureboot/${SCHEMATIC_ID}:v1.13.0`,
            iso: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64.iso`,
            isoSecureboot: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64-secureboot.iso`,
            kernel: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/kernel-amd64`,
            kernelCommandLine: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/cmdline-nocloud-amd64`,
            pxe: `https://pxe.factory.talos.dev/pxe/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64`,
            uki: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.0/nocloud-amd64-uki.efi`,
          },
        };
      default:
        throw new Error(`unexpected invoke ${args.token}`);
    }
  },
};

/** Resolves with an Output's value once the mock engine has produced it. */
function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("talos SDK: what the engine receives (mocks)", function () {
  const registered: RegisterResourceRequest[] = [];
  const reads: ReadResourceRequest[] = [];
  const invoked: ResourceInvokeRequest[] = [];

  before(async function () {
    await pulumi.runtime.setMocks(mocks, "em-infra", "test", false);
    const monitor = settings.getMonitor() as unknown as MonitorLike;
    const registerResource = monitor.registerResource.bind(monitor);
    const readResource = monitor.readResource.bind(monitor);
    const invoke = monitor.invoke.bind(monitor);
    monitor.registerResource = (req, cb) => {
      registered.push(req);
      registerResource(req, cb);
    };
    monitor.readResource = (req, cb) => {
      reads.push(req);
      readResource(req, cb);
    };
    monitor.invoke = (req, cb) => {
      invoked.push(req);
      invoke(req, cb);
    };
  });

  function registration(type: string, name: string): RegisterResourceRequest {
    const found = registered.filter((r) => r.getType() === type && r.getName() === name);
    assert.strictEqual(found.length, 1, `registrations of ${type} ${name}`);
    return found[0];
  }

  function assertPluginRequested(req: {
    getVersion(): string;
    getPlugindownloadurl(): string;
  }): void {
    assert.strictEqual(req.getVersion(), VERSION);
    assert.strictEqual(req.getPlugindownloadurl(), PLUGIN_URL);
  }

  describe("resources", function () {
    it("machine.Secrets sends talosVersion and keeps both bundles secret", async function () {
      const s = new talos.machine.Secrets("secrets", { talosVersion: "v1.13" });
      assert.deepStrictEqual((await valueOf(s.machineSecrets)).certs.os, { cert: CRT, key: KEY });
      const req = registration("talos:machine/secrets:Secrets", "secrets");
      assert.deepStrictEqual(req.getObject()?.toJavaScript(), { talosVersion: "v1.13" });
      assert.deepStrictEqual(sorted(req.getAdditionalsecretoutputsList()), [
        "clientConfiguration",
        "machineSecrets",
      ]);
      assertPluginRequested(req);
      assert.ok(talos.machine.Secrets.isInstance(s));
      assert.ok(!talos.machine.Bootstrap.isInstance(s));
    });

    it("machine.ConfigurationApply wraps the credentials and the configuration as secrets", async function () {
      const a = new talos.machine.ConfigurationApply("apply-cp1", {
        node: "10.0.0.11",
        clientConfiguration: CLIENT,
        machineConfigurationInput: "version: v1alpha1\n",
        configPatches: ["machine:\n  network:\n    hostname: cp1\n"],
        applyMode: "staged_if_needing_reboot",
        onDestroy: { reset: true, graceful: false },
      });
      assert.strictEqual(await valueOf(a.resolvedApplyMode), "auto");
      const req = registration("talos:machine/configurationApply:ConfigurationApply", "apply-cp1");
      assert.deepStrictEqual(req.getObject()?.toJavaScript(), {
        node: "10.0.0.11",
        clientConfiguration: wireSecret(CLIENT),
        machineConfigurationInput: wireSecret("version: v1alpha1\n"),
        configPatches: ["machine:\n  network:\n    hostname: cp1\n"],
        applyMode: "staged_if_needing_reboot",
        onDestroy: { reset: true, graceful: false },
      });
      assert.deepStrictEqual(sorted(req.getAdditionalsecretoutputsList()), [
        "clientConfiguration",
        "clientConfigurationWo",
        "machineConfiguration",
        "machineConfigurationInput",
        "machineConfigurationInputWo",
      ]);
      assertPluginRequested(req);
    });

    it("machine.Bootstrap wraps the credentials and keeps caller options", async function () {
      const b = new talos.machine.Bootstrap(
        "bootstrap",
        { node: "10.0.0.11", clientConfiguration: CLIENT },
        { additionalSecretOutputs: ["endpoint"], ignoreChanges: ["timeouts"] },
      );
      assert.strictEqual(await valueOf(b.endpoint), "10.0.0.11");
      const req = registration("talos:machine/bootstrap:Bootstrap", "bootstrap");
      assert.deepStrictEqual(req.getObject()?.toJavaScript(), {
        node: "10.0.0.11",
        clientConfiguration: wireSecret(CLIENT),
      });
      assert.deepStrictEqual(sorted(req.getAdditionalsecretoutputsList()), [
        "clientConfiguration",
        "clientConfigurationWo",
        "endpoint",
      ]);
      assert.deepStrictEqual(req.getIgnorechangesList(), ["timeouts"]);
      assertPluginRequested(req);
    });

    it("cluster.Kubeconfig wraps the credentials and keeps the kubeconfig secret", async function () {
      const k = new talos.cluster.Kubeconfig("kubeconfig", {
        node: "10.0.0.11",
        clientConfiguration: CLIENT,
      });
      assert.strictEqual(await valueOf(k.kubeconfigRaw), KUBECONFIG);
      assert.strictEqual(
        (await valueOf(k.kubernetesClientConfiguration)).host,
        "https://10.0.0.10:6443",
      );
      const req = registration("talos:cluster/kubeconfig:Kubeconfig", "kubeconfig");
      assert.deepStrictEqual(req.getObject()?.toJavaScript(), {
        node: "10.0.0.11",
        clientConfiguration: wireSecret(CLIENT),
      });
      assert.deepStrictEqual(sorted(req.getAdditionalsecretoutputsList()), [
        "clientConfiguration",
        "kubeconfigRaw",
        "kubernetesClientConfiguration",
      ]);
      assertPluginRequested(req);
    });

    it("imagefactory.Schematic sends the schematic in the clear and honours a version override", async function () {
      const yaml =
        "customization:\n  systemExtensions:\n    officialExtensions:\n      - siderolabs/qemu-guest-agent\n";
      const s = new talos.imagefactory.Schematic("schematic", { schematic: yaml });
      assert.strictEqual(await valueOf(s.id), SCHEMATIC_ID);
      const req = registration("talos:imageFactory/schematic:Schematic", "schematic");
      assert.deepStrictEqual(req.getObject()?.toJavaScript(), { schematic: yaml });
      assert.deepStrictEqual(req.getAdditionalsecretoutputsList(), []);
      assertPluginRequested(req);

      const pinned = new talos.imagefactory.Schematic("pinned", {}, { version: "0.9.0" });
      await valueOf(pinned.id);
      const pinnedReq = registration("talos:imageFactory/schematic:Schematic", "pinned");
      assert.strictEqual(pinnedReq.getVersion(), "0.9.0");
      assert.strictEqual(pinnedReq.getPlugindownloadurl(), PLUGIN_URL);
    });

    it("refuses a missing required input before registering anything", function () {
      const args = { clientConfiguration: CLIENT } as unknown as talos.cluster.KubeconfigArgs;
      assert.throws(() => new talos.cluster.Kubeconfig("no-node", args), {
        message: `talos:cluster/kubeconfig:Kubeconfig: resource "no-node" is missing required property 'node'`,
      });
      assert.strictEqual(registered.filter((r) => r.getName() === "no-node").length, 0);
    });

    it("get() reads by ID with the same plugin and secret settings", async function () {
      const k = talos.cluster.Kubeconfig.get("existing", "cluster_kubeconfig", {
        node: "10.0.0.12",
      });
      await valueOf(k.id);
      const found = reads.filter((r) => r.getName() === "existing");
      assert.strictEqual(found.length, 1);
      const req = found[0];
      assert.strictEqual(req.getType(), "talos:cluster/kubeconfig:Kubeconfig");
      assert.strictEqual(req.getId(), "cluster_kubeconfig");
      assert.deepStrictEqual(req.getProperties()?.toJavaScript(), { node: "10.0.0.12" });
      assert.deepStrictEqual(sorted(req.getAdditionalsecretoutputsList()), [
        "clientConfiguration",
        "kubeconfigRaw",
        "kubernetesClientConfiguration",
      ]);
      assertPluginRequested(req);
    });
  });

  describe("invokes", function () {
    /** The requests made for a token since `from`. */
    function invokesSince(from: number, tok: string): ResourceInvokeRequest[] {
      return invoked.slice(from).filter((r) => r.getTok() === tok);
    }

    interface Case {
      readonly token: string;
      readonly args: Record<string, unknown>;
      readonly promise: (args: never) => Promise<Record<string, unknown>>;
      readonly output: (args: never) => pulumi.Output<Record<string, unknown>>;
      readonly secretResult: boolean;
      readonly check: (result: Record<string, unknown>) => void;
    }
    const cases: Case[] = [
      {
        token: "talos:machine/getConfiguration:getConfiguration",
        args: {
          clusterName: "em",
          clusterEndpoint: "https://10.0.0.10:6443",
          machineType: "worker",
          machineSecrets: MACHINE_SECRETS,
          talosVersion: "v1.13",
        },
        promise: talos.machine.getConfiguration as never,
        output: talos.machine.getConfigurationOutput as never,
        secretResult: true,
        check: (r) => assert.match(String(r.machineConfiguration), /type: worker/),
      },
      {
        token: "talos:client/getConfiguration:getConfiguration",
        args: {
          clusterName: "em",
          clientConfiguration: CLIENT,
          endpoints: ["10.0.0.11"],
          nodes: ["10.0.0.11"],
        },
        promise: talos.client.getConfiguration as never,
        output: talos.client.getConfigurationOutput as never,
        secretResult: true,
        check: (r) => assert.match(String(r.talosConfig), /^context: c/),
      },
      {
        token: "talos:cluster/getHealth:getHealth",
        args: {
          clientConfiguration: CLIENT,
          controlPlaneNodes: ["10.0.0.11"],
          endpoints: ["10.0.0.11"],
          skipKubernetesChecks: true,
          timeouts: { read: "10m" },
        },
        promise: talos.cluster.getHealth as never,
        output: talos.cluster.getHealthOutput as never,
        secretResult: true,
        check: (r) => assert.deepStrictEqual(r.controlPlaneNodes, ["10.0.0.11"]),
      },
      {
        token: "talos:imageFactory/getUrls:getUrls",
        args: { schematicId: SCHEMATIC_ID, talosVersion: "v1.13.0", platform: "nocloud" },
        promise: talos.imagefactory.getUrls as never,
        output: talos.imagefactory.getUrlsOutput as never,
        secretResult: false,
        check: (r) =>
          assert.strictEqual(
            (r.urls as { installer: string }).installer,
            `factory.talos.dev/nocloud-installer/${SCHEMATIC_ID}:v1.13.0`,
          ),
      },
    ];

    for (const c of cases) {
      it(`${c.token}: Promise form`, async function () {
        const from = invoked.length;
        const result = await c.promise(c.args as never);
        c.check(result);
        const reqs = invokesSince(from, c.token);
        assert.strictEqual(reqs.length, 1);
        assert.deepStrictEqual(reqs[0].getArgs()?.toJavaScript(), c.args);
        assertPluginRequested(reqs[0]);
      });

      it(`${c.token}: Output form (result ${c.secretResult ? "secret" : "not secret"})`, async function () {
        const from = invoked.length;
        const out = c.output(c.args as never);
        c.check(await valueOf(out));
        assert.strictEqual(await pulumi.isSecret(out), c.secretResult);
        const reqs = invokesSince(from, c.token);
        assert.strictEqual(reqs.length, 1);
        // The runtime strips secret marks from invoke arguments before they reach
        // the monitor (it remembers them to mark the result), so they arrive plain.
        assert.deepStrictEqual(reqs[0].getArgs()?.toJavaScript(), c.args);
        assertPluginRequested(reqs[0]);
      });
    }

    it("refuses a missing required argument", function () {
      const args = { talosVersion: "v1.13.0" } as unknown as talos.imagefactory.GetUrlsOutputArgs;
      assert.throws(() => talos.imagefactory.getUrlsOutput(args), {
        message:
          "talos:imageFactory/getUrls:getUrls: invoke is missing required property 'schematicId'",
      });
    });
  });
});
