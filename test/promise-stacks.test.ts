/**
 * lib/promiseStacks.ts: Pulumi's per-promise stack traces are not formatted (the
 * largest cost of a program run after the resources), every other stack is, and
 * PULUMI_DEBUG_PROMISE_LEAKS turns the hook off as Pulumi reads it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import {
  PROMISE_STACK_STAND_IN,
  promiseStacksWanted,
  skipPromiseStacks,
  skippingPromiseStacks,
} from "../lib/promiseStacks";
import { runProgram } from "../tools/offline/engine";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable");

type Prepare = NonNullable<ErrorConstructor["prepareStackTrace"]>;
const errors = Error as { prepareStackTrace?: Prepare };

/** Runs `fn` with `prepareStackTrace` set to `hook`, and puts the old one back. */
function withHook<T>(hook: Prepare | undefined, fn: () => T): T {
  const saved = errors.prepareStackTrace;
  errors.prepareStackTrace = hook;
  try {
    return fn();
  } finally {
    errors.prepareStackTrace = saved;
  }
}

/** The stack Pulumi keeps on a promise it wraps (on the promise it was given). */
function promiseStack(): string {
  const p = Promise.resolve(1);
  debuggable.debuggablePromise(p, "test");
  return (p as unknown as { _debugStackTrace: string })._debugStackTrace;
}

describe("Pulumi's promise stacks", function () {
  it("are a stand-in under the hook, while any other stack is V8's, naming its frames", function () {
    withHook(skippingPromiseStacks(undefined), () => {
      assert.equal(promiseStack(), PROMISE_STACK_STAND_IN);
      const stack = new Error("boom").stack ?? "";
      assert.match(stack, /^Error: boom\n {4}at /);
      assert.ok(stack.includes(path.basename(__filename)), stack);
    });
    // Without the hook the same call formats a whole stack.
    withHook(undefined, () => {
      assert.match(promiseStack(), /^Error\n {4}at (Object\.)?debuggablePromise /);
    });
  });

  it("defer every other stack to the hook already installed", function () {
    const seen: string[] = [];
    const previous: Prepare = (err, frames) => {
      seen.push(String(err));
      return `mapped ${frames.length > 0}`;
    };
    withHook(skippingPromiseStacks(previous), () => {
      assert.equal(promiseStack(), PROMISE_STACK_STAND_IN);
      assert.equal(new Error("x").stack, "mapped true");
    });
    assert.deepEqual(seen, ["Error: x"]);
  });

  it("are kept when PULUMI_DEBUG_PROMISE_LEAKS has any value, as Pulumi reads it", function () {
    assert.equal(promiseStacksWanted({}), false);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "" }), false);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }), true);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "false" }), true);
    withHook(undefined, () => {
      skipPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "true" });
      assert.equal(errors.prepareStackTrace, undefined);
      skipPromiseStacks({});
      assert.equal(promiseStack(), PROMISE_STACK_STAND_IN);
    });
  });

  it("are skipped while the offline engine runs a program, at Node's default depth, and the hook and depth are put back after", async function () {
    const before = errors.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const record = await runProgram({
        entry: path.join(__dirname, "fixtures", "programs", "promiseStack.ts"),
      });
      assert.equal(record.stackOutputs.promiseStack, PROMISE_STACK_STAND_IN);
      assert.match(String(record.stackOutputs.ownStack), /^Error: own\n {4}at .*promiseStack/);
      assert.equal(record.stackOutputs.stackTraceLimit, 10);
      assert.equal(errors.prepareStackTrace, before);
      assert.equal(Error.stackTraceLimit, Infinity);
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
});
