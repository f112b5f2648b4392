/**
 * Mocha hooks for the whole suite (loaded by .mocharc.js). Before the run, the main
 * process makes the run's own temp folder and points `TMPDIR` at it, so that every
 * worker, child process and `os.tmpdir()` call of this run writes there (see tmp.ts).
 * After each test file, the temporary folders it made are removed; after the whole
 * run, anything left in the run's folder fails the run, naming it, and the folder is
 * removed. Another run's folders, beside ours, are never looked at.
 */
import * as fs from "fs";
import { leftInRunDir, makeRunDir, removeTempDirs } from "./tmp";

let runDir: string | undefined;
let parentTmp: string | undefined;

/** Root hooks: in parallel mode `afterAll` runs once per test file, in its worker. */
export const mochaHooks = {
  afterAll(): void {
    removeTempDirs();
  },
};

/** Once, in the main process, before any worker starts (workers inherit the env). */
export function mochaGlobalSetup(): void {
  parentTmp = process.env.TMPDIR;
  runDir = makeRunDir();
  process.env.TMPDIR = runDir;
}

/** Once, in the main process, after every file ran. */
export function mochaGlobalTeardown(): void {
  if (runDir === undefined) return;
  const dir = runDir;
  runDir = undefined;
  if (parentTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = parentTmp;
  const left = leftInRunDir(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  if (left.length > 0) {
    process.exitCode = 1;
    throw new Error(
      `npm test left ${left.length} item(s) in its temp folder ${dir}: ${left.join(", ")}; a test must remove what it makes (test/support/tmp.ts)`,
    );
  }
}
