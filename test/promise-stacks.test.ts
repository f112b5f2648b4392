/**
 * lib/promiseStacks.ts: Pulumi's per-promise stack traces are taken at depth 0 (a third
 * of a 200-node program run), every other stack keeps its frames, and
 * PULUMI_DEBUG_PROMISE_LEAKS turns it off as Pulumi reads it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { promiseStacksWanted, skipPromiseStacks } from "../lib/promiseStacks";
import { runProgram } from "../tools/offline/engine";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable");

/** The stack Pulumi keeps on a promise it wraps (on the promise it was given). */
function promiseStack(): string {
  const p = Promise.resolve(1);
  void debuggable.debuggablePromise(p, "test");
  return (p as unknown as { _debugStackTrace: string })._debugStackTrace;
}

/** Whether a stack names any frame. */
const framed = (stack: string | undefined) => /\n {4}at /.test(stack ?? "");

describe("Pulumi's promise stacks", function () {
  it("are taken without frames while skipped, and every other stack keeps its own", async function () {
    const original = debuggable.debuggablePromise;
    const restore = skipPromiseStacks({});
    try {
      assert.notEqual(debuggable.debuggablePromise, original);
      assert.equal(promiseStack(), "Error");
      assert.ok(framed(new Error("boom").stack));
      // Pulumi's bookkeeping still sees the promise through: it resolves to its value.
      const p = Promise.resolve(42);
      assert.equal(await debuggable.debuggablePromise(p, "value"), 42);
      // A second call while wrapped wraps nothing more, and its undo undoes nothing.
      const wrapped = debuggable.debuggablePromise;
      const again = skipPromiseStacks({});
      assert.equal(debuggable.debuggablePromise, wrapped);
      again();
      assert.equal(debuggable.debuggablePromise, wrapped);
      assert.equal(promiseStack(), "Error");
    } finally {
      restore();
    }
    assert.equal(debuggable.debuggablePromise, original);
    assert.ok(framed(promiseStack()), "put back, Pulumi takes its stacks again");
  });

  it("are kept when PULUMI_DEBUG_PROMISE_LEAKS has any value, as Pulumi reads it", function () {
    assert.equal(promiseStacksWanted({}), false);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "" }), false);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }), true);
    assert.equal(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "false" }), true);
    const original = debuggable.debuggablePromise;
    const restore = skipPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "true" });
    assert.equal(debuggable.debuggablePromise, original);
    assert.ok(framed(promiseStack()));
    restore();
  });

  it("are skipped while the offline engine runs a program, at Node's default depth, and all is put back after", async function () {
    const original = debuggable.debuggablePromise;
    const prepare = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const record = await runProgram({
        entry: path.join(__dirname, "fixtures", "programs", "promiseStack.ts"),
      });
      assert.equal(record.stackOutputs.promiseStack, "Error");
      assert.match(String(record.stackOutputs.ownStack), /^Error: own\n {4}at .*promiseStack/);
      assert.equal(record.stackOutputs.stackTraceLimit, 10);
      assert.equal(debuggable.debuggablePromise, original);
      assert.equal(Error.prepareStackTrace, prepare);
      assert.equal(Error.stackTraceLimit, Infinity);
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
});
