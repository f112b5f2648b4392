/**
 * The entry point Pulumi runs: Pulumi.yaml names bin/pulumi-main.js, which
 * compiles the program and runs the JavaScript. Under the offline engine it must
 * register exactly what index.ts registers under ts-node.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_ROOT, runProgram, type RunRecord } from "../tools/offline/engine";
import { DEV, runFor, stackConfig } from "./support/program";

describe("Pulumi entry point", function () {
  it("is bin/pulumi-main.js with the runtime's own TypeScript support off", function () {
    const project = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
    assert.equal(project.main, "bin/pulumi-main.js");
    assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: false } });
    assert.equal(project.backend.url, "file://./.pulumi-state");
  });

  it("compiles and runs the same program as index.ts", async function () {
    this.timeout(60_000);
    const shape = (r: RunRecord) =>
      JSON.stringify(r.resources.map((x) => [x.type, x.name, x.parent, x.inputs, x.protect]));
    const compiled = await runProgram({
      ...stackConfig(DEV),
      entry: path.join(PROJECT_ROOT, "bin", "pulumi-main.js"),
    });
    const source = await runFor(DEV);
    assert.ok(compiled.resources.length > 10);
    assert.equal(shape(compiled), shape(source));
    assert.deepEqual(compiled.stackOutputs, source.stackOutputs);
  });
});
