/**
 * `npm run day2 -- demo --keep`: after the demo its fake cluster stays up, and what it
 * prints is enough to run status, rollout --dry-run, snapshot, recover (after making
 * the fake lose etcd) and stop by hand; Ctrl-C stops it and removes its folder.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import "./support/loopbackOnly";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { runDay2 } from "../scripts/day2";

/** Resolves when `text()` matches, or fails naming what came instead. */
async function waitFor(text: () => string, re: RegExp, ms: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(text());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${re} within ${ms} ms in:\n${text()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("npm run day2 -- demo --keep", function () {
  it("keeps the cluster up with each command to try, recover succeeds after losing etcd, Ctrl-C removes it", async function () {
    this.timeout(120_000);
    const child = spawn(
      process.execPath,
      [
        ...["-r", path.join(PROJECT_ROOT, "test", "support", "register.js")],
        ...["scripts/day2.ts", "demo", "--keep"],
      ],
      { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      await waitFor(() => out, /Ctrl-C here stops the cluster and removes \$D\.\n/, 100_000);
      const block = out.slice(out.indexOf("The fake cluster stays up"));
      const lines = block.trimEnd().split("\n");
      assert.ok(lines.length <= 20, block);
      assert.ok(
        lines.every((l) => l.length <= 80 || !/\S\s+\S/.test(l.trim())),
        block,
      );
      // The shell variables, expanded as bash would.
      const vars: Record<string, string> = {};
      for (const l of lines) {
        const m = /^ {2}([A-Z])=(?:"(.*)"|([^$\s][^\s]*))$/.exec(l);
        if (m) vars[m[1]] = m[2] ?? m[3];
      }
      const expand = (s: string): string =>
        s.replace(/\$([A-Z])\b/g, (_, v: string) => expand(vars[v] ?? `$${v}`));
      const D = vars.D;
      assert.ok(D !== undefined && fs.existsSync(path.join(D, "talosconfig")), block);
      for (const f of ["inventory", "talosconfig", "kubeconfig", "endpoints.json"])
        assert.ok(fs.existsSync(path.join(D, f)), f);
      const command = (name: string) => {
        const line = lines.find((l) => l.startsWith(`  npm run day2 -- ${name}`));
        assert.ok(line !== undefined, `no ${name} command in:\n${block}`);
        return expand(line.trim().replace(/^npm run day2 -- /, "")).split(/\s+/);
      };
      const run = async (args: string[]) => {
        let o = "";
        let e = "";
        const code = await runDay2(
          args,
          { write: (s: string) => (o += s) },
          { write: (s: string) => (e += s) },
        );
        return { code, out: o, err: e };
      };

      const status = await run(command("status"));
      assert.equal(status.code, 0, status.err + status.out);
      assert.match(status.out, /The cluster matches the inventory\./);
      const dry = await run(command("rollout --dry-run"));
      assert.equal(dry.code, 0, dry.err + dry.out);
      assert.match(dry.out, /0 of 5 nodes would be rolled; nothing was changed\./);
      const snap = await run(command("snapshot"));
      assert.equal(snap.code, 0, snap.err + snap.out);
      // S=$(ls -t $D/backups/*.db | head -1): the newest snapshot.
      const dbs = fs
        .readdirSync(path.join(D, "backups"))
        .filter((f) => f.endsWith(".db"))
        .map((f) => path.join(D, "backups", f))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
      vars.S = dbs[0];
      // Refused while etcd runs; after the printed kill, recovered.
      const refused = await run(command("recover"));
      assert.equal(refused.code, 1, refused.err + refused.out);
      assert.match(refused.out, /^Refused: every control plane's etcd must wait/m);
      assert.match(refused.out, /demo-cp-1's etcd is Running, with its own data/);
      const kill = /^ {2}kill -USR1 (\d+) /m.exec(block);
      assert.equal(Number(kill?.[1]), child.pid);
      process.kill(child.pid!, "SIGUSR1");
      await waitFor(() => out, /The fake lost etcd on every control plane/, 10_000);
      const recovered = await run(command("recover"));
      assert.equal(recovered.code, 0, recovered.err + recovered.out);
      assert.match(recovered.out, /^Recovered etcd on demo-cp-1\.$/m);
      assert.match(recovered.out, /voting members: demo-cp-1, demo-cp-2,\s+demo-cp-3/);
      const stop = await run(command("stop"));
      assert.equal(stop.code, 1);
      assert.match(stop.out, /No rollout of stack dev is running/);

      child.kill("SIGINT");
      assert.equal(await exited, 0, err);
      assert.match(out, /Stopped the fake cluster and removed\s+\S+em-infra-demo-/);
      assert.equal(fs.existsSync(D), false, "the demo's folder is gone");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
