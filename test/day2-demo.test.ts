/**
 * `npm run day2 -- demo [--keep]`: it runs the whole day-two story against the fake
 * cluster (127.0.0.1 only: the loopback guard fails anything else), shows the rollout's
 * progress lines and fits 80 columns; kept, what it prints is enough to run status,
 * rollout --dry-run, snapshot, recover (after making the fake lose etcd) and stop by
 * hand; ended, it removes everything it wrote. The story runs once, in this process,
 * with the fake's reboots and upgrades shortened; the signals that end a kept demo and
 * make it lose etcd are checked on their own, against this process.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import "./support/loopbackOnly";
import { keepUntilSignalled, runDay2 } from "../scripts/day2";
import { demoExamples, staleExamples } from "../scripts/examples";
import { fit } from "../tools/cli";
import type { KeepHooks } from "../tools/day2/demo";
import { tempDir } from "./support/tmp";

/** The demo examples in the docs that differ from this transcript's. */
const staleDemoExamples = (out: string) => staleExamples(demoExamples(out));

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

/** Resolves when `text()` matches, or fails naming what came instead. */
async function waitFor(text: () => string, re: RegExp, ms: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(text());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${re} within ${ms} ms in:\n${text()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs `npm run day2 -- <args>` in this process, collecting what it writes. recover looks
 * at etcd every 20 ms instead of every 2 s: the fake restores it in milliseconds.
 */
async function day2(args: readonly string[], projectRoot?: string) {
  let out = "";
  let err = "";
  const code = await runDay2(
    args,
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
    {
      recoverWait: { waitMs: 30_000, pollMs: 20 },
      ...(projectRoot === undefined ? {} : { projectRoot }),
    },
  );
  return { code, out, err };
}

describe("npm run day2 -- demo", function () {
  it("shows status, a dry run, a Talos and a Kubernetes rollout and status again; kept, each command to try works as printed, recover succeeds after losing etcd, and ending it removes everything", async function () {
    this.timeout(60_000);
    let out = "";
    let err = "";
    let end: () => void = () => undefined;
    let loseEtcd: (() => void) | undefined;
    const keep: KeepHooks = {
      until: new Promise<void>((resolve) => (end = resolve)),
      loseEtcdCommand: "kill -USR1 4242",
      onLoseEtcd: (fn) => (loseEtcd = fn),
    };
    const demo = runDay2(
      ["demo", "--keep"],
      { write: (s: string) => (out += s) },
      { write: (s: string) => (err += s) },
      // The fake's times, and the rollout's looks, short: the story is the same.
      {
        demo: {
          ...{ rebootMs: 20, upgradeMs: 10, staticPodReadyMs: 10, rolloutMs: 10 },
          ...{ pollMs: 10, settleMs: 20, keep },
        },
      },
    );
    let ended = false;
    try {
      await Promise.race([
        waitFor(() => out, /Ctrl-C here stops the cluster and removes \$D\.\n/, 50_000),
        demo.then((code) =>
          assert.fail(`the demo ended (exit ${code}) before keeping:\n${err}${out}`),
        ),
      ]);
      assert.equal(err, "");

      // The story.
      const story = out.slice(0, out.indexOf("\nThe fake cluster stays up"));
      const lines = story.split("\n");
      const headings = lines.filter((l, i) => /^\d\. /.test(l) && /^=+$/.test(lines[i - 1] ?? ""));
      assert.deepEqual(
        headings.map((h) => h.slice(0, 2)),
        ["1.", "2.", "3.", "4.", "5."],
      );
      const after = (n: number) => story.slice(story.indexOf(headings[n - 1]));
      // Before: the cluster is at the inventory's old versions, and status says it matches.
      const first = after(1).slice(0, after(1).indexOf(headings[1]));
      assert.match(unfold(first), FIRST_STATUS);
      assert.match(first, /\nThe cluster matches the inventory\.\n/);
      assert.match(after(2), /5 of 5 nodes would be rolled; nothing was changed\./);
      // The rollout's own lines, as pulumi up shows them: place, time left, summary.
      assert.match(
        story,
        /^em-infra rollout: \[Talos v1\.13\.3, control plane 1\/3\] demo-cp-2: /m,
      );
      assert.match(
        story,
        /^em-infra rollout: \[Kubernetes v1\.36\.0, kube-apiserver, control plane 1\/3\]/m,
      );
      assert.match(
        story,
        /^em-infra rollout: \[Kubernetes v1\.36\.0, kubelet, workers batch 2\/2\] /m,
      );
      assert.match(
        story,
        /^em-infra rollout: bootstrap manifest DaemonSet\/kube-system\/kube-proxy: updated$/m,
      );
      // A rollout line folded past 80 columns continues on lines indented by 20.
      const logical = unfold(story);
      assert.match(logical, /done in [\d.]+ m?s; about [\d.]+ m?s left for \d+ more batch/);
      assert.equal((story.match(/^em-infra rollout: summary:$/gm) ?? []).length, 2);
      assert.match(after(5), /\nThe cluster matches the inventory\.\n/);
      assert.deepEqual(
        out.split("\n").filter((l) => l.length > 80 && /\S\s+\S/.test(l.trim())),
        [],
      );
      // The demo's excerpts in docs/operations.md are this transcript's (npm run examples).
      assert.deepEqual(staleDemoExamples(story), [], "run npm run examples");

      // Kept: at most 20 lines, each command exactly as a shell takes it.
      const block = out.slice(out.indexOf("The fake cluster stays up"));
      const kept = block.trimEnd().split("\n");
      assert.ok(kept.length <= 20, block);
      const vars: Record<string, string> = {};
      for (const l of kept) {
        const m = /^ {2}([A-Z])=(?:"(.*)"|([^$\s][^\s]*))$/.exec(l);
        if (m) vars[m[1]] = m[2] ?? m[3];
      }
      const expand = (s: string): string =>
        s.replace(/\$([A-Z])\b/g, (_, v: string) => expand(vars[v] ?? `$${v}`));
      const D = vars.D;
      assert.ok(D !== undefined && D.includes("em-infra-demo-"), block);
      assert.ok(logical.includes(`A throwaway inventory and credentials are in ${D},`), D);
      for (const f of ["inventory", "talosconfig", "kubeconfig", "endpoints.json"])
        assert.ok(fs.existsSync(path.join(D, f)), f);
      const command = (name: string) => {
        const line = kept.find((l) => l.startsWith(`  npm run day2 -- ${name}`));
        assert.ok(line !== undefined, `no ${name} command in:\n${block}`);
        return expand(line.trim().replace(/^npm run day2 -- /, "")).split(/\s+/);
      };

      const status = await day2(command("status"));
      assert.equal(status.code, 0, status.err + status.out);
      assert.match(status.out, /The cluster matches the inventory\./);
      const dry = await day2(command("rollout --dry-run"));
      assert.equal(dry.code, 0, dry.err + dry.out);
      assert.match(dry.out, /0 of 5 nodes would be rolled; nothing was changed\./);
      const snap = await day2(command("snapshot"));
      assert.equal(snap.code, 0, snap.err + snap.out);
      // S=$(ls -t $D/backups/*.db | head -1): the newest snapshot.
      const dbs = fs
        .readdirSync(path.join(D, "backups"))
        .filter((f) => f.endsWith(".db"))
        .map((f) => path.join(D, "backups", f))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
      vars.S = dbs[0];
      // Refused while etcd runs; after the printed command, recovered.
      const refused = await day2(command("recover"));
      assert.equal(refused.code, 1, refused.err + refused.out);
      assert.match(refused.out, /^Refused: every control plane's etcd must wait/m);
      assert.match(refused.out, /demo-cp-1's etcd is Running, with its own data/);
      assert.match(block, /^ {2}kill -USR1 4242 {3}# the fake loses etcd on every control plane$/m);
      assert.ok(loseEtcd !== undefined, "the demo asked to hear of the lose-etcd command");
      loseEtcd();
      assert.match(out, /The fake lost etcd on every control plane/);
      const recovered = await day2(command("recover"));
      assert.equal(recovered.code, 0, recovered.err + recovered.out);
      assert.match(recovered.out, /^Recovered etcd on demo-cp-1\.$/m);
      assert.match(recovered.out, /voting members: demo-cp-1, demo-cp-2,\s+demo-cp-3/);
      // Run in this checkout, stop looks for a rollout of its own; here, in a folder of
      // the test's, so that no other test's rollout can answer it.
      const stop = await day2(command("stop"), tempDir("demo-stop"));
      assert.equal(stop.code, 1, stop.err + stop.out);
      assert.match(stop.out, /No rollout of stack dev is running/);

      // Ended (Ctrl-C): the cluster stops and the folder goes.
      end();
      ended = true;
      assert.equal(await demo, 0, err);
      assert.match(out, /Stopped the fake cluster and removed\s+\S+em-infra-demo-/);
      assert.equal(fs.existsSync(D), false, "the demo's folder is gone");
    } finally {
      if (!ended) {
        end();
        await demo.catch(() => undefined);
      }
    }
  });

  it("kept, ends on Ctrl-C or SIGTERM and loses etcd on SIGUSR1, the command it prints, sent to this process", async function () {
    for (const ending of ["SIGINT", "SIGTERM"] as const) {
      const hooks = keepUntilSignalled();
      try {
        assert.equal(hooks.loseEtcdCommand, `kill -USR1 ${process.pid}`);
        let lost = 0;
        hooks.onLoseEtcd(() => lost++);
        process.kill(process.pid, "SIGUSR1");
        await waitFor(() => String(lost), /^1$/, 2000);
        let done = false;
        void hooks.until.then(() => (done = true));
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(done, false, "nothing ends it before the signal");
        process.kill(process.pid, ending);
        await hooks.until;
        assert.equal(lost, 1);
      } finally {
        hooks.release();
      }
      assert.equal(process.listeners("SIGUSR1").length, 0, "release removes its handlers");
    }
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

  it("takes no flags but --keep", async function () {
    const r = await day2(["demo", "--talosconfig", "x"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /demo takes no flags but --keep/);
  });
});
