/**
 * `npm run day2 -- stop`: it finds the stack's running rollout by the marker the
 * rollout keeps in the program's directory, writes the request the rollout looks for,
 * and says so; with none running it writes nothing and exits 1.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runDay2 } from "../scripts/day2";
import { tempDir } from "./support/tmp";

async function stop(root: string, ...args: string[]) {
  let out = "";
  let err = "";
  const code = await runDay2(
    ["stop", ...args, "--wide"],
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
    { projectRoot: root },
  );
  return { code, out, err };
}

describe("npm run day2 -- stop", () => {
  let root: string;
  beforeEach(() => {
    root = tempDir("stop");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("with no rollout running: says so, writes nothing, exit 1", async () => {
    const r = await stop(root, "--stack", "lab");
    assert.equal(r.code, 1);
    assert.match(r.out, /^No rollout of stack lab is running from .*: nothing to stop\./);
    assert.deepEqual(fs.readdirSync(root), []);
  });

  it("a marker left by a process that is gone is not a running rollout", async () => {
    const dir = path.join(root, ".em-infra", "rollout");
    fs.mkdirSync(dir, { recursive: true });
    // Process ids are below 2^22 on Linux: this one cannot exist.
    fs.writeFileSync(path.join(dir, "dev.running.json"), JSON.stringify({ pid: 2 ** 30 }));
    const r = await stop(root);
    assert.equal(r.code, 1);
    assert.equal(fs.existsSync(path.join(dir, "dev.stop.json")), false);
  });

  it("with the stack's rollout running: writes its stop request (0600) and says what happens next", async () => {
    const dir = path.join(root, ".em-infra", "rollout");
    fs.mkdirSync(dir, { recursive: true });
    const marker = { pid: process.pid, started: "2026-12-04T02:00:00.000Z", cluster: "dev" };
    fs.writeFileSync(path.join(dir, "dev.running.json"), JSON.stringify(marker));
    const r = await stop(root, "--stack", "dev");
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(
        `^Asked the rollout of stack dev \\(cluster dev, provider process ${process.pid}, running since 2026-12-04T02:00:00.000Z\\) to stop\\.`,
      ),
    );
    assert.match(r.out, /finishes the node or worker batch in progress/);
    const request = path.join(dir, "dev.stop.json");
    assert.equal(fs.statSync(request).mode & 0o777, 0o600);
    assert.equal(JSON.parse(fs.readFileSync(request, "utf8")).for, process.pid);
  });

  it("refuses other flags and a stack name that cannot name a file, exit 2", async () => {
    assert.equal((await stop(root, "--talosconfig", "x")).code, 2);
    const bad = await stop(root, "--stack", "../etc");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--stack: "\.\.\/etc" is not a stack name/);
  });
});
