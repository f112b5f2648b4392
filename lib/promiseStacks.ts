/**
 * @pulumi/pulumi keeps a stack trace on every promise it makes (`debuggablePromise`
 * in runtime/debuggable.js reads `new Error().stack` at once), only to print it if
 * the program exits with promises unresolved and `PULUMI_DEBUG_PROMISE_LEAKS` is set.
 * Every other run formats them for nothing: a 200-node inventory makes about 68,000
 * such promises, and their stacks were 3.7 s of the test suite's 61 s of CPU (a
 * profile of one serial run). This hook formats every other stack as before and
 * gives those a one-line stand-in; with
 * `PULUMI_DEBUG_PROMISE_LEAKS` set it is not installed, so the leak report keeps its
 * stacks.
 */

type Prepare = (err: Error, frames: NodeJS.CallSite[]) => unknown;

/** What a Pulumi promise's `_debugStackTrace` holds while the hook is installed. */
export const PROMISE_STACK_STAND_IN =
  "Error: stack not kept (set PULUMI_DEBUG_PROMISE_LEAKS=true to keep promise stacks)";

/** Whether a trace was taken by @pulumi/pulumi's `debuggablePromise`. */
function isPromiseStack(frames: readonly NodeJS.CallSite[]): boolean {
  const top = frames[0];
  if (top === undefined || top.getFunctionName() !== "debuggablePromise") return false;
  const file = top.getFileName() ?? "";
  return /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/.test(file);
}

/** V8's own formatting, as Node prints a stack when no hook is installed. */
function v8Format(err: Error, frames: readonly NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = String(err);
  } catch {
    head = "Error";
  }
  return [head, ...frames.map((f) => `    at ${String(f)}`)].join("\n");
}

/** A `prepareStackTrace` that skips Pulumi's promise stacks and defers the rest. */
export function skippingPromiseStacks(previous: Prepare | undefined): Prepare {
  return (err, frames) => {
    if (isPromiseStack(frames)) return PROMISE_STACK_STAND_IN;
    return previous === undefined ? v8Format(err, frames) : previous(err, frames);
  };
}

/** Whether the operator asked Pulumi for promise stacks: any value, as Pulumi reads it. */
export function promiseStacksWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.PULUMI_DEBUG_PROMISE_LEAKS);
}

/**
 * Installs the hook for the rest of the process (bin/pulumi-main.js, before the
 * program loads), unless promise stacks are wanted.
 */
export function skipPromiseStacks(env: NodeJS.ProcessEnv = process.env): void {
  if (promiseStacksWanted(env)) return;
  const errors = Error as { prepareStackTrace?: Prepare };
  errors.prepareStackTrace = skippingPromiseStacks(errors.prepareStackTrace);
}
