// The entry point Pulumi runs (Pulumi.yaml `main`). It compiles the program with
// the project's own TypeScript into .build/ (incrementally: a no-op when nothing
// changed) and then runs the JavaScript. Running compiled JavaScript instead of
// ts-node halves the run time of a large cluster: @pulumi/pulumi captures a stack
// trace per resource and output, and under ts-node each one is source-mapped.
// A program that does not type-check is not run.
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const build = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], {
  cwd: root,
  encoding: "utf8",
});
if (build.status !== 0) {
  const { RunError } = require("@pulumi/pulumi");
  const output = `${build.stdout || ""}${build.stderr || ""}`.trim() || String(build.error || "");
  throw new RunError(`the program does not compile (npm run build):\n${output}`);
}
// Pulumi takes a stack trace for every promise it makes, kept only for its leak
// report: taken at depth 0 unless PULUMI_DEBUG_PROMISE_LEAKS asks for them.
require(path.join(root, ".build", "lib", "promiseStacks.js")).skipPromiseStacks();
module.exports = require(path.join(root, ".build", "index.js"));
