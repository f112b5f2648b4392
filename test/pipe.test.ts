/**
 * Output that survives a pipe: a command's JSON read through a pipe by another process
 * is whole. Node writes to a pipe asynchronously, and a command that called
 * process.exit after a large write lost everything past the pipe's 64 KiB (see
 * exitWhenFlushed in tools/cli.ts). The plan of a 200-node inventory is about 750 KB;
 * day2 status of a 200-node cluster, about 95 KB.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { writeInventory } from "../tools/offline/generatedInventory";
import { tempDir } from "./support/tmp";
import { full, rig } from "./support/day2Cli";

/**
 * Runs `args` under ts-node with its stdout piped into a second process that starts
 * reading only after a pause (so the pipe fills), then parses what it read.
 */
export function throughPipe(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; reader: string; err: string }> {
  const writer = spawn(
    process.execPath,
    ["-r", path.join(PROJECT_ROOT, "test", "support", "register.js"), ...args],
    {
      cwd: PROJECT_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const reader = spawn(
    process.execPath,
    [
      "-e",
      `setTimeout(() => { let s = ""; process.stdin.setEncoding("utf8");
        process.stdin.on("data", (d) => (s += d));
        process.stdin.on("end", () => {
          try { const v = JSON.parse(s); process.stdout.write("parsed " + s.length + " " + Object.keys(v).join(",")); }
          catch (e) { process.stdout.write("not JSON after " + s.length + " bytes: " + e.message); }
        }); }, 300);`,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  writer.stdout.pipe(reader.stdin);
  let err = "";
  writer.stderr.on("data", (d: Buffer) => (err += d.toString()));
  let read = "";
  reader.stdout.on("data", (d: Buffer) => (read += d.toString()));
  const exited = new Promise<number | null>((resolve) => writer.on("close", resolve));
  return new Promise((resolve) =>
    reader.on("close", async () => resolve({ code: await exited, reader: read, err })),
  );
}

describe("JSON through a pipe", function () {
  it("npm run plan -- <200-node inventory> --json reaches the reader whole", async function () {
    this.timeout(120_000);
    const dir = tempDir("pipe-200");
    writeInventory(dir, 200);
    const r = await throughPipe([path.join("scripts", "plan.ts"), dir, "--json"]);
    assert.equal(r.code, 0, r.err);
    const m = /^parsed (\d+) (.*)$/.exec(r.reader);
    assert.ok(m !== null, r.reader);
    assert.ok(Number(m[1]) > 200_000, `only ${m[1]} bytes: not a test of a full pipe`);
    assert.match(m[2], /\bnodes\b/);
  });

  it("npm run day2 -- status --json of a 200-node cluster reaches the reader whole", async function () {
    // rollout --dry-run --json ends the same way (scripts/day2.ts), and at 200 nodes its
    // document (34 KB) fits a pipe's buffer: status's is the one that can be cut short.
    this.timeout(120_000);
    const dir = tempDir("pipe-day2-200");
    writeInventory(dir, 200);
    const r = await rig(dir);
    try {
      // The fake answers on 127.0.0.1 only; no Proxmox variable reaches the command.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("PROXMOX_VE_")),
      );
      const out = await throughPipe(
        [path.join("scripts", "day2.ts"), "status", ...full(r, dir, "--json")],
        env,
      );
      assert.equal(out.code, 0, out.err + out.reader);
      const m = /^parsed (\d+) (.*)$/.exec(out.reader);
      assert.ok(m !== null, out.reader);
      assert.ok(Number(m[1]) > 65_536, `only ${m[1]} bytes: not a test of a full pipe`);
      assert.match(m[2], /\bnodes\b/);
    } finally {
      r.close();
    }
  });
});
