/**
 * Every command's default output fits an 80-column terminal, on inventory/dev and on
 * the fake cluster: validate (valid, and a problem list), plan, and each day2 command.
 * A line may pass 80 only when it is one word that cannot be folded (a path, a hash).
 * `--wide` gives the full lines back.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { runValidate } from "../scripts/validate";
import { runPlan } from "../scripts/plan";
import { runDay2 } from "../scripts/day2";
import { full, rig } from "./support/day2Cli";
import { materialise } from "./support/invalidFixtures";
import { reusedRuns } from "./support/program";
import { table, wrap } from "../tools/cli";

const DEV = path.resolve(__dirname, "..", "inventory", "dev");

/** Lines over 80 columns that could have been folded (more than one word). */
function tooWide(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 80 && /\S\s+\S/.test(l.trim()));
}

function capture() {
  const buf = { out: "", err: "" };
  return {
    buf,
    out: { write: (s: string) => (buf.out += s) },
    err: { write: (s: string) => (buf.err += s) },
  };
}

describe("output fits 80 columns", function () {
  it("the shared helpers fold prose with a hanging indent, and turn a wide table into records", function () {
    assert.deepEqual(wrap("  one two three four", 12), ["  one two", "    three", "    four"]);
    const long = `x ${"y".repeat(90)}`;
    assert.deepEqual(wrap(long, 80), ["x", `  ${"y".repeat(90)}`], "a long word stays whole");
    const rows = [
      ["NAME", "ROLE", "ADDRESS"],
      ["node-1", "controlplane", "10.0.0.1 via 127.0.0.1:5000"],
    ];
    assert.deepEqual(table(rows), [
      "NAME    ROLE          ADDRESS",
      "node-1  controlplane  10.0.0.1 via 127.0.0.1:5000",
    ]);
    assert.deepEqual(table(rows, 40), [
      "node-1  role controlplane,",
      "        address 10.0.0.1 via 127.0.0.1:5000",
    ]);
  });

  it("validate: the summary of inventory/dev and a list of problems", function () {
    const ok = capture();
    assert.equal(runValidate([DEV], ok.out, ok.err), 0);
    assert.deepEqual(tooWide(ok.buf.out), []);
    const bad = capture();
    assert.equal(runValidate([materialise("node-ip-outside-cidr")], bad.out, bad.err), 1);
    assert.ok(bad.buf.err.length > 0);
    assert.deepEqual(tooWide(bad.buf.err), []);
    const wide = capture();
    runValidate([materialise("node-ip-outside-cidr"), "--wide"], wide.out, wide.err);
    assert.ok(
      wide.buf.err.split("\n").every((l) => l === "" || /^[^ ].*:\d+:\d+: /.test(l)),
      "--wide keeps one problem a line",
    );
  });

  it("plan: inventory/dev, and --wide gives the table back", async function () {
    const c = capture();
    assert.equal(await runPlan([DEV], c.out, c.err, reusedRuns), 0);
    assert.deepEqual(tooWide(c.buf.out), []);
    const w = capture();
    await runPlan([DEV, "--wide"], w.out, w.err, reusedRuns);
    assert.match(
      w.buf.out,
      /\n {2}name +role +host +vmId +ip +cpu +memory +disk +gpu +protect +schematic\n/,
    );
  });

  it("day2 status, rollout --dry-run, snapshot, recover and stop on the fake cluster, and the usage", async function () {
    const r = await rig(DEV, { talosVersion: "v1.12.9" });
    try {
      const talos = ["--talosconfig", r.files.talosconfig, "--endpoints", r.files.endpoints];
      const runs = [
        await r.command("status", full(r, DEV), { fold: true }),
        await r.command("rollout", ["--dry-run", ...full(r, DEV)], { fold: true }),
        await r.command("snapshot", [DEV, ...talos], { fold: true }),
        await r.command("recover", [DEV, ...talos, "--from", "none.db", "--node", "dev-cp-1"], {
          fold: true,
        }),
        await r.command("stop", ["--stack", "dev"], { fold: true }),
      ];
      for (const { out, err } of runs) {
        assert.ok(out.length + err.length > 0);
        assert.deepEqual(tooWide(out), []);
        assert.deepEqual(tooWide(err), []);
      }
      assert.match(runs[0].out, /runs Talos v1\.12\.9, the inventory wants/);
      const usage = capture();
      assert.equal(await runDay2([], usage.out, usage.err), 2);
      assert.deepEqual(tooWide(usage.buf.err), []);
    } finally {
      r.close();
    }
  });
});
