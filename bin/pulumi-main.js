// The entry point Pulumi runs (Pulumi.yaml `main`). It compiles the program with
// the project's own TypeScript into .build/ (bin/build.js: incrementally, and not at
// all when nothing changed) and then runs the JavaScript. Running compiled JavaScript
// instead of ts-node halves the run time of a large cluster: @pulumi/pulumi captures a
// stack trace per resource and output, and under ts-node each one is source-mapped.
// A program that does not type-check is not run.
"use strict";
const path = require("path");
const { build } = require("./build");

const root = path.resolve(__dirname, "..");
const compiled = build();
if (!compiled.ok) {
  const { RunError } = require("@pulumi/pulumi");
  throw new RunError(`the program does not compile (npm run build):\n${compiled.output}`);
}
// Pulumi takes a stack trace for every promise it makes, kept only for its leak
// report: taken at depth 0 unless PULUMI_DEBUG_PROMISE_LEAKS asks for them.
require(path.join(root, ".build", "lib", "promiseStacks.js")).skipPromiseStacks();
module.exports = require(path.join(root, ".build", "index.js"));
