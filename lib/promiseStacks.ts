/**
 * @pulumi/pulumi keeps a stack trace on every promise it makes (`debuggablePromise` in
 * runtime/debuggable.js reads `new Error().stack` at once), only to print it if the
 * program exits with promises unresolved and `PULUMI_DEBUG_PROMISE_LEAKS` is set. A
 * 200-node inventory makes about 68,000 such promises, and taking their traces was a
 * third of its run (3.1 s with them, 2.1 s without, under the offline engine). This
 * wraps that function so that its trace is taken at depth 0: the promise keeps a bare
 * `Error` and everything else Pulumi does with it (its leak bookkeeping) is unchanged.
 * Every other stack keeps its depth. With `PULUMI_DEBUG_PROMISE_LEAKS` set nothing is
 * wrapped, so the leak report keeps its stacks.
 */

type Debuggable = (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;

interface DebuggableModule {
  debuggablePromise: Debuggable;
}

/** Marks the wrapper, holding the function it wraps. */
const ORIGINAL = Symbol.for("em-infra.promiseStacks.original");

/** Whether the operator asked Pulumi for promise stacks: any value, as Pulumi reads it. */
export function promiseStacksWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.PULUMI_DEBUG_PROMISE_LEAKS);
}

/** The module whose export Pulumi's runtime calls (through the exports object). */
function debuggableModule(): DebuggableModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;
}

/**
 * Makes Pulumi take its promise stacks at depth 0 from now on, unless they are wanted;
 * returns what puts the original back. Calling it again while wrapped does nothing.
 */
export function skipPromiseStacks(env: NodeJS.ProcessEnv = process.env): () => void {
  const mod = debuggableModule();
  const original = mod.debuggablePromise;
  if (promiseStacksWanted(env) || typeof original !== "function" || ORIGINAL in original)
    return () => undefined;
  const shallow = ((p, ctx) => {
    const depth = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(p, ctx);
    } finally {
      Error.stackTraceLimit = depth;
    }
  }) as Debuggable & { [ORIGINAL]?: Debuggable };
  shallow[ORIGINAL] = original;
  mod.debuggablePromise = shallow;
  return () => {
    if (mod.debuggablePromise === shallow) mod.debuggablePromise = original;
  };
}
