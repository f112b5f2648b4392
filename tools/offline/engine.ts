/**
 * The offline engine: runs the real Pulumi program under `pulumi.runtime.setMocks`
 * and records everything it registers, the way the Pulumi engine would receive it.
 *
 * Tests, `npm run plan` and `npm run bench` all run the program through here, so it
 * behaves like the engine in the ways the program can observe:
 * - the program is loaded inside a root `pulumi:pulumi:Stack`, as `pulumi up` does;
 * - outputs named in `additionalSecretOutputs`, and outputs whose input was secret,
 *   come back secret (the engine does this, the stock mocks do not);
 * - providers' sensitive fields come back secret (see fakes.ts);
 * - in a preview (`dryRun`), computed outputs and ids of new resources are unknown;
 * - a resource or function with no fake fails, as a missing provider would.
 *
 * What it records comes from the monitor's requests (wrapping `registerResource`,
 * `invoke` and `registerResourceOutputs`), because only the request carries the
 * options: parent, dependencies, protect, ignoreChanges and the rest.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PROJECT_ROOT } from "../../lib/projectRoot";
import { skipPromiseStacks } from "../../lib/promiseStacks";
import { FUNCTION_FAKES, RESOURCE_FAKES, containsSecret } from "./fakes";
import { DYNAMIC } from "../../lib/tokens";
import { UNKNOWN, isSecretWrapper, unwrapSecrets, wrapSecret } from "./secretSig";

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports --
   the monitor's requests are protobuf messages without usable typings here, and the
   runtime's internal modules are reached with require. */
const settings = require("@pulumi/pulumi/runtime/settings");
const runtimeConfig = require("@pulumi/pulumi/runtime/config");
const runtimeStack = require("@pulumi/pulumi/runtime/stack");
const runtimeIndex = require("@pulumi/pulumi/runtime");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const pulumiLog = require("@pulumi/pulumi/log");
const v8Hooks = require("@pulumi/pulumi/runtime/closure/v8Hooks");

/** One resource registration, as the engine received it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** URN of the parent; the stack's for top-level resources. */
  readonly parent: string;
  readonly custom: boolean;
  readonly id?: string;
  /** Every resource this one depends on (explicit and implied by inputs), as URNs. */
  readonly dependencies: readonly string[];
  /** Per input property, the URNs it depends on. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly protect: boolean;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  readonly deleteBeforeReplace: boolean;
  /** URNs whose replacement replaces this resource too. */
  readonly replaceWith: readonly string[];
  readonly retainOnDelete: boolean;
  readonly additionalSecretOutputs: readonly string[];
  readonly customTimeouts?: { create?: string; update?: string; delete?: string };
  /** Plugin version and download URL the program asked for (empty when none). */
  readonly version: string;
  readonly pluginDownloadURL: string;
  /** Inputs in wire form, as the program sent them: secrets as `{<sig>: <secret sig>, value}`. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /**
   * The inputs the engine keeps in state: the program's, except that every path named
   * in `ignoreChanges` keeps its value from the prior state (see {@link RunOptions.prior}).
   */
  readonly stateInputs: Readonly<Record<string, unknown>>;
  /**
   * What the engine would do with this resource against the prior state: create it,
   * update it (its state inputs changed), or leave it the same. Without a prior
   * state, every resource is created.
   */
  readonly op: "create" | "update" | "same";
  /** Outputs the engine returned, in wire form. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** One function call (invoke). */
export interface RecordedInvoke {
  readonly token: string;
  /**
   * Arguments as the program handed them over, in wire form with secrets wrapped.
   * (Pulumi strips the secret marks before an invoke goes on the wire, and never
   * stores invoke arguments in state; this is what the program meant to be secret.)
   */
  readonly args: Readonly<Record<string, unknown>>;
  readonly version: string;
  readonly pluginDownloadURL: string;
  /** URNs of the resources the call waited for (`dependsOn`). */
  readonly dependencies: readonly string[];
  /** The result in wire form. */
  readonly result: Readonly<Record<string, unknown>>;
}

/** A log message the program wrote through `pulumi.log`. */
export interface RecordedLog {
  readonly severity: "info" | "warn" | "error";
  readonly message: string;
}

/** Everything one program run registered. */
export interface RunRecord {
  /** Resources in registration order, the root stack first. */
  readonly resources: readonly RecordedResource[];
  readonly invokes: readonly RecordedInvoke[];
  /** The stack outputs in wire form (secrets wrapped), as the engine stores them. */
  readonly stackOutputs: Readonly<Record<string, unknown>>;
  readonly logs: readonly RecordedLog[];
  /** URNs in the prior state that this run did not register: the engine deletes them. */
  readonly deleted: readonly string[];
}

/** How to run the program. */
export interface RunOptions {
  /**
   * The program's entry module. @default the project's `index.ts` (needs ts-node
   * registered, as under mocha); `npm run bench` passes the compiled `.build/index.js`.
   */
  readonly entry?: string;
  /** Stack configuration, full keys (`em-infra:inventory`, `proxmoxve:endpoint`). */
  readonly config?: Readonly<Record<string, string>>;
  /** Which config keys are secret. */
  readonly secretKeys?: readonly string[];
  /** @default "dev" */
  readonly stack?: string;
  /** A preview rather than an update. @default false */
  readonly dryRun?: boolean;
  /**
   * With `dryRun`: a preview of a stack that already holds every resource, so
   * ids and outputs are known (the engine reads them from state) rather than
   * unknown as in a first preview. @default false
   */
  readonly existing?: boolean;
  /**
   * Whether the providers mark their sensitive fields secret, as the real ones do.
   * With false, every secret the program ends up with is one it marked itself
   * (the secrets audit runs both ways). @default true
   */
  readonly providersMarkSecrets?: boolean;
  /** Functions that fail, as a health check that times out would. @default none */
  readonly failingFunctions?: readonly string[];
  /**
   * The state a previous run left, as `pulumi up` would find it: its resources keep
   * their ids and outputs in a preview, and each path in a resource's
   * `ignoreChanges` keeps its prior value, the way the engine applies
   * `ignoreChanges` before it asks the provider for a diff. @default a new stack
   */
  readonly prior?: RunRecord;
}

/** Thrown when the program fails; carries what was registered before the failure. */
export class ProgramError extends Error {
  constructor(
    readonly cause: unknown,
    readonly record: RunRecord,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ProgramError";
  }
}

export { PROJECT_ROOT };

const toJs = (s: any): Record<string, unknown> => (s ? s.toJavaScript() : {});

/** Serializes what the program passed, keeping secret marks (for the invoke record). */
async function serializeKeepingSecrets(props: unknown): Promise<Record<string, unknown>> {
  const serialized = await rpc.serializeProperties("record", props ?? {});
  return serialized as Record<string, unknown>;
}

/** A run may not overlap another: the Pulumi runtime is process-global. */
let running: Promise<unknown> = Promise.resolve();

/** Runs the program once and returns what it registered. Runs are serialized. */
export function runProgram(options: RunOptions = {}): Promise<RunRecord> {
  const run = running.then(
    () => withUnmappedStacks(() => runOnce(options)),
    () => withUnmappedStacks(() => runOnce(options)),
  );
  running = run.catch(() => undefined);
  return run;
}

/**
 * Runs `fn` with V8's own stack formatting instead of the source-mapped one ts-node
 * installs. @pulumi/pulumi reads `new Error().stack` for every resource (its source
 * position, with no depth limit) and every output promise; under ts-node each of
 * those frames is mapped back to TypeScript, which was more than half of a program
 * run's time (a 200-node inventory: 10.2 s, 4.3 s unmapped). The Pulumi entry point
 * (bin/pulumi-main.js) runs compiled JavaScript without source maps, so this is the
 * way `pulumi up` runs the program too. Errors keep their messages; their stacks name
 * the transpiled files' positions while the run lasts. Pulumi's per-promise stacks are
 * taken at depth 0, as bin/pulumi-main.js arranges (lib/promiseStacks.ts).
 */
async function withUnmappedStacks<T>(fn: () => Promise<T>): Promise<T> {
  const errors = Error as { prepareStackTrace?: unknown; stackTraceLimit: number };
  const mapped = errors.prepareStackTrace;
  const limit = errors.stackTraceLimit;
  errors.prepareStackTrace = undefined;
  // Node's default depth, as the language host runs the program: mocha sets no limit.
  // Pulumi lifts the limit itself where it wants every frame (a resource's source
  // position, resource.js `callsites`).
  errors.stackTraceLimit = NODE_STACK_TRACE_LIMIT;
  const restorePromiseStacks = skipPromiseStacks();
  try {
    return await fn();
  } finally {
    restorePromiseStacks();
    errors.prepareStackTrace = mapped;
    errors.stackTraceLimit = limit;
  }
}

/** Node's `Error.stackTraceLimit` when nothing changed it (V8's `--stack-trace-limit`). */
const NODE_STACK_TRACE_LIMIT = 10;

async function runOnce(options: RunOptions): Promise<RunRecord> {
  const entry = path.resolve(options.entry ?? path.join(PROJECT_ROOT, "index.ts"));
  const stack = options.stack ?? "dev";
  const dryRun = options.dryRun ?? false;
  const unknownOutputs = dryRun && !(options.existing ?? false);
  // The fakes mark sensitive fields as the providers do; this can take that away.
  const asProvider = <T>(state: T): T =>
    options.providersMarkSecrets === false ? (unwrapSecrets(state) as T) : state;
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const logs: RecordedLog[] = [];
  const failures: unknown[] = [];
  // Resolves at the first failure: whatever waits on a failed value never settles.
  let signalFailure: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => (signalFailure = resolve));
  const recording: Promise<void>[] = [];
  let stackOutputs: Record<string, unknown> = {};
  const priorByKey = new Map<string, RecordedResource>(
    (options.prior?.resources ?? []).map((r) => [`${r.type}::${r.name}`, r]),
  );
  const registered = new Set<string>();
  /** What a dynamic provider's diff said, by `type::name`: it decides update or same. */
  const dynamicChanges = new Map<string, boolean>();
  const record = (): RunRecord => ({
    resources,
    invokes,
    stackOutputs,
    logs,
    deleted: (options.prior?.resources ?? [])
      .filter((r) => !registered.has(r.urn))
      .map((r) => r.urn),
  });

  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        if (!args.custom) return { id: undefined, state: args.inputs };
        if (args.type === DYNAMIC) {
          const key = `${args.type}::${args.name}`;
          const result = await withConsoleTo(logs, () =>
            runDynamic(args, priorByKey.get(key), dryRun),
          );
          if (result.changes !== undefined) dynamicChanges.set(key, result.changes);
          return { id: result.id, state: result.state };
        }
        const fake = RESOURCE_FAKES[args.type];
        if (!fake) throw new Error(`no provider answers for resource type ${args.type}`);
        const result = fake({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          // A resource the prior state holds has known outputs even in a preview.
          dryRun: unknownOutputs && !priorByKey.has(`${args.type}::${args.name}`),
        });
        return { id: result.id, state: asProvider(result.state) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const fake = FUNCTION_FAKES[args.token];
        if (!fake) throw new Error(`no provider answers for function ${args.token}`);
        if (options.failingFunctions?.includes(args.token)) {
          throw new Error(`${args.token} failed: timed out waiting for the cluster`);
        }
        return asProvider(fake(args.inputs));
      },
    },
    "em-infra",
    stack,
    dryRun,
  );
  runtimeConfig.setAllConfig({ ...(options.config ?? {}) }, [...(options.secretKeys ?? [])]);

  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, resp?: any) => void) => {
    const inputs = toJs(req.getObject());
    const secretOutputs: string[] = req.getAdditionalsecretoutputsList();
    const before = priorByKey.get(`${req.getType()}::${req.getName()}`);
    const stateInputs = before
      ? keepIgnored(inputs, before.stateInputs, req.getIgnorechangesList())
      : inputs;
    // The provider sees what the engine would send it: ignored paths at their old values.
    if (stateInputs !== inputs) req.setObject(Struct.fromJavaScript(stateInputs as any));
    const sameInputs =
      before !== undefined &&
      stableJson(unwrapSecrets(stateInputs)) === stableJson(unwrapSecrets(before.stateInputs));
    register(req, (err: any, resp: any) => {
      const changes = dynamicChanges.get(`${req.getType()}::${req.getName()}`);
      const op = !before ? "create" : (changes ?? !sameInputs) ? "update" : "same";
      if (err || !resp) {
        failures.push(err ?? new Error(`registering ${req.getName()} failed`));
        signalFailure();
        return callback(err, resp);
      }
      // The engine marks these outputs secret; the stock mock monitor does not.
      const outputs = toJs(resp.getObject());
      for (const key of Object.keys(outputs)) {
        const fromSecretInput = isSecretWrapper(inputs[key]);
        const listed = secretOutputs.includes(key);
        const nested = containsSecret(outputs[key]) && !isSecretWrapper(outputs[key]);
        if ((fromSecretInput || listed || nested) && !isSecretWrapper(outputs[key])) {
          outputs[key] = wrapSecret(outputs[key]);
        }
      }
      resp.setObject(Struct.fromJavaScript(outputs as any));
      const deps: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((v: any, k: string) => {
        deps[k] = v.getUrnsList();
      });
      const timeouts = req.getCustomtimeouts();
      resources.push({
        type: req.getType(),
        name: req.getName(),
        urn: resp.getUrn(),
        parent: req.getParent(),
        custom: req.getCustom(),
        id: resp.getId() || undefined,
        dependencies: req.getDependenciesList(),
        propertyDependencies: deps,
        protect: req.getProtect() === true,
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceWith: req.getReplaceWithList(),
        retainOnDelete: req.getRetainondelete() === true,
        additionalSecretOutputs: secretOutputs,
        customTimeouts: timeouts
          ? {
              create: timeouts.getCreate() || undefined,
              update: timeouts.getUpdate() || undefined,
              delete: timeouts.getDelete() || undefined,
            }
          : undefined,
        version: req.getVersion(),
        pluginDownloadURL: req.getPlugindownloadurl(),
        inputs,
        stateInputs,
        op,
        outputs,
      });
      registered.add(resp.getUrn());
      callback(err, resp);
    });
  };

  // Invoke arguments lose their secret marks before they reach the monitor, so the
  // record keeps the program's own view, captured where the SDK calls the runtime,
  // and paired with the monitor's request by token and (unmarked) value.
  const pending: PendingArgs[] = [];
  const originalInvoke = monitor.invoke.bind(monitor);
  monitor.invoke = (req: any, callback: (err: any, resp?: any) => void) => {
    const token: string = req.getTok();
    const wire = toJs(req.getArgs());
    const annotated = matchPending(pending, token, wire);
    originalInvoke(req, (err: any, resp: any) => {
      if (err || !resp) {
        failures.push(err ?? new Error(`invoking ${token} failed`));
        signalFailure();
        return callback(err, resp);
      }
      const done = annotated.then((found) => {
        invokes.push({
          token,
          args: found?.args ?? wire,
          dependencies: found?.dependencies ?? [],
          version: req.getVersion(),
          pluginDownloadURL: req.getPlugindownloadurl(),
          result: toJs(resp.getReturn()),
        });
      });
      recording.push(done);
      callback(err, resp);
    });
  };
  const originalRegisterOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: any, resp?: any) => void) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputs = toJs(req.getOutputs());
    originalRegisterOutputs(req, callback);
  };

  // An error inside an apply() surfaces as an unhandled rejection, which fails
  // `pulumi up`; here it fails the run. Whatever waits on the failed value never
  // settles, so after a failure the run stops waiting, as the engine would.
  const onRejection = (reason: unknown) => {
    failures.push(reason);
    signalFailure();
  };
  process.on("unhandledRejection", onRejection);
  const patched = patchRuntime(pending, logs);
  try {
    // The program runs at module load: forget it, and its compiled twin, so each
    // run executes it afresh (bin/pulumi-main.js loads .build/index.js).
    for (const mod of [entry, path.join(PROJECT_ROOT, ".build", "index.js")]) {
      delete require.cache[mod];
    }
    await Promise.race([
      runtimeStack.runInPulumiStack(async () => {
        const mod = require(entry);
        return typeof mod === "function" ? mod() : mod;
      }),
      failed,
    ]);
  } catch (err) {
    failures.unshift(err);
    signalFailure();
  }
  try {
    // Let every outstanding registration and invoke land before reading the record,
    // after a failure too (the record then shows what was sent before it), but give
    // up on what a failure left hanging after a short grace.
    const grace = failed.then(() => new Promise((r) => setTimeout(r, 200)));
    await Promise.race([settings.waitForRPCs(), grace]);
    await Promise.race([Promise.all(recording), grace]);
    await new Promise((r) => setImmediate(r));
  } finally {
    patched.restore();
    process.off("unhandledRejection", onRejection);
    // Pulumi serialized a provider only for a dynamic resource; without one it may have
    // opened no session, and asking for it would open one.
    if (resources.some((r) => r.type === DYNAMIC)) await debuggerOff();
  }
  if (failures.length > 0) throw new ProgramError(failures[0], record());
  return record();
}

/**
 * Turns off the V8 Debugger that Pulumi's closure serializer turned on. To serialize a
 * dynamic resource's provider, Pulumi opens an inspector session and enables its
 * Debugger domain, to hear which file each script id is (runtime/closure/v8Hooks.js),
 * and leaves it on. `pulumi up` runs the program once and ends, so there it lasts one
 * run; here a process runs many, and everything after the first ran with the Debugger
 * on: the day-two test files took 6% more CPU with it on from the start. Serialization
 * works with it off (the function's location and captured scopes come through the
 * Runtime domain); a script compiled since is left out of the id-to-file map, which
 * only names files in a serialization error. Pulumi keeps the session and does not
 * turn the Debugger on again.
 */
async function debuggerOff(): Promise<void> {
  const session = await v8Hooks.getSessionAsync();
  await new Promise<void>((resolve) => session.post("Debugger.disable", () => resolve()));
}

/** Invoke arguments as the program passed them, waiting for the monitor's request. */
interface PendingArgs {
  readonly token: string;
  readonly args: Promise<Record<string, unknown>>;
  /** The arguments without secret marks, as compared with the monitor's request. */
  readonly key: Promise<string>;
  readonly dependencies: Promise<string[]>;
}

/** Finds (and removes) the captured arguments that belong to a monitor request. */
async function matchPending(
  pending: PendingArgs[],
  token: string,
  wire: Record<string, unknown>,
): Promise<{ args: Record<string, unknown>; dependencies: string[] } | undefined> {
  const want = stableJson(unwrapSecrets(wire));
  for (const p of pending.filter((x) => x.token === token)) {
    const key = await p.key;
    const i = pending.indexOf(p);
    if (i >= 0 && key === want) {
      pending.splice(i, 1);
      return { args: await p.args, dependencies: await p.dependencies };
    }
  }
  return undefined;
}

/** JSON with object keys sorted, so equal values compare equal. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** The URNs of an invoke's `dependsOn` option. */
async function dependsOnUrns(opts: any): Promise<string[]> {
  const raw = opts?.dependsOn;
  const list: pulumi.Resource[] = raw === undefined ? [] : [].concat(await raw);
  return Promise.all(list.map((r) => (r.urn as any).promise() as Promise<string>));
}

/**
 * Captures invoke arguments with their secret marks, and `pulumi.log` messages,
 * for the duration of one run.
 */
function patchRuntime(pending: PendingArgs[], logs: RecordedLog[]) {
  const saved = {
    invoke: runtimeIndex.invoke,
    invokeOutput: runtimeIndex.invokeOutput,
    info: pulumiLog.info,
    warn: pulumiLog.warn,
    error: pulumiLog.error,
  };
  const capture =
    (fn: (...a: any[]) => any) =>
    (tok: string, props: unknown, ...rest: any[]) => {
      const args = serializeKeepingSecrets(props);
      pending.push({
        token: tok,
        args,
        key: args.then((a) => stableJson(unwrapSecrets(a))),
        dependencies: dependsOnUrns(rest[0]),
      });
      return fn(tok, props, ...rest);
    };
  runtimeIndex.invoke = capture(saved.invoke);
  runtimeIndex.invokeOutput = capture(saved.invokeOutput);
  for (const severity of ["info", "warn", "error"] as const) {
    pulumiLog[severity] = (message: string) => {
      logs.push({ severity, message });
      return Promise.resolve();
    };
  }
  return {
    restore() {
      Object.assign(runtimeIndex, { invoke: saved.invoke, invokeOutput: saved.invokeOutput });
      Object.assign(pulumiLog, { info: saved.info, warn: saved.warn, error: saved.error });
    },
  };
}

/** A property path of `ignoreChanges` (`disks[0].importFrom`) as its segments. */
function pathSegments(path: string): (string | number)[] {
  return path
    .split(/\.|(?=\[)/)
    .map((part) => (/^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part))
    .filter((part) => part !== "");
}

/**
 * The inputs with every ignored path at its value in `old` (or absent, where `old`
 * has none), as the engine computes the inputs it diffs and stores.
 */
export function keepIgnored(
  inputs: Record<string, unknown>,
  old: Readonly<Record<string, unknown>>,
  ignored: readonly string[],
): Record<string, unknown> {
  if (ignored.length === 0) return inputs;
  const result = structuredClone(inputs);
  for (const path of ignored) {
    const segments = pathSegments(path);
    let from: any = old;
    for (const seg of segments) from = from === undefined || from === null ? undefined : from[seg];
    let into: any = result;
    for (const seg of segments.slice(0, -1)) {
      if (into[seg] === undefined || into[seg] === null) {
        into[seg] = typeof seg === "number" ? [] : {};
      }
      into = into[seg];
    }
    const last = segments[segments.length - 1];
    if (from === undefined) delete into[last];
    else into[last] = structuredClone(from);
  }
  return result;
}

/** A dynamic provider as the host loads it from a resource's `__provider` input. */
interface LoadedProvider {
  check?(olds: unknown, news: unknown): Promise<{ inputs?: unknown; failures?: unknown[] }>;
  diff?(id: string, olds: unknown, news: unknown): Promise<{ changes?: boolean }>;
  create(inputs: unknown): Promise<{ id: string; outs?: Record<string, unknown> }>;
  update?(id: string, olds: unknown, news: unknown): Promise<{ outs?: unknown } | undefined>;
}

/** What the engine keeps after a dynamic resource's update. */
export interface HostUpdateResult {
  /** Whether the update succeeded. A failed one still fails the `pulumi up`. */
  readonly ok: boolean;
  /** The error's message, which the engine prints; "" on success. */
  readonly message: string;
  /** The outputs the engine stores, which the next run's `diff` and `update` get as olds. */
  readonly outputs: Record<string, unknown>;
  /** ErrorResourceInitFailed's reasons, when the error carried them. */
  readonly reasons: readonly string[];
}

/** A value as it survives a protobuf Struct: JSON values only, undefined fields dropped. */
function throughStruct(v: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v ?? {})) as Record<string, unknown>;
}

/**
 * A dynamic resource's update as @pulumi/pulumi 3.248's host runs it and the engine
 * stores it (`cmd/dynamic-provider/index.js`): on success, the provider's outs plus the
 * inputs' `__provider` (resultIncludingProvider). On an error that carries `id`
 * (grpcResponseFromError packs `id`, `properties` and `reasons` as
 * ErrorResourceInitFailed), the engine stores those properties as the new outputs and
 * fails the step; a plain error leaves the old outputs.
 */
export async function hostUpdate(
  provider: Pick<LoadedProvider, "update">,
  id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<HostUpdateResult> {
  if (provider.update === undefined) throw new Error("the provider has no update method");
  try {
    const result = ((await provider.update(id, olds, news)) ?? {}) as { outs?: unknown };
    const outputs = throughStruct(result.outs);
    if (news.__provider !== undefined) outputs.__provider = news.__provider;
    return { ok: true, message: "", outputs, reasons: [] };
  } catch (e) {
    const err = e as { message?: string; id?: unknown; properties?: unknown; reasons?: unknown };
    const message = String(err.message ?? e);
    if (err.id) {
      return {
        ok: false,
        message,
        outputs: throughStruct(err.properties),
        reasons: Array.isArray(err.reasons) ? err.reasons.map(String) : [],
      };
    }
    return { ok: false, message, outputs: olds, reasons: [] };
  }
}

const loadedProviders = new Map<string, LoadedProvider>();

/**
 * Loads a serialized dynamic provider the way Pulumi's dynamic-provider host does
 * (`require-from-string`, then `handler()`), so tests run the text stored in state.
 */
export function loadSerializedProvider(text: string): LoadedProvider {
  let provider = loadedProviders.get(text);
  if (!provider) {
    const requireFromString = require("require-from-string");
    provider = requireFromString(text).handler() as LoadedProvider;
    loadedProviders.set(text, provider);
  }
  return provider;
}

/**
 * What the dynamic-provider host would do with a registration, as far as it can be
 * done offline: `check`, then `diff` against the prior state (a refusal there fails
 * the run, as it fails `pulumi preview`). Outputs: the prior ones in a preview of an
 * existing resource; else the record of a rollout (its `create` only records and
 * never dials), and the inputs for anything else, whose `create` would talk to nodes.
 */
async function runDynamic(
  args: pulumi.runtime.MockResourceArgs,
  prior: RecordedResource | undefined,
  dryRun: boolean,
): Promise<{ id: string | undefined; state: Record<string, unknown>; changes?: boolean }> {
  const { __provider: text, ...rest } = args.inputs as Record<string, unknown>;
  const news = asHostSees(rest) as Record<string, unknown>;
  const provider = loadSerializedProvider(String(unwrapSecrets(text)));
  const olds = prior ? (unwrapSecrets(prior.outputs) as Record<string, unknown>) : {};
  if (provider.check) {
    const checked = await provider.check(olds, news);
    if (checked.failures && checked.failures.length > 0) {
      throw new Error(`${args.name}: ${JSON.stringify(checked.failures)}`);
    }
  }
  let changes: boolean | undefined;
  if (prior && provider.diff) {
    changes = (await provider.diff(prior.id ?? args.name, olds, news)).changes ?? false;
  }
  if (prior && (dryRun || changes === false)) {
    return { id: prior.id, state: { ...prior.outputs }, changes };
  }
  if (dryRun) return { id: undefined, state: rest, changes };
  if (news.kind === "rollout") {
    const created = await provider.create(news);
    // The host stores the provider beside the outputs (resultIncludingProvider).
    return { id: created.id, state: { ...(created.outs ?? {}), __provider: text }, changes };
  }
  // The bootstrap check, which would dial a node: what its create returns on success,
  // the inputs without the credentials (packages/day2/lib/bootstrapCheck.js).
  const { credentials: _credentials, ...outs } = rest;
  return { id: args.name, state: outs, changes };
}

/**
 * Inputs as the dynamic-provider host hands them to a provider: secrets unwrapped (the
 * host accepts no secrets), and a value unknown in a preview as Pulumi's unknown
 * sentinel string, which is what the host's Struct carries.
 */
function asHostSees(v: unknown): unknown {
  if (isUnknownValue(v)) return UNKNOWN;
  if (isSecretWrapper(v)) return asHostSees(v.value);
  if (Array.isArray(v)) return v.map(asHostSees);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asHostSees(x)]));
  }
  return v;
}

/** A value the mocks deserialized as unknown (the SDK does not export the class). */
function isUnknownValue(v: unknown): boolean {
  return (
    v === UNKNOWN ||
    (v !== null &&
      typeof v === "object" &&
      (v as { __pulumiUnknown?: unknown }).__pulumiUnknown === true)
  );
}

/**
 * Runs `fn` with console.log and console.error going to the run's log: a dynamic
 * provider writes its progress there (the host shows it as plain text), and the
 * offline engine's own stdout stays the caller's (the plan's JSON, say).
 */
async function withConsoleTo<T>(logs: RecordedLog[], fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, error: console.error };
  console.log = (...a: unknown[]) => void logs.push({ severity: "info", message: a.join(" ") });
  console.error = (...a: unknown[]) => void logs.push({ severity: "error", message: a.join(" ") });
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}
