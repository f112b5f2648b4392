/**
 * Each run of the suite keeps its temporary files under a folder of its own and checks
 * only that folder for leftovers, so two runs at once (two checkouts, a shared CI
 * runner) do not fail each other (test/support/hooks.ts, test/support/tmp.ts).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RUN_PREFIX, leftInRunDir, makeRunDir, tempDir } from "./support/tmp";

describe("the suite's temporary folders", function () {
  it("live under this run's own folder, which is this process's temp folder", function () {
    const own = os.tmpdir();
    assert.ok(path.basename(own).startsWith(RUN_PREFIX), own);
    const dir = tempDir("isolation");
    assert.equal(path.dirname(dir), own);
  });

  it("the leak check sees this run's leftovers and never another run's", function () {
    const parent = tempDir("parent");
    const ours = makeRunDir(parent);
    const theirs = makeRunDir(parent);
    // Another run, in another checkout, is mid-way: its folders are in its own run
    // folder and, for an older checkout, straight in the shared temp folder.
    fs.mkdirSync(path.join(theirs, "em-infra-demo-abc123"));
    fs.mkdirSync(path.join(parent, "em-infra-inv-def456"));
    assert.deepEqual(leftInRunDir(ours), []);
    fs.mkdirSync(path.join(ours, "em-infra-demo-xyz789"));
    fs.writeFileSync(path.join(ours, "em-infra-plan.json"), "{}");
    fs.mkdirSync(path.join(ours, "v8-compile-cache-0"));
    assert.deepEqual(leftInRunDir(ours), ["em-infra-demo-xyz789", "em-infra-plan.json"]);
  });
});
