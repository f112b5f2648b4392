/**
 * `npm run day2 -- demo`: it runs the whole day-two story against the fake cluster
 * (127.0.0.1 only: the loopback guard fails anything else), exits 0, shows the
 * rollout's progress lines, fits 80 columns and removes everything it wrote.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import "./support/loopbackOnly";
import { runDay2 } from "../scripts/day2";
import { demoExamples, staleExamples } from "../scripts/examples";

/** The demo examples in the docs that differ from this transcript's. */
const staleDemoExamples = (out: string) => staleExamples(demoExamples(out));
import { fit } from "../tools/cli";

/**
 * The transcript as logical lines: a line folded at 80 columns continues on lines
 * indented by 2 to 20, which join back with one space. Where a line folds depends on
 * everything before it on the line, and the status header starts with the inventory's
 * path (under TMPDIR), so a test that matched folded text passed or failed by the
 * length of the temp folder's path.
 */
function unfold(text: string): string {
  return text.replace(/\n {2,20}(?=\S)/g, " ");
}

/** What the first status of the demo says, read from logical lines. */
const FIRST_STATUS = /: cluster demo, inventory wants Talos v1\.13\.0, Kubernetes 1\.35\.2\n/;

describe("npm run day2 -- demo", function () {
  it("shows status, a dry run, a Talos and a Kubernetes rollout and status again, and leaves nothing", async function () {
    let out = "";
    let err = "";
    const code = await runDay2(
      ["demo"],
      { write: (s: string) => (out += s) },
      { write: (s: string) => (err += s) },
      { demo: { rebootMs: 20, upgradeMs: 10 } },
    );
    assert.equal(code, 0, err + out);
    assert.equal(err, "");
    const lines = out.split("\n");
    const headings = lines.filter((l, i) => /^\d\. /.test(l) && /^=+$/.test(lines[i - 1] ?? ""));
    assert.deepEqual(
      headings.map((h) => h.slice(0, 2)),
      ["1.", "2.", "3.", "4.", "5."],
    );
    const after = (n: number) => out.slice(out.indexOf(headings[n - 1]));
    // Before: the cluster is at the inventory's old versions, and status says it matches.
    const first = after(1).slice(0, after(1).indexOf(headings[1]));
    assert.match(unfold(first), FIRST_STATUS);
    assert.match(first, /\nThe cluster matches the inventory\.\n/);
    assert.match(after(2), /5 of 5 nodes would be rolled; nothing was changed\./);
    // The rollout's own lines, as pulumi up shows them: place, time left, summary.
    assert.match(out, /^em-infra rollout: \[Talos v1\.13\.3, control plane 1\/3\] demo-cp-2: /m);
    assert.match(
      out,
      /^em-infra rollout: \[Kubernetes v1\.36\.0, kube-apiserver, control plane 1\/3\]/m,
    );
    assert.match(out, /^em-infra rollout: \[Kubernetes v1\.36\.0, kubelet, workers batch 2\/2\] /m);
    assert.match(
      out,
      /^em-infra rollout: bootstrap manifest DaemonSet\/kube-system\/kube-proxy: updated$/m,
    );
    // A rollout line folded past 80 columns continues on lines indented by 20.
    const logical = unfold(out);
    assert.match(logical, /done in [\d.]+ m?s; about [\d.]+ m?s left for \d+ more batch/);
    assert.equal((out.match(/^em-infra rollout: summary:$/gm) ?? []).length, 2);
    assert.match(after(5), /\nThe cluster matches the inventory\.\n/);
    assert.deepEqual(
      out.split("\n").filter((l) => l.length > 80 && /\S\s+\S/.test(l.trim())),
      [],
    );
    const dir = /A throwaway inventory and credentials are in\s+(\S+?),/.exec(logical)?.[1];
    assert.ok(dir !== undefined && dir.includes("em-infra-demo-"), out.slice(0, 300));
    assert.equal(fs.existsSync(dir), false, "the demo's folder is gone");
    // The demo's excerpts in docs/operations.md are this transcript's (npm run examples).
    assert.deepEqual(staleDemoExamples(out), [], "run npm run examples");
  });

  it("reads the status header the same whatever the length of TMPDIR (8 to 60)", function () {
    // The header as status prints it, folded as it folds it, under temp folders of
    // every length, with and without the suite's run folder: the fold moves (with a
    // bare TMPDIR of 13 to 24 characters it fell between "inventory" and "wants"),
    // the logical line does not.
    const folds = new Set<number>();
    for (const run of ["", "/em-infra-run-Ab12Cd"]) {
      for (let n = 8; n <= 60; n++) {
        const tmp = "/" + "t".repeat(n - 1);
        const header = `${tmp}${run}/em-infra-demo-Ef34Gh/inventory: cluster demo, inventory wants Talos v1.13.0, Kubernetes 1.35.2`;
        const folded = fit([header]).join("\n") + "\n";
        folds.add(folded.indexOf("inventory wants"));
        assert.match(unfold(folded), FIRST_STATUS, `TMPDIR of ${n} characters:\n${folded}`);
      }
    }
    assert.ok(folds.has(-1), "some lengths fold between 'inventory' and 'wants'");
  });

  it("takes no flags", async function () {
    let err = "";
    const code = await runDay2(
      ["demo", "--talosconfig", "x"],
      { write: () => true },
      {
        write: (s: string) => (err += s),
      },
    );
    assert.equal(code, 2);
    assert.match(err, /demo takes no flags/);
  });
});
